import t from 'tap';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';

const post = (h: TestApp, key: string, body: unknown, token?: string) =>
  h.request('POST', '/api/example/notes', body, { headers: { 'idempotency-key': key }, ...(token ? { token } : {}) });

const noteCount = async (h: TestApp, token?: string): Promise<number> =>
  (await h.request('GET', '/api/example/notes?limit=100', undefined, token ? { token } : {})).json().length;

t.test('a retry with the same key returns the first response and creates nothing twice', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const first = await post(h, 'note-2024-0001', { text: 'Khách hứa chuyển khoản 15.000.000 ₫' });
  t.equal(first.statusCode, 201);
  t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay');

  const retry = await post(h, 'note-2024-0001', { text: 'Khách hứa chuyển khoản 15.000.000 ₫' });
  t.equal(retry.statusCode, 201);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.json(), first.json(), 'the same note, same id');
  t.equal(await noteCount(h), 1);
  t.equal((await h.request('GET', '/api/example/stats')).json().notes, 1, 'the hook ran once');

  const other = await post(h, 'note-2024-0002', { text: 'Khách hứa chuyển khoản 15.000.000 ₫' });
  t.equal(other.statusCode, 201, 'a new key is a new request');
  t.not(other.json().id, first.json().id);
  const none = await h.request('POST', '/api/example/notes', { text: 'Khách hứa chuyển khoản 15.000.000 ₫' });
  t.equal(none.statusCode, 201, 'without a key every request runs');
  t.equal(await noteCount(h), 3);
});

t.test('the same key with a different body: 422 naming the header', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  t.equal((await post(h, 'k-1', { text: 'Hoá đơn 0042: 5.000.000 ₫' })).statusCode, 201);
  const reused = await post(h, 'k-1', { text: 'Hoá đơn 0042: 50.000.000 ₫' });
  t.equal(reused.statusCode, 422);
  t.match(reused.headers['content-type'], /^application\/problem\+json/);
  t.equal(reused.json().field, 'header.idempotency-key');
  t.notOk(reused.headers['idempotent-replayed']);
  t.same((await h.request('GET', '/api/example/notes')).json().map((n: { text: string }) => n.text), ['Hoá đơn 0042: 5.000.000 ₫'], 'only the first note');

  for (const bad of ['', 'x'.repeat(256), 'khoá có dấu']) {
    const res = await post(h, bad, { text: 'y' });
    t.equal(res.statusCode, 400, `key ${JSON.stringify(bad.slice(0, 12))} refused`);
    t.equal(res.json().field, 'header.idempotency-key');
  }
  t.equal(await noteCount(h), 1);
});

t.test('concurrent requests with one key: one note; the others replay it or get 409', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const body = { text: 'Đã nhận uỷ nhiệm chi 120.000.000 ₫' };
  const answers = await Promise.all(Array.from({ length: 8 }, () => post(h, 'burst-1', body)));
  const fresh = answers.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] !== 'true');
  const replays = answers.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === 'true');
  const busy = answers.filter((r) => r.statusCode === 409);
  t.equal(fresh.length, 1, 'exactly one request ran');
  t.equal(replays.length + busy.length, 7, `the others replayed (${replays.length}) or were told to wait (${busy.length})`);
  for (const r of replays) t.same(r.json(), fresh[0].json(), 'a replay carries the same note');
  for (const r of busy) {
    t.match(r.headers['content-type'], /^application\/problem\+json/);
    t.equal(r.json().field, 'header.idempotency-key');
  }
  t.equal(await noteCount(h), 1, 'one note exists');

  const later = await post(h, 'burst-1', body);
  t.equal(later.statusCode, 201, 'once settled, a retry replays');
  t.equal(later.headers['idempotent-replayed'], 'true');
  t.same(later.json(), fresh[0].json());
});

t.test('refused requests: the same 400 again, nothing written', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const invalid = await post(h, 'bad-1', { text: 5 });
  t.equal(invalid.statusCode, 400);
  t.equal(invalid.json().field, 'text');
  const invalidAgain = await post(h, 'bad-1', { text: 5 });
  t.equal(invalidAgain.statusCode, 400);
  t.same(invalidAgain.json(), invalid.json(), 'the same problem');

  // Refused by the module (the hook's veto), after the key was taken: the refusal is the outcome.
  await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/example`, { settings: { bannedWords: ['lừa đảo'] } }, { token: h.adminToken });
  const vetoed = await post(h, 'veto-1', { text: 'Cảnh báo lừa đảo' });
  t.equal(vetoed.statusCode, 400);
  t.equal(vetoed.json().field, 'text');
  await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/example`, { settings: { bannedWords: [] } }, { token: h.adminToken });
  const vetoedAgain = await post(h, 'veto-1', { text: 'Cảnh báo lừa đảo' });
  t.equal(vetoedAgain.statusCode, 400, 'the retry gets the first answer, not a new attempt');
  t.equal(vetoedAgain.headers['idempotent-replayed'], 'true');
  t.same(vetoedAgain.json(), vetoed.json());
  t.equal(await noteCount(h), 0, 'nothing written');
  t.equal((await h.request('GET', '/api/example/stats')).json().notes, 0);

  const fresh = await post(h, 'veto-2', { text: 'Cảnh báo lừa đảo' });
  t.equal(fresh.statusCode, 201, 'a new key runs again under the new settings');
});

t.test('keys belong to one tenant', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const opts = { token: h.adminToken };
  await h.request('POST', '/api/admin/tenants', { slug: 'binh-minh', name: 'Công ty Bình Minh', currency: 'VND' }, opts);
  await h.request('PUT', '/api/admin/tenants/binh-minh/modules/example', undefined, opts);
  const b = (await h.request('POST', '/api/admin/tenants/binh-minh/tokens', { name: 'Chị Hoa', role: 'clerk' }, opts)).json().token as string;

  const body = { text: 'Nhắc nợ lần 1' };
  const a1 = await post(h, 'shared-key', body);
  t.equal(a1.statusCode, 201);
  const b1 = await post(h, 'shared-key', body, b);
  t.equal(b1.statusCode, 201);
  t.notOk(b1.headers['idempotent-replayed'], "B's request runs: A's key means nothing to B");
  t.not(b1.json().id, a1.json().id);
  const b2 = await post(h, 'shared-key', { text: 'Nhắc nợ lần 2' }, b);
  t.equal(b2.statusCode, 422, "B's key is B's own");
  t.equal(await noteCount(h), 1);
  t.equal(await noteCount(h, b), 1);
  const bRetry = await post(h, 'shared-key', body, b);
  t.same(bRetry.json(), b1.json(), "B's retry replays B's note");
});

t.test("keys belong to one token: another user's request with the same key runs as its own", async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const accountant = await h.tokenFor('accountant');
  const body = { text: 'Đối chiếu công nợ quý 3' };
  const theirs = await post(h, 'same-key', body, accountant.token);
  t.equal(theirs.statusCode, 201);
  const mine = await post(h, 'same-key', body);
  t.equal(mine.statusCode, 201);
  t.notOk(mine.headers['idempotent-replayed'], "the accountant's answer is not replayed to the clerk");
  t.not(mine.json().id, theirs.json().id);
  const other = await post(h, 'same-key', { text: 'khác' });
  t.equal(other.statusCode, 422, "the clerk's key is now the clerk's, with the clerk's body");
  const retry = await post(h, 'same-key', body, accountant.token);
  t.same(retry.json(), theirs.json(), "the accountant's retry still replays the accountant's note");
  t.equal(await noteCount(h), 2);
});
