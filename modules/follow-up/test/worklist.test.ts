/**
 * The clerk's worklist: partners in need of action ranked by overdue × days × trust, calls logged
 * with an outcome (a promise made on the phone, a new date), manual sends warned about when a
 * reminder went out recently, and the partner's timeline showing it all.
 */
import t from 'tap';
import { addDays, todayIn } from '../../../core/dates.js';
import { BASE, followUpApp, invoice, ok, partner, run } from './helpers.js';

const DUE = '2026-03-31';
const day = (n: number): string => addDays(DUE, n);

t.test('worklist, calls, rescheduling, manual sends and the timeline', async (t) => {
  const h = await followUpApp(t);
  const call = ok(await h.request('POST', `${BASE}/levels`, { name: 'Call the customer', delay: 30, channels: ['email'], auto: false }));
  const sales = await h.tokenFor('sales');
  const k1 = await partner(h, 'KH01', { trust: 'bad' });
  const k2 = await partner(h, 'KH02', { trust: 'good', salesperson: sales.userId });
  const k3 = await partner(h, 'KH03');
  await invoice(h, 'KH01', '2000000', '2026-02-01', day(-15));
  await invoice(h, 'KH02', '5000000', '2026-02-01', day(-15));
  const inv3 = await invoice(h, 'KH03', '1000000', '2026-03-01', DUE);

  const r = await run(h, day(20));
  t.same(r.actions.map((a: any) => [a.ref, a.levelName]), [['KH03', 'Quá hạn 15 ngày']], 'the manual level is left to a clerk');
  t.same(r.waiting, { interval: 0, manual: 2 });
  t.match(await h.request('GET', `${BASE}/partners/KH01?date=${day(20)}`).then((x) => x.json()), { status: 'in_need_of_action', manual: true, level: { name: 'Call the customer' } });

  const list = ok(await h.request('GET', `${BASE}/worklist?date=${day(20)}`));
  t.same(list.rows.map((w: any) => [w.ref, w.score, w.level?.name ?? null, w.manual, w.activities.map((a: any) => a.type)]), [
    ['KH01', String(2_000_000n * 35n * 3n), 'Call the customer', true, []],
    ['KH02', String(5_000_000n * 35n * 1n), 'Call the customer', true, []],
    ['KH03', String(1_000_000n * 20n * 2n), null, false, ['call']],
  ], 'ranked by overdue × days × trust (bad 3, normal 2, good 1)');
  t.match(list.rows[0], { overdue: '2000000', daysOverdue: 35, trust: 'bad' });
  const mine = ok(await h.request('GET', `${BASE}/worklist?date=${day(20)}`, undefined, { token: sales.token }));
  t.same(mine.rows.map((w: any) => w.ref), ['KH02'], 'a salesperson sees their own partners');
  t.equal((await h.request('GET', `${BASE}/partners/KH01`, undefined, { token: sales.token })).statusCode, 404, 'and only their status');
  t.equal((await h.request('GET', `${BASE}/partners/KH02`, undefined, { token: sales.token })).statusCode, 200);
  t.equal((await h.request('POST', `${BASE}/runs`, { date: day(20) }, { token: sales.token })).statusCode, 403, 'runs are for accountants and clerks');

  // KH03 promises on the phone: the call is done, the promise pauses the reminders.
  const logged = await h.request('POST', `${BASE}/partners/KH03/calls`, {
    outcome: 'promise_made', notes: 'Kế toán hứa chuyển khoản cuối tuần', promise: { item: inv3.id, amount: '1000000', date: day(27), by: 'Anh Tuấn' },
  });
  t.equal(logged.statusCode, 201, logged.body);
  t.match(logged.json(), { outcome: 'promise_made', activitiesDone: 1 });
  // KH02 does not answer: call again in five days.
  ok(await h.request('POST', `${BASE}/partners/KH02/calls`, { outcome: 'left_voicemail', nextActionDate: addDays(todayIn('Asia/Ho_Chi_Minh'), 5) }));
  const bad = await h.request('POST', `${BASE}/partners/KH02/calls`, { outcome: 'no_answer', nextActionDate: '2020-01-01' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'nextActionDate');
  t.equal((await h.request('POST', `${BASE}/partners/KH02/calls`, { outcome: 'promise_made' })).json().field, 'promise');

  const after = ok(await h.request('GET', `${BASE}/worklist?date=${day(20)}`));
  t.same(after.rows.map((w: any) => w.ref), ['KH01'], 'KH03 called, KH02 rescheduled');

  const timeline = ok(await h.request('GET', `${BASE}/partners/${k3.id}/timeline`));
  t.match(timeline.notes, [
    { kind: 'call', outcome: 'promise_made', text: 'Kế toán hứa chuyển khoản cuối tuần' },
    { kind: 'promise', outcome: null, text: `Promise to pay 1000000 VND on ${inv3.number} by 2026-04-27 (Anh Tuấn, phone): Kế toán hứa chuyển khoản cuối tuần` },
  ], 'newest first');
  t.equal(timeline.notes.length, 2);
  t.match(timeline.actions, [{ channel: 'email', level: { name: 'Quá hạn 15 ngày' }, state: 'pending' }]);
  t.match(timeline.activities, [{ type: 'call', state: 'done' }]);
  void k1; void k2; void call;
});

t.test('a manual send is warned about when a reminder went out recently, and counts for the interval', async (t) => {
  const h = await followUpApp(t);
  const today = todayIn('Asia/Ho_Chi_Minh');
  const manual = ok(await h.request('POST', `${BASE}/levels`, { name: 'Call the customer', delay: 30, channels: ['email'], auto: false }));
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '2000000', addDays(today, -60), addDays(today, -40));
  const sent = await h.request('POST', `${BASE}/partners/KH01/reminders`, {});
  t.equal(sent.statusCode, 201, sent.body);
  t.match(sent.json().actions, [{ ref: 'KH01', levelName: 'Call the customer', channels: ['email'] }]);
  const again = await h.request('POST', `${BASE}/partners/KH01/reminders`, { level: manual.id });
  t.equal(again.statusCode, 409);
  t.match(again.json(), { type: 'urn:congno:problem:reminder-sent-recently', detail: /A reminder went out to KH01 on \d{4}-\d\d-\d\d \(0 days ago\); the minimum interval is 5 days\. Send with "force": true to send anyway\./ });
  const forced = await h.request('POST', `${BASE}/partners/KH01/reminders`, { level: manual.id, force: true });
  t.equal(forced.statusCode, 409);
  t.match(forced.json(), { type: 'urn:congno:problem:level-already-sent' });
  // The run of the same day holds the automatic levels back for the interval.
  t.same((await run(h, today)).actions, []);
  const status = ok(await h.request('GET', `${BASE}/partners/KH01`));
  t.match(status, { status: 'with_overdue_invoices', level: { name: 'Call the customer' }, lastLevel: { name: 'Call the customer', reachedOn: today } });
  const timeline = ok(await h.request('GET', `${BASE}/partners/KH01/timeline`));
  t.match(timeline.notes, [{ kind: 'manual_send', text: "Level 'Call the customer' sent by hand (email)" }]);
  t.equal((await h.request('POST', `${BASE}/partners/KH01/reminders`, { level: 'nope' })).json().field, 'level');
});
