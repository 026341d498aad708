/**
 * The daily run as a clerk sees it: which partner gets which level on which day across the
 * suggested plan (10 days before due to 400 days overdue), exactly once, with catch-up after
 * missed days, the minimum interval, exclusions, promises, partial payments, a payment between
 * two runs, dry runs, concurrent runs, the scheduled job and the payment.reconciled hook.
 */
import t from 'tap';
import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { onBooks } from '../../ledger/test/fixtures.js';
import { BASE, followUpApp, invoice, ok, partner, pay, run, status } from './helpers.js';

const DUE = '2026-03-31';
const day = (n: number): string => addDays(DUE, n);

async function setMinInterval(h: TestApp, days: number): Promise<void> {
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { minIntervalDays: days } }, { token: h.adminToken }));
}

/** Runs every day from `from` to `to` (offsets from DUE) and returns "offset:level name" for each action of `partnerId`. */
async function daily(h: TestApp, partnerId: string, from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const r = await run(h, day(n));
    for (const a of r.actions) if (a.partner === partnerId) out.push(`${n}:${a.levelName}`);
  }
  return out;
}

async function actionRows(h: TestApp) {
  return h.db.selectFrom('followup_action as a').innerJoin('followup_level as l', 'l.id', 'a.level_id')
    .select(['a.partner_id', 'l.delay', 'a.channel', 'a.state', 'a.date']).orderBy('a.date').orderBy('l.delay').orderBy('a.channel').execute();
}

t.test('daily runs from 10 days before due to 400 days overdue: each level once, on the right day', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1234567', '2026-03-01', DUE);

  const before = await status(h, p.id, day(-10));
  t.match(before, { status: 'no_action_needed', level: null, nextActionDate: day(-3), nextLevel: { name: 'Nhắc trước hạn thanh toán' } });
  t.match(before.reasons.join('\n'), /Next action: level 'Nhắc trước hạn thanh toán' on 2026-03-28, when the oldest item followed up reaches -3 days/);

  const sent = await daily(h, p.id, -10, 400);
  // The due-date reminder waits for the minimum interval (5 days after the one of 28 March).
  t.same(sent, ['-3:Nhắc trước hạn thanh toán', '2:Đến hạn hôm nay', '15:Quá hạn 15 ngày', '60:Quá hạn 60 ngày: thông báo lần cuối']);
  const rows = await actionRows(h);
  t.same(rows.map((r) => `${r.date} ${r.delay} ${r.channel} ${r.state}`), [
    `${day(-3)} -3 email pending`,
    `${day(2)} 0 email pending`,
    `${day(2)} 0 letter missing_contact`,
    `${day(15)} 15 email pending`,
    `${day(60)} 60 email pending`,
    `${day(60)} 60 letter missing_contact`,
  ], 'one row per (level, channel); a partner without a postal address is recorded as missing contact data');
  const calls = await h.db.selectFrom('followup_activity').select(['type', 'due_on']).execute();
  t.same(calls, [{ type: 'call', due_on: day(15) }], 'the 15-day level asks for a call');

  const after = await status(h, p.id, day(400));
  t.match(after, { status: 'with_overdue_invoices', level: { name: 'Quá hạn 60 ngày: thông báo lần cuối' }, nextActionDate: null, lastLevel: { name: 'Quá hạn 60 ngày: thông báo lần cuối', reachedOn: day(60) } });
  t.match(after.reasons.join('\n'), /No further level is ahead in this episode/);
});

t.test('without a minimum interval each level goes out on its own day', async (t) => {
  const h = await followUpApp(t);
  await setMinInterval(h, 0);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1234567', '2026-03-01', DUE);
  t.same(await daily(h, p.id, -10, 70), ['-3:Nhắc trước hạn thanh toán', '0:Đến hạn hôm nay', '15:Quá hạn 15 ngày', '60:Quá hạn 60 ngày: thông báo lần cuối']);
});

