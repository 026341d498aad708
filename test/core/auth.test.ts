import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const isProblem = (res: { headers: Record<string, unknown> }) => /^application\/problem\+json/.test(String(res.headers['content-type']));

/** Creates a second tenant with the example module and a clerk token, all through the admin API. */
async function secondTenant(h: TestApp, slug: string): Promise<string> {
  const opts = { token: h.adminToken };
  const created = await h.request('POST', '/api/admin/tenants', { slug, name: 'Công ty Bình Minh', currency: 'VND' }, opts);
  if (created.statusCode !== 201) throw new Error(`tenant not created: ${created.body}`);
  const enabled = await h.request('PUT', `/api/admin/tenants/${slug}/modules/example`, undefined, opts);
  if (enabled.statusCode !== 200) throw new Error(`module not enabled: ${enabled.body}`);
  const token = await h.request('POST', `/api/admin/tenants/${slug}/tokens`, { name: 'Chị Hoa', role: 'clerk' }, opts);
  if (token.statusCode !== 201) throw new Error(`token not created: ${token.body}`);
  return token.json().token;
}

t.test('no token or a wrong token: 401 problem', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const none = await h.request('GET', '/api/example/notes', undefined, { token: null });
  t.equal(none.statusCode, 401);
  t.ok(isProblem(none));
  t.match(none.json(), { status: 401, type: 'urn:congno:problem:unauthorized', detail: /Authorization: Bearer/ });

  const wrong = await h.request('GET', '/api/example/notes', undefined, { token: 'cng_not-a-real-token' });
  t.equal(wrong.statusCode, 401);
  t.ok(isProblem(wrong));
  const basic = await h.request('GET', '/api/example/notes', undefined, { token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
  t.equal(basic.statusCode, 401, 'only bearer tokens');
  const adminRoute = await h.request('GET', '/api/admin/modules', undefined, { token: null });
  t.equal(adminRoute.statusCode, 401, 'admin routes too');
  t.equal((await h.request('GET', '/health', undefined, { token: null })).statusCode, 200, '/health needs no token');
});

t.test('too many failed authentications from one address: 429 with retry-after', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'], config: { auth: { maxFailuresPerMinute: 3, cacheMs: 5000 } } });
  const from = (remoteAddress: string, token: string | null) => h.app.inject({
    method: 'GET', url: '/api/example/notes', remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  for (let i = 1; i <= 3; i++) t.equal((await from('203.0.113.9', 'cng_guess' + i)).statusCode, 401, `failure ${i}`);
  const limited = await from('203.0.113.9', 'cng_guess4');
  t.equal(limited.statusCode, 429);
  t.ok(isProblem(limited));
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `retry-after in seconds (${limited.headers['retry-after']})`);
  t.equal((await from('203.0.113.9', h.token)).statusCode, 429, 'even a right token waits: guessing is not rewarded');
  t.equal((await from('198.51.100.4', h.token)).statusCode, 200, 'another address is not affected');
  t.equal((await from('198.51.100.4', null)).statusCode, 401);
});

t.test('roles: tenant tokens cannot administer, the admin token belongs to no tenant', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const clerkOnAdmin = await h.request('GET', '/api/admin/modules');
  t.equal(clerkOnAdmin.statusCode, 403);
  t.ok(isProblem(clerkOnAdmin));
  const accountant = await h.tokenFor('accountant');
  const createTenant = await h.request('POST', '/api/admin/tenants', { slug: 'takeover', name: 'X', currency: 'VND' }, { token: accountant.token });
  t.equal(createTenant.statusCode, 403);
  const tenants = (await h.request('GET', '/api/admin/tenants', undefined, { token: h.adminToken })).json();
  t.notOk(tenants.some((x: { slug: string }) => x.slug === 'takeover'), 'nothing created');

  const adminOnModule = await h.request('GET', '/api/example/notes', undefined, { token: h.adminToken });
  t.equal(adminOnModule.statusCode, 403);
  t.ok(isProblem(adminOnModule));
  t.match(adminOnModule.json().detail, /no tenant/);
});

