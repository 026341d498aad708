/**
 * GET /actions: every reminder the runs decided, filtered by partner, channel, state, level,
 * run and dates, newest first, paged by cursor, with the count per state.
 */
import t from 'tap';
import { BASE, followUpApp, invoice, ok, partner, run } from './helpers.js';

t.test('the reminders as a working list', async (t) => {
  const h = await followUpApp(t);
  const lan = await h.tokenFor('sales');
  await partner(h, 'KH001', { name: 'Công ty TNHH Minh Phát', salesperson: lan.userId });
  await partner(h, 'KH002', { name: 'Cửa hàng Đông Á', email: null });
  await invoice(h, 'KH001', '1000000', '2026-10-01', '2026-10-31');
  await invoice(h, 'KH002', '2000000', '2026-10-01', '2026-10-31');
  const first = await run(h, '2026-11-05');
  const second = await run(h, '2026-11-20');
  t.ok(first.actions.length > 0 && second.actions.length > 0, 'both runs acted');

  const list = async (query = '', token?: string) => ok(await h.request('GET', `${BASE}/actions?${query}`, undefined, token ? { token } : {}));
  const all = await list('limit=500');
  t.equal(all.total.count, all.items.length);
  t.ok(all.items.length >= 2);
  t.same(all.items.map((a: any) => a.date), [...all.items.map((a: any) => a.date)].sort().reverse(), 'newest first');
  t.same(Object.values(all.total.byState).reduce((s: number, n: any) => s + n, 0), all.total.count, 'the states add up');

  const kh2 = await list('partner=KH002');
  t.ok(kh2.items.length > 0 && kh2.items.every((a: any) => a.partner.ref === 'KH002'));
  t.ok(kh2.items.some((a: any) => a.channel === 'email' && a.state === 'missing_contact'), 'no email address: said so');
  const missing = await list('state=missing_contact&channel=email');
  t.ok(missing.items.every((a: any) => a.state === 'missing_contact' && a.channel === 'email'));
  t.ok(missing.items.every((a: any) => typeof a.result === 'string' && a.result.length > 0), 'why, in words');

  const ofRun = await list(`run=${first.id}`);
  t.ok(ofRun.items.length > 0 && ofRun.items.every((a: any) => a.run === first.id && a.date === '2026-11-05'));
  t.same((await list('dateFrom=2026-11-06')).items.map((a: any) => a.run).filter((r: string) => r !== second.id), [], 'by date');
  t.ok((await list(`q=${encodeURIComponent('dong a')}`)).items.every((a: any) => a.partner.ref === 'KH002'), 'q without diacritics');
  const level = all.items[0].level;
  t.ok((await list(`level=${encodeURIComponent(level.name)}`)).items.every((a: any) => a.level.id === level.id), 'level by name');

  const seen: string[] = [];
  let page = await list('limit=1');
  for (;;) {
    seen.push(...page.items.map((a: any) => a.id));
    if (!page.next) break;
    page = await list(`limit=1&cursor=${page.next}`);
  }
  t.same(seen, all.items.map((a: any) => a.id), 'pages cover the list once, in order');

  const mine = await list('', lan.token);
  t.ok(mine.items.length > 0 && mine.items.every((a: any) => a.partner.ref === 'KH001'), "a salesperson sees their partners' reminders only");

  const csv = await h.request('GET', `${BASE}/actions?partner=KH002&sort=date`, undefined, { headers: { accept: 'text/csv' } });
  t.equal(csv.statusCode, 200);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines[0], 'Ngày,Kênh,Trạng thái,Mã khách hàng,Khách hàng,Cấp nhắc nợ,Người nhận,Số khoản nợ,Kết quả');
  t.equal(lines.length - 1, kh2.total.count, 'every action of the filter');
  t.ok(lines.slice(1).every((l) => l.includes(',KH002,Cửa hàng Đông Á,')));

  for (const [query, field] of [['dateTo=2026-11-31', 'dateTo'], ['cursor=nope', 'cursor']]) {
    const res = await h.request('GET', `${BASE}/actions?${query}`);
    t.equal(res.statusCode, 400, query);
    t.equal(res.json().field, field);
  }
});