t.test('the status explains itself: items, the level rule, the interval, the next date', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  const inv = await invoice(h, 'KH01', '1100000', '2026-03-01', DUE);
  const now = await status(h, p.id, day(20));
  t.match(now, { status: 'in_need_of_action', level: { name: 'Quá hạn 15 ngày', delay: 15 }, nextActionDate: day(20), overdue: '1100000', balance: '1100000' });
  t.same(now.reasons, [
    '1 open item, 1100000 VND in all; 1 overdue on 2026-04-20 (1100000 VND).',
    `${inv.number}: 1100000 VND open, due 2026-03-31 (20 days overdue).`,
    `The oldest item followed up is ${inv.number}, due 2026-03-31: 20 days overdue on 2026-04-20.`,
    "Level rule: the highest level of plan 'default' whose delay is at most 20 is 'Quá hạn 15 ngày' (15 days).",
    "Level 'Quá hạn 15 ngày' is due now (email, call activity): the next run sends it.",
  ]);
  await run(h, day(20));
  const next = await status(h, p.id, day(21));
  t.match(next, { status: 'with_overdue_invoices', level: { name: 'Quá hạn 15 ngày' }, nextActionDate: day(60), nextLevel: { name: 'Quá hạn 60 ngày: thông báo lần cuối' } });
  t.match(next.reasons.join('\n'), /Level 'Quá hạn 15 ngày' was already done in this follow-up episode \(last reminder on 2026-04-20\)/);
  t.match(next.reasons.join('\n'), /Next action: level 'Quá hạn 60 ngày: thông báo lần cuối' on 2026-05-30, when the oldest item followed up reaches 60 days/);

  // A longer minimum interval holds the final notice back until 45 days after the last reminder.
  await setMinInterval(h, 45);
  const held = await status(h, p.id, day(61));
  t.match(held, { status: 'with_overdue_invoices', level: { name: 'Quá hạn 60 ngày: thông báo lần cuối' }, nextActionDate: day(65) });
  t.match(held.reasons.join('\n'), "A reminder went out on 2026-04-20; at least 45 days must pass between two reminders, so level 'Quá hạn 60 ngày: thông báo lần cuối' waits until 2026-06-04.");
  t.match(held.reasons.join('\n'), "Next action: level 'Quá hạn 60 ngày: thông báo lần cuối' on 2026-06-04, when the minimum interval since the last reminder has passed");
  t.same((await run(h, day(61))).waiting, { interval: 1, manual: 0 });
  t.same((await run(h, day(64))).actions, []);
  t.same((await run(h, day(65))).actions.map((a: any) => a.levelName), ['Quá hạn 60 ngày: thông báo lần cuối']);
});

t.test('missed days: one reminder at the right level, not one per day', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '500000', '2026-03-01', DUE);
  const first = await run(h, day(30));
  t.same(first.actions.map((a: any) => [a.ref, a.levelName, a.channels]), [['KH01', 'Quá hạn 15 ngày', ['email']]]);
  const again = await run(h, day(30));
  t.same(again.actions, [], 'the same date twice sends nothing twice');
  t.same((await run(h, day(45))).actions, []);
  const late = await run(h, day(100));
  t.same(late.actions.map((a: any) => a.levelName), ['Quá hạn 60 ngày: thông báo lần cuối']);
  t.equal((await actionRows(h)).length, 3, 'level 15 (email) and the final notice (letter + email)');
  t.equal((await status(h, p.id, day(100))).status, 'with_overdue_invoices');
});

