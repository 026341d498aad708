/**
 * Input PostgreSQL cannot store and input Node's HTTP parser refuses: a 400 problem document
 * naming the field (or the header), never a 5xx, never Fastify's own plain answer.
 */
import net from 'node:net';
import t from 'tap';
import { buildTestApp } from '../helpers/build-test-app.js';

t.test('NUL and broken Unicode anywhere in a request: 400 naming the field, nothing written', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger', 'payment-terms', 'follow-up'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' })).statusCode, 201);
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/api/ledger/invoices', { partner: 'KH\u000001', date: '2026-03-01', lines: [{ description: 'Hàng', quantity: '1', unitPrice: '1000' }] }, 'partner'],
    ['POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', lines: [{ description: 'Hàng\u0000', quantity: '1', unitPrice: '1000' }] }, 'lines[0].description'],
    ['POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-01', amount: '1000', reference: 'UNC \ud800' }, 'reference'],
    ['POST', '/api/ledger/payments/bulk', { payments: [{ partner: 'KH01', date: '2026-03-01', amount: '1000' }, { partner: '\u0000', date: '2026-03-01', amount: '1' }] }, 'payments[1].partner'],
    ['PUT', '/api/payment-terms/partners/KH01/default-term', { term: 'x\u0000' }, 'term'],
    ['GET', '/api/ledger/partners?q=%00', undefined, 'query.q'],
    ['GET', '/api/ledger/partners/KH%0001', undefined, 'params.id'],
  ];
  for (const [method, url, body, field] of cases) {
    const res = await h.request(method as 'POST', url, body);
    t.equal(res.statusCode, 400, `${method} ${url} ${field}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.json().field, field);
    t.match(res.json().detail, /NUL character|unpaired UTF-16 surrogate/);
  }
  t.equal((await h.request('GET', '/api/ledger/partners')).json().total.count, 1, 'nothing was written');
});

t.test('integers in bodies are bounded: 1e308 is a 400 naming the field, and the bound is in the OpenAPI document', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const term = (await h.request('POST', '/api/payment-terms/terms', { name: '30 ngày', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }] })).json();
  const res = await h.request('POST', `/api/payment-terms/terms/${term.id}/preview`, { date: '2026-03-01', amount: '1000', version: 1e308 });
  t.equal(res.statusCode, 400);
  t.equal(res.json().field, 'version');
  t.match(res.json().detail, /version must be <= 2147483647/);
  const doc = (await h.request('GET', '/openapi.json', undefined, { token: null })).json();
  const version = doc.paths['/api/payment-terms/terms/{id}/preview'].post.requestBody.content['application/json'].schema.properties.version;
  t.equal(version.maximum, 2147483647, 'the document shows the bound');
});

/** Sends raw bytes to a listening server and returns what came back. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.on('data', (d) => { out += d.toString(); });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

t.test("what Node's HTTP parser or Fastify's router refuses is a problem document too", async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (h.app.server.address() as net.AddressInfo).port;

  const nul = await raw(port, `GET /api/ledger/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.token}\u0000\r\n\r\n`);
  t.match(nul, /^HTTP\/1\.1 400 /);
  t.match(nul, /Content-Type: application\/problem\+json/);
  const body = JSON.parse(nul.slice(nul.indexOf('\r\n\r\n') + 4));
  t.equal(body.status, 400);
  t.equal(body.field, 'header');
  t.match(body.detail, /control character/);

  const garbage = await raw(port, 'BLAH\r\n\r\n');
  t.match(garbage, /^HTTP\/1\.1 400 [^]*application\/problem\+json/);

  const badUrl = await fetch(`http://127.0.0.1:${port}/api/ledger/partners/%E0%A4%A`, { headers: { authorization: `Bearer ${h.token}` } });
  t.equal(badUrl.status, 400);
  t.match(badUrl.headers.get('content-type'), /^application\/problem\+json/);
  t.equal((await badUrl.json()).field, 'url');
});

t.test('a wrong type where a decimal string or a JSON number goes is said once', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' });
  const res = await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-01', amount: true });
  t.equal(res.statusCode, 400);
  t.same(res.json().errors, [{ field: 'amount', message: 'must be string or number' }]);
});
