/**
 * A clerk sees the plan Odoo's follow-up guide suggests seeded on enable, adds, changes and
 * deletes levels, keeps several plans and puts a partner on one.
 */
import t from 'tap';
import { BASE, followUpApp, levels, ok, partner, status } from './helpers.js';

t.test('enabling follow-up seeds the suggested plan, once', async (t) => {
  const h = await followUpApp(t);
  const seeded = await levels(h);
  t.same(seeded.map((l) => [l.plan, l.name, l.delay, l.channels, l.auto, l.template, l.activity?.type ?? null]), [
    ['default', 'Nhắc trước hạn thanh toán', -3, ['email'], true, 'before_due', null],
    ['default', 'Đến hạn hôm nay', 0, ['email', 'letter'], true, 'due', null],
    ['default', 'Quá hạn 15 ngày', 15, ['email'], true, 'overdue', 'call'],
    ['default', 'Quá hạn 60 ngày: thông báo lần cuối', 60, ['letter', 'email'], true, 'final', null],
  ]);
  // Disable and enable again: the company keeps its levels, nothing is seeded twice.
  const url = `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`;
  ok(await h.request('DELETE', url, undefined, { token: h.adminToken }));
  ok(await h.request('PUT', url, undefined, { token: h.adminToken }));
  t.equal((await levels(h)).length, 4);
});

t.test('levels: create, change, delete, and what is refused', async (t) => {
  const h = await followUpApp(t);
  const created = await h.request('POST', `${BASE}/levels`, { name: '30 days overdue', delay: 30, channels: ['email', 'sms'], auto: false, activity: { type: 'task', responsible: 'salesperson', dueInDays: 2 } });
  t.equal(created.statusCode, 201, created.body);
  const level = created.json();
  t.match(level, { plan: 'default', name: '30 days overdue', delay: 30, channels: ['email', 'sms'], auto: false, template: null, activity: { type: 'task', responsible: 'salesperson', dueInDays: 2 } });
  t.same((await levels(h)).map((l) => l.delay), [-3, 0, 15, 30, 60], 'in delay order');

  const sameDelay = await h.request('POST', `${BASE}/levels`, { name: 'Another', delay: 15, channels: ['email'], auto: true });
  t.equal(sameDelay.statusCode, 409);
  t.match(sameDelay.json(), { field: 'delay', detail: "Plan 'default' already has the level 'Quá hạn 15 ngày' at 15 days: a partner's level must never be ambiguous." });
  const sameName = await h.request('POST', `${BASE}/levels`, { name: 'Đến hạn hôm NAY', delay: 1, channels: ['email'], auto: true });
  t.equal(sameName.statusCode, 409);
  t.equal(sameName.json().field, 'name');
  const nothing = await h.request('POST', `${BASE}/levels`, { name: 'Silent', delay: 5, channels: [], auto: true });
  t.equal(nothing.statusCode, 400);
  t.equal(nothing.json().field, 'channels');
  const badChannel = await h.request('POST', `${BASE}/levels`, { name: 'Fax', delay: 5, channels: ['fax'], auto: true });
  t.equal(badChannel.statusCode, 400);
  const badUser = await h.request('POST', `${BASE}/levels`, { name: 'Call', delay: 5, channels: [], auto: true, activity: { type: 'call', responsible: '0b4f6c2e-8d1a-4e7b-9c3f-5a2d1e6b7c80' } });
  t.equal(badUser.statusCode, 400);
  t.equal(badUser.json().field, 'activity.responsible');

  const changed = ok(await h.request('PUT', `${BASE}/levels/${level.id}`, { name: '30 days overdue', delay: 45, channels: ['email'], auto: true }));
  t.match(changed, { delay: 45, channels: ['email'], auto: true, activity: null });
  const sales = await h.tokenFor('sales');
  t.equal((await h.request('PUT', `${BASE}/levels/${level.id}`, { name: 'x', delay: 45, channels: ['email'], auto: true }, { token: sales.token })).statusCode, 403, 'a salesperson may not change levels');

  ok(await h.request('DELETE', `${BASE}/levels/${level.id}`));
  t.same((await levels(h)).map((l) => l.delay), [-3, 0, 15, 60]);
  t.equal((await h.request('GET', `${BASE}/levels/${level.id}`)).statusCode, 200, 'a deleted level is still readable (reminders name it)');
  t.equal((await h.request('PUT', `${BASE}/levels/${level.id}`, { name: 'again', delay: 45, channels: ['email'], auto: true })).statusCode, 409);
  const audit = await h.db.selectFrom('core_audit').select('action').where('module', '=', 'follow-up').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['followup.level_created', 'followup.level_changed', 'followup.level_deleted']);
});

t.test('several plans: a partner on its own plan, others on the default', async (t) => {
  const h = await followUpApp(t);
  for (const l of [
    { plan: 'key accounts', name: 'Courtesy call', delay: 10, channels: [], auto: false, activity: { type: 'call' } },
    { plan: 'key accounts', name: 'Formal reminder', delay: 30, channels: ['email'], auto: true },
  ]) t.equal((await h.request('POST', `${BASE}/levels`, l)).statusCode, 201);
  t.same((await levels(h)).map((l) => `${l.plan}:${l.delay}`), ['default:-3', 'default:0', 'default:15', 'default:60', 'key accounts:10', 'key accounts:30']);
  t.same(ok<any[]>(await h.request('GET', `${BASE}/levels?plan=key%20accounts`)).map((l) => l.name), ['Courtesy call', 'Formal reminder']);

  const big = await partner(h, 'KH01');
  const small = await partner(h, 'KH02');
  const unknown = await h.request('PUT', `${BASE}/partners/${big.id}`, { plan: 'vip' });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { field: 'plan', detail: /plan 'vip' has no levels/ });
  const set = ok(await h.request('PUT', `${BASE}/partners/KH01`, { plan: 'key accounts' }));
  t.equal(set.plan, 'key accounts');
  t.equal((await status(h, big.id, '2026-03-01')).plan, 'key accounts');
  t.equal((await status(h, small.id, '2026-03-01')).plan, 'default');
  const back = ok(await h.request('PUT', `${BASE}/partners/KH01`, { plan: null }));
  t.equal(back.plan, 'default', 'null: back to the default plan');
  t.equal((await h.request('GET', `${BASE}/partners/NOPE`)).statusCode, 404);
});