t.test('a payment between two runs: no_action_needed, no reminder; partial payments keep the follow-up going', async (t) => {
  const h = await followUpApp(t);
  await setMinInterval(h, 0);
  const a = await partner(h, 'KH01');
  const b = await partner(h, 'KH02');
  const invA = await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  const invB = await invoice(h, 'KH02', '1000000', '2026-03-01', DUE);
  t.equal((await run(h, day(0))).actions.length, 2);
  await pay(h, 'KH01', '1000000', day(5), invA.id);
  await pay(h, 'KH02', '400000', day(5), invB.id);
  const s = await status(h, a.id, day(16));
  t.match(s, { status: 'no_action_needed', level: null, nextActionDate: null, overdue: '0' });
  t.match(s.reasons, ['The partner has no open invoices.']);
  const r = await run(h, day(16));
  t.same(r.actions.map((x: any) => [x.ref, x.levelName]), [['KH02', 'Quá hạn 15 ngày']], 'only the partner who still owes 600000');
  t.match(await status(h, b.id, day(16)), { status: 'with_overdue_invoices', overdue: '600000' });
  // KH01's episode is over: a new invoice starts again from the first level.
  const fresh = await invoice(h, 'KH01', '200000', '2026-05-01', '2026-06-30');
  void fresh;
  t.same((await run(h, '2026-06-27')).actions.map((x: any) => [x.ref, x.levelName]), [['KH01', 'Nhắc trước hạn thanh toán'], ['KH02', 'Quá hạn 60 ngày: thông báo lần cuối']]);
  const state = await h.db.selectFrom('followup_partner').select(['partner_id', 'episode', 'last_level_delay']).where('partner_id', '=', a.id).executeTakeFirstOrThrow();
  t.match(state, { episode: 2, last_level_delay: -3 });
});

t.test('excluded items are never reminded; a promise pauses until broken, then escalates', async (t) => {
  const h = await followUpApp(t);
  await setMinInterval(h, 0);
  const p = await partner(h, 'KH01');
  const disputed = await invoice(h, 'KH01', '3000000', '2026-01-01', '2026-01-31');
  const promised = await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);

  const excluded = await h.request('PUT', `${BASE}/items/${disputed.id}/exclusion`, { reason: 'dispute', note: 'Hàng giao thiếu 2 thùng' });
  t.equal(excluded.statusCode, 200, excluded.body);
  t.match(excluded.json(), { item: { label: disputed.number, residual: '3000000' }, excluded: { reason: 'dispute', note: 'Hàng giao thiếu 2 thùng' } });
  const withDispute = await status(h, p.id, day(16));
  t.match(withDispute, { status: 'in_need_of_action', level: { delay: 15 } }, 'the level follows the oldest item not excluded (16 days), not the disputed one (75 days)');
  t.match(withDispute.reasons.join('\n'), `${disputed.number}: 3000000 VND open, due 2026-01-31 (75 days overdue) — excluded from follow-up: in dispute (Hàng giao thiếu 2 thùng)`);
  t.same((await run(h, day(16))).actions.map((a: any) => a.levelName), ['Quá hạn 15 ngày']);

  const itemId = (await status(h, p.id, day(16))).items.find((i: any) => i.invoice === promised.id).id;
  const bad = await h.request('PUT', `${BASE}/items/${itemId}/promise`, { amount: '2000000', date: day(70), by: 'Chị Lan (kế toán)', channel: 'phone' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'amount');
  const promise = ok(await h.request('PUT', `${BASE}/items/${itemId}/promise`, { amount: '1000000', date: day(70), by: 'Chị Lan (kế toán)', channel: 'phone' }));
  t.match(promise.promise, { amount: '1000000', date: day(70), by: 'Chị Lan (kế toán)', channel: 'phone' });

  const paused = await status(h, p.id, day(60));
  t.match(paused, { status: 'with_overdue_invoices', nextActionDate: day(71) });
  t.match(paused.reasons.join('\n'), /promise to pay 1000000 VND by 2026-06-09 \(Chị Lan \(kế toán\), by phone\): reminders about it wait until that date has passed unpaid/);
  t.match(paused.reasons.join('\n'), /Every open item is excluded or has a promise to pay running: nothing is followed up now\./);
  const quiet: string[] = [];
  for (let n = 17; n <= 70; n++) quiet.push(...(await run(h, day(n))).actions.map((a: any) => `${n}:${a.levelName}`));
  t.same(quiet, [], 'nothing while the promise runs (the final notice would have gone on day 60)');
  const broken = await run(h, day(71));
  t.same(broken.actions.map((a: any) => a.levelName), ['Quá hạn 60 ngày: thông báo lần cuối'], 'broken: follow-up resumes at the level it has reached');
  t.match((await status(h, p.id, day(71))).items.find((i: any) => i.id === itemId), { promise: { state: 'broken' } });

  // Taking the exclusion back follows the disputed item up again (it is the oldest now).
  ok(await h.request('DELETE', `${BASE}/items/${disputed.id}/exclusion`));
  t.match(await status(h, p.id, day(72)), { status: 'with_overdue_invoices' }, 'its level (final) is already done in this episode');
  const audit = await h.db.selectFrom('core_audit').select('action').where('module', '=', 'follow-up').where('entity', '=', 'open_item').orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['followup.item_excluded', 'followup.promise_recorded', 'followup.item_included']);
});

