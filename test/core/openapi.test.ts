import t from 'tap';
import { buildTestApp } from '../helpers/build-test-app.js';

interface Operation {
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  parameters?: Array<{ name: string; in: string }>;
  security?: unknown[];
}

t.test('GET /openapi.json: an OpenAPI 3 document of the admin and module routes, with schemas', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const res = await h.request('GET', '/openapi.json', undefined, { token: null });
  t.equal(res.statusCode, 200, 'public');
  t.match(res.headers['content-type'], /^application\/json/);
  const doc = res.json() as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };
  t.match(doc.openapi, /^3\.\d+\.\d+$/);
  t.match(doc.info, { title: String, version: String });
  t.match(doc.components.securitySchemes, { bearer: { type: 'http', scheme: 'bearer' } });

  const paths = Object.keys(doc.paths);
  for (const p of ['/api/admin/modules', '/api/admin/tenants', '/api/admin/tenants/{slug}/modules/{module}', '/api/admin/tenants/{slug}/tokens', '/api/example/notes', '/api/example/notes/{id}', '/health']) {
    t.ok(paths.includes(p), `documents ${p}`);
  }
  t.notOk(paths.includes('/openapi.json'), 'the document does not describe itself');

  const modulePath = doc.paths['/api/admin/tenants/{slug}/modules/{module}'];
  t.same(Object.keys(modulePath).sort(), ['delete', 'get', 'patch', 'put']);
  t.same(modulePath.put.parameters!.map((p) => `${p.in}:${p.name}`).sort(), ['path:module', 'path:slug']);

  const newTenant = doc.paths['/api/admin/tenants'].post.requestBody!.content['application/json'].schema;
  t.match(newTenant, { type: 'object', required: ['slug', 'name', 'currency'], properties: { slug: { type: 'string' }, currency: { type: 'string' } } });
  t.match(doc.paths['/api/admin/tenants'].post.responses['201'].content!['application/json'].schema, { properties: { id: { type: 'string' }, slug: { type: 'string' } } });

  const createNote = doc.paths['/api/example/notes'].post;
  t.match(createNote.requestBody!.content['application/json'].schema, { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } }, additionalProperties: false });
  t.match(createNote.responses['201'].content!['application/json'].schema, { properties: { id: { type: 'string', format: 'uuid' }, text: { type: 'string' } } });
  t.ok(createNote.responses['400'], 'the 400 problem is documented');
  t.match(doc.paths['/api/example/notes'].get.responses['200'].content!['application/json'].schema, { type: 'array', items: { properties: { text: { type: 'string' } } } });
  t.same(doc.paths['/health'].get.security, [], '/health needs no token');
});

t.test('GET /docs: the interactive reference page', async (t) => {
  const h = await buildTestApp(t);
  let page = new URL('http://localhost/docs');
  let res = await h.request('GET', page.pathname, undefined, { token: null });
  for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 5; hops++) {
    page = new URL(String(res.headers.location), page);
    res = await h.request('GET', page.pathname + page.search, undefined, { token: null });
  }
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html/);
  t.match(res.body, /<html/i);

  // The page is only useful if what it loads is there too: its scripts and the document.
  const scripts = [...res.body.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => new URL(m[1], page));
  t.ok(scripts.length > 0, 'the page loads scripts');
  for (const src of scripts) {
    t.equal((await h.request('GET', src.pathname, undefined, { token: null })).statusCode, 200, `${src.pathname} is served`);
  }
  const spec = await h.request('GET', new URL('json', page.href.endsWith('/') ? page : `${page.href}/`).pathname, undefined, { token: null });
  t.equal(spec.statusCode, 200, 'the document the page reads is served');
  t.match(spec.json(), { openapi: /^3\./ });
});

t.test('a parameter with a default is not required in the document, and still gets its default', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const doc = (await h.request('GET', '/openapi.json', undefined, { token: null })).json();
  const params = doc.paths['/api/admin/events/deliveries'].get.parameters as Array<{ name: string; required?: boolean }>;
  for (const name of ['state', 'limit']) t.notOk(params.find((p) => p.name === name)?.required, `${name} has a default: not required`);
  const res = await h.request('GET', '/api/admin/events/deliveries', undefined, { token: h.adminToken });
  t.equal(res.statusCode, 200, 'called without them, the defaults apply');
});
