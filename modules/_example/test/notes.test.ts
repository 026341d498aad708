import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { withTenant } from '../../../core/db/kysely.js';

t.test('a clerk writes a note; the hook counts it, the subscriber publishes it once', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'], background: true });
  const created = await h.request('POST', '/api/example/notes', { text: 'Gọi lại cho anh Minh về hoá đơn 0042' });
  t.equal(created.statusCode, 201);
  const note = created.json();
  t.equal(note.text, 'Gọi lại cho anh Minh về hoá đơn 0042');

  const published = await waitFor(async () => {
    const body = (await h.request('GET', `/api/example/notes/${note.id}`)).json() as { publishedAt: string | null };
    return body.publishedAt ? body : null;
  });
  t.ok(published.publishedAt, 'published after commit by the subscriber');
  const stats = (await h.request('GET', '/api/example/stats')).json();
  t.equal(stats.notes, 1, 'counter kept by the sync hook');
});

t.test('the hook vetoes a note with a banned word: nothing is written, the field is named', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const patched = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/example`, { settings: { bannedWords: ['spam'] } }, { token: h.adminToken });
  t.equal(patched.statusCode, 200);
  t.same(patched.json().settings.bannedWords, ['spam']);

  const res = await h.request('POST', '/api/example/notes', { text: 'buy SPAM now' });
  t.equal(res.statusCode, 400);
  t.equal(res.json().field, 'text');
  t.match(res.json().detail, /banned word 'spam'/);
  t.same((await h.request('GET', '/api/example/notes')).json(), [], 'the vetoed note was rolled back');
  t.equal((await h.request('GET', '/api/example/stats')).json().notes, 0);
});

t.test("another module reads the notes through the example's service (public.ts), typed", async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  for (const text of ['Hẹn thanh toán thứ Sáu', 'Đã gửi lại hoá đơn']) t.equal((await h.request('POST', '/api/example/notes', { text })).statusCode, 201);
  // What a module with `depends: ['example']` gets from api.service('example').
  const notes = h.app.congno.service('example');
  t.equal(await withTenant(h.db, h.tenant.id, (trx) => notes.count(trx, h.tenant.id)), 2);
});

t.test('a note names a customer through the ledger (an optional module) when the tenant has it', async (t) => {
  const h = await buildTestApp(t, { modules: ['example', 'ledger'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Công ty TNHH Minh Phát' })).statusCode, 201);
  const created = await h.request('POST', '/api/example/notes', { text: 'Hẹn thanh toán thứ Sáu', partner: 'KH001' });
  t.equal(created.statusCode, 201);
  t.match(created.json().partner, { ref: 'KH001', name: 'Công ty TNHH Minh Phát' });
  t.equal((await h.request('GET', `/api/example/notes/${created.json().id}`)).json().partner.ref, 'KH001');

  const unknown = await h.request('POST', '/api/example/notes', { text: 'Ai đây?', partner: 'KH404' });
  t.equal(unknown.statusCode, 400);
  t.equal(unknown.json().field, 'partner');
  t.match(unknown.json().detail, /no partner 'KH404'/);
});

t.test('without the ledger a note cannot name a customer, and says why', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const res = await h.request('POST', '/api/example/notes', { text: 'Hẹn thanh toán thứ Sáu', partner: 'KH001' });
  t.equal(res.statusCode, 400);
  t.equal(res.json().field, 'partner');
  t.match(res.json().detail, /ledger module is not enabled/);
  t.same((await h.request('GET', '/api/example/notes')).json(), [], 'nothing written');
});