t.test('an unallocated credit that covers what is open: no reminder', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  // KH02 paid in advance; the invoice came later and the credit is not yet allocated to it.
  const q = await partner(h, 'KH02');
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH02', date: '2026-02-01', amount: '5000000', journal: 'cash' }));
  await invoice(h, 'KH02', '1000000', '2026-03-01', DUE);
  const covered = await status(h, q.id, day(20));
  t.match(covered, { status: 'no_action_needed', balance: '-4000000', overdue: '1000000', nextActionDate: null });
  t.match(covered.reasons.join('\n'), 'The unallocated credit covers everything open: no reminder is sent; allocate it to the invoices.');
  void p;
  t.same((await run(h, day(20))).actions.map((a: any) => a.ref), ['KH01']);
});

t.test('dry run: shows everything that would happen, records and sends nothing', async (t) => {
  const h = await followUpApp(t);
  await partner(h, 'KH01');
  await partner(h, 'KH02', { email: null });
  await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  await invoice(h, 'KH02', '2000000', '2026-03-01', DUE);
  const res = await h.request('POST', `${BASE}/runs`, { date: day(20), dryRun: true });
  t.equal(res.statusCode, 200);
  const dry = res.json();
  t.match(dry, { dryRun: true, date: day(20), partners: 2 });
  t.same(dry.actions.map((a: any) => [a.ref, a.levelName, a.channels, a.activity]), [['KH01', 'Quá hạn 15 ngày', ['email'], 'call'], ['KH02', 'Quá hạn 15 ngày', ['email'], 'call']]);
  t.same(dry.missingContactData.map((m: any) => [m.ref, m.channel, m.missing]), [['KH02', 'email', 'missing contact data: no email address (neither a follow-up contact nor the partner has one)']]);
  t.equal((await actionRows(h)).length, 0, 'no action recorded');
  t.equal((await h.db.selectFrom('followup_partner').selectAll().execute()).length, 0, 'no partner state changed');
  const real = await h.request('POST', `${BASE}/runs`, { date: day(20) });
  t.equal(real.statusCode, 200);
  t.same(real.json().actions.map((a: any) => a.ref), ['KH01', 'KH02']);
  t.same((await actionRows(h)).map((r) => r.state).sort(), ['missing_contact', 'pending']);
  const detail = ok(await h.request('GET', `${BASE}/runs/${real.json().id}`));
  t.match(detail.actions.find((a: any) => a.state === 'missing_contact'), { channel: 'email', recipient: null, result: { reason: /missing contact data/ } });
});

