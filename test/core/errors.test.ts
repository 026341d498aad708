import t, { type Test } from 'tap';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { PROJECT_ROOT } from '../../core/app.js';
import { buildTestApp } from '../helpers/build-test-app.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'modules');

/** What every error answer looks like: a problem document, no stack trace, no internals. */
function assertProblem(t: Test, res: LightMyRequestResponse, status: number, what: string): Record<string, unknown> {
  t.equal(res.statusCode, status, what);
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
  const body = res.json();
  t.match(body, { type: /^urn:congno:problem:/, title: String, status }, `${what}: type, title, status`);
  t.notOk('stack' in body, `${what}: no stack property`);
  t.notMatch(res.body, /\bat \S+ \(|node_modules|\.ts:\d+/, `${what}: no stack trace in the text`);
  return body;
}

t.test('invalid bodies: 400 naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const cases: Array<[string, unknown, string]> = [
    ['a number for a string', { text: 5 }, 'text'],
    ['null for a string', { text: null }, 'text'],
    ['an unknown field', { text: 'Gọi khách', colour: 'red' }, 'colour'],
    ['a missing required field', {}, 'text'],
    ['an empty string below minLength', { text: '' }, 'text'],
  ];
  for (const [what, body, field] of cases) {
    const res = await h.request('POST', '/api/example/notes', body);
    const problem = assertProblem(t, res, 400, what);
    t.equal(problem.field, field, `${what}: field ${field}`);
    t.match(problem.errors, [{ field, message: String }], `${what}: listed in errors`);
  }
  const array = await h.request('POST', '/api/example/notes', [{ text: 'x' }]);
  t.equal(assertProblem(t, array, 400, 'an array instead of an object').field, 'body');

  const badParam = await h.request('GET', '/api/example/notes/not-a-uuid');
  t.equal(assertProblem(t, badParam, 400, 'a malformed id in the path').field, 'params.id');
  const badQuery = await h.request('GET', '/api/example/notes?limit=1000');
  t.equal(assertProblem(t, badQuery, 400, 'a query value out of range').field, 'query.limit');
  const unknownQuery = await h.request('GET', '/api/example/notes?sort=text');
  t.equal(assertProblem(t, unknownQuery, 400, 'an unknown query parameter').field, 'query.sort');

  t.same((await h.request('GET', '/api/example/notes')).json(), [], 'nothing was written');
});

t.test('malformed JSON, a wrong media type, an oversized body', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'], config: { bodyLimit: 1024 } });
  const json = { 'content-type': 'application/json' };
  const malformed = await h.request('POST', '/api/example/notes', '{"text": "Gọi lại', { headers: json });
  t.equal(assertProblem(t, malformed, 400, 'malformed JSON').field, 'body');
  const empty = await h.request('POST', '/api/example/notes', '', { headers: json });
  assertProblem(t, empty, 400, 'an empty JSON body');

  const text = await h.request('POST', '/api/example/notes', 'text=hello', { headers: { 'content-type': 'text/csv' } });
  assertProblem(t, text, 415, 'a media type the route does not read');

  const big = await h.request('POST', '/api/example/notes', { text: 'x'.repeat(2000) });
  const problem = assertProblem(t, big, 413, 'a body over the configured limit');
  t.equal(problem.type, 'urn:congno:problem:body-too-large');
  const justUnder = await h.request('POST', '/api/example/notes', { text: 'x'.repeat(900) });
  t.equal(justUnder.statusCode, 201, 'a body under the limit is fine');
  t.equal((await h.request('GET', '/api/example/notes')).json().length, 1);
});

t.test('unknown routes are 404 problems; /health is plain', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const unknown = await h.request('GET', '/no/such/page', undefined, { token: null });
  t.match(assertProblem(t, unknown, 404, 'an unknown path').detail, /GET \/no\/such\/page/);
  assertProblem(t, await h.request('GET', '/api/example/nothing-here'), 404, 'an unknown path under a module');
  assertProblem(t, await h.request('DELETE', '/api/example/notes'), 404, 'a known path with a method it does not have');
  assertProblem(t, await h.request('GET', '/api/accounting/invoices'), 404, 'a module that is not installed');
  const note = (await h.request('POST', '/api/example/notes', { text: 'Hẹn thanh toán' })).json();
  const missing = await h.request('GET', `/api/example/notes/${note.id.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'))}`);
  t.match(assertProblem(t, missing, 404, 'a note that does not exist').detail, /No note/);

  const health = await h.request('GET', '/health', undefined, { token: null });
  t.equal(health.statusCode, 200);
  t.match(health.headers['content-type'], /^application\/json/);
  t.same(health.json(), { status: 'ok' });
});

t.test('an unexpected failure: 500 problem with a request id, nothing internal', async (t) => {
  const h = await buildTestApp(t, { modulesDir: FIXTURES });
  await h.request('PUT', `/api/admin/tenants/${h.tenant.slug}/modules/base`, undefined, { token: h.adminToken });
  const res = await h.request('GET', '/api/base/boom', undefined, { headers: { 'x-request-id': 'req-7f3a' } });
  const problem = assertProblem(t, res, 500, 'a route that throws');
  t.equal(problem.type, 'urn:congno:problem:internal');
  t.match(problem.detail, /req-7f3a/, 'the request id to quote');
  t.notMatch(res.body, /hunter2|10\.0\.0\.7|refused/, "the error's own message stays in the log");
});

t.test('a value outside a list of choices is named once, with the choices', async (t) => {
  const { validationErrors } = await import('../../core/plugins/errors.js');
  const items = [
    ...['csv', 'xlsx'].map((c) => ({ instancePath: '/format', keyword: 'const', message: 'must be equal to constant', params: { allowedValue: c } })),
    { instancePath: '/format', keyword: 'anyOf', message: 'must match a schema in anyOf', params: {} },
    { instancePath: '/limit', keyword: 'type', message: 'must be integer', params: {} },
  ];
  t.same(validationErrors(items, 'querystring'), [
    { field: 'query.format', message: 'must be one of csv, xlsx' },
    { field: 'query.limit', message: 'must be integer' },
  ]);
});