t.test("a route's roles: the example's POST /notes allows accountants and clerks, not sales", async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const sales = await h.tokenFor('sales');
  const refused = await h.request('POST', '/api/example/notes', { text: 'Tôi là nhân viên kinh doanh' }, { token: sales.token });
  t.equal(refused.statusCode, 403);
  t.ok(isProblem(refused));
  t.match(refused.json().detail, /sales/);
  t.equal((await h.request('GET', '/api/example/notes', undefined, { token: sales.token })).json().length, 0, 'sales may read; nothing was written');

  const accountant = await h.tokenFor('accountant');
  t.equal((await h.request('POST', '/api/example/notes', { text: 'Đã đối chiếu công nợ' }, { token: accountant.token })).statusCode, 201);
  t.equal((await h.request('POST', '/api/example/notes', { text: 'Đã gọi khách' })).statusCode, 201, 'clerk');
  t.equal((await h.request('GET', '/api/example/notes', undefined, { token: sales.token })).json().length, 2);
});

t.test("tenants are walled off: tenant B never sees tenant A's notes", async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const opts = { token: h.adminToken };
  await h.request('POST', '/api/admin/tenants', { slug: 'binh-minh', name: 'Công ty Bình Minh', currency: 'VND' }, opts);
  const b = (await h.request('POST', '/api/admin/tenants/binh-minh/tokens', { name: 'Chị Hoa', role: 'clerk' }, opts)).json().token;

  const notEnabled = await h.request('GET', '/api/example/notes', undefined, { token: b });
  t.equal(notEnabled.statusCode, 404, 'B has not enabled the module');
  t.ok(isProblem(notEnabled));
  t.equal((await h.request('POST', '/api/example/notes', { text: 'x' }, { token: b })).statusCode, 404);

  const a = await h.request('POST', '/api/example/notes', { text: 'Nợ quá hạn 90 ngày của khách Phú Thịnh' });
  t.equal(a.statusCode, 201);
  t.equal((await h.request('PUT', '/api/admin/tenants/binh-minh/modules/example', undefined, opts)).statusCode, 200);

  t.same((await h.request('GET', '/api/example/notes', undefined, { token: b })).json(), [], "B's list is empty");
  const byId = await h.request('GET', `/api/example/notes/${a.json().id}`, undefined, { token: b });
  t.equal(byId.statusCode, 404, "B cannot read A's note by its id");
  t.notMatch(byId.body, /Phú Thịnh/);
  t.equal((await h.request('GET', '/api/example/stats', undefined, { token: b })).json().notes, 0);

  t.equal((await h.request('POST', '/api/example/notes', { text: 'Ghi chú của Bình Minh' }, { token: b })).statusCode, 201);
  const aNotes = (await h.request('GET', '/api/example/notes')).json();
  t.same(aNotes.map((n: { text: string }) => n.text), ['Nợ quá hạn 90 ngày của khách Phú Thịnh'], "A does not see B's note either");
  t.same((await h.request('GET', '/api/example/notes', undefined, { token: b })).json().map((n: { text: string }) => n.text), ['Ghi chú của Bình Minh']);
});

t.test('disabling a module for one tenant leaves it open for another', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const b = await secondTenant(h, 'binh-minh');
  t.equal((await h.request('DELETE', `/api/admin/tenants/${h.tenant.slug}/modules/example`, undefined, { token: h.adminToken })).statusCode, 200);
  t.equal((await h.request('GET', '/api/example/notes')).statusCode, 404, 'closed for A');
  t.equal((await h.request('GET', '/api/example/notes', undefined, { token: b })).statusCode, 200, 'open for B');
});

t.test('a percent-encoded path gets the same checks as the plain one', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  // '%61' is 'a': the router decodes it and reaches the same route.
  for (const url of ['/%61pi/admin/tenants', '/api/%61dmin/tenants', '/api/admin/tenant%73']) {
    const anonymous = await h.request('GET', url, undefined, { token: null });
    t.equal(anonymous.statusCode, 401, `${url} without a token`);
    t.notMatch(anonymous.body, /acme/, 'no tenant listed');
    t.equal((await h.request('GET', url)).statusCode, 403, `${url} with a clerk's token`);
    t.equal((await h.request('GET', url, undefined, { token: h.adminToken })).statusCode, 200, `${url} with the admin token`);
  }
  t.equal((await h.request('GET', '/%61pi/example/notes', undefined, { token: null })).statusCode, 401);
  t.equal((await h.request('GET', '/api/ex%61mple/notes', undefined, { token: h.adminToken })).statusCode, 403);
});