t.test('two runs at once, and a retried request: one reminder', async (t) => {
  const h = await followUpApp(t);
  for (let i = 1; i <= 20; i++) {
    await partner(h, `KH${String(i).padStart(2, '0')}`);
    await invoice(h, `KH${String(i).padStart(2, '0')}`, '1000000', '2026-03-01', DUE);
  }
  const [a, b] = await Promise.all([run(h, day(20)), run(h, day(20))]);
  t.equal(a.actions.length + b.actions.length, 20, 'between them, one action per partner');
  t.equal((await actionRows(h)).length, 20);
  const headers = { 'idempotency-key': 'run-2026-05-01' };
  const first = await h.request('POST', `${BASE}/runs`, { date: day(31) }, { headers });
  const retry = await h.request('POST', `${BASE}/runs`, { date: day(31) }, { headers });
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.json(), first.json());
  const runs = await h.db.selectFrom('followup_run').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(runs.n), 3, 'the retry ran nothing');
});

t.test('the scheduled job asks for one run per day from runHour (tenant time), and the run happens', async (t) => {
  const h = await followUpApp(t);
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  await h.db.updateTable('core_tenant_module').set({ enabled_at: new Date('2026-01-01T00:00:00Z') }).execute();
  const { scheduler, relay } = h.app.congno;
  const drain = async () => { while (await relay.deliverOne()); };
  // 05:30 in Ho Chi Minh City (22:30 UTC the day before): before runHour 6, no run.
  await scheduler.tick(new Date('2026-04-19T22:30:00Z'));
  await drain();
  t.equal((await h.db.selectFrom('followup_run').selectAll().execute()).length, 0, 'not before 06:00');
  // Down from 05:30 until 09:10: only the 09:00 tick is emitted; it is past runHour, so the day's run is asked for.
  await scheduler.tick(new Date('2026-04-20T02:10:00Z'));
  await drain();
  await scheduler.tick(new Date('2026-04-20T03:10:00Z'));
  await drain();
  const runs = await h.db.selectFrom('followup_run').select(['date', 'trigger']).execute();
  t.same(runs, [{ date: '2026-04-20', trigger: 'scheduled' }], 'one run for 20 April, whatever the ticks');
  t.same((await actionRows(h)).map((r) => [r.date, r.delay]), [['2026-04-20', 15]]);
  const requests = await sql<{ dedupe_key: string }>`select dedupe_key from core_event_outbox where name = 'followup.run_requested'`.execute(h.db);
  t.same(requests.rows.map((r) => r.dedupe_key), ['followup:run@2026-04-20']);
});

t.test('payment.reconciled cancels, in its transaction, the reminders not yet sent for the paid invoices', async (t) => {
  const h = await followUpApp(t);
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  const a = await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  const b1 = await invoice(h, 'KH02', '700000', '2026-03-01', DUE);
  await invoice(h, 'KH02', '300000', '2026-03-05', DUE);
  t.equal((await run(h, day(20))).actions.length, 2);
  const payA = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: day(21), amount: '1000000', allocations: [{ invoice: a.id, amount: '1000000' }] }));
  const payB = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH02', date: day(21), amount: '700000', allocations: [{ invoice: b1.id, amount: '700000' }] }));
  t.same((await actionRows(h)).map((r) => r.state), ['pending', 'pending'], 'registered (in payment), not yet confirmed by the bank');
  const { payments } = h.app.congno.service('ledger');
  await onBooks(h, async (books) => {
    await payments.setBankMatched(books, payA.id, true);
    await payments.setBankMatched(books, payB.id, true);
  });
  const rows = await h.db.selectFrom('followup_action').innerJoin('ledger_partner as p', 'p.id', 'followup_action.partner_id').select(['p.ref', 'state', 'result']).orderBy('p.ref').execute();
  t.match(rows, [
    { ref: 'KH01', state: 'cancelled', result: { reason: `paid: payment ${payA.id} was reconciled before the reminder went out` } },
    { ref: 'KH02', state: 'pending', result: null },
  ], "KH02's reminder still goes out: one of its invoices is open");
});
