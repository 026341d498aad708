/**
 * A salesperson sees bank lines and rules only about their own partners: a line matched to (or
 * suggesting) another salesperson's partner, an unmatched line and another's rule are not shown.
 */
import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/bank-reconciliation';

t.test('bank lines and rules: a salesperson sees only their partners', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  const lan = await h.tokenFor('sales');
  const hung = await h.tokenFor('sales');
  const ok = (res: { statusCode: number; body: string; json(): any }) => { if (res.statusCode >= 300) throw new Error(res.body); return res.json(); };
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát', salesperson: lan.userId, bankAccounts: ['0011001234567'] }));
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH02', name: 'Cửa hàng Ánh Dương', salesperson: hung.userId, bankAccounts: ['0022002345678'] }));
  const inv = async (ref: string, amount: string) => ok(await h.request('POST', '/api/ledger/invoices', { partner: ref, date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: amount }] }));
  const a = await inv('KH01', '500000');
  const b = await inv('KH02', '700000');
  ok(await h.request('POST', `${BASE}/rules`, { name: 'Minh Phát', conditions: { textContains: 'MINH PHAT' }, action: { partner: 'KH01' } }));
  ok(await h.request('POST', `${BASE}/rules`, { name: 'Ánh Dương', conditions: { textContains: 'ANH DUONG' }, action: { partner: 'KH02' } }));

  const file = Buffer.from([
    'Số tài khoản: 0071000123456,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Nội dung',
    `1,05/03/2026,FT1,,500.000,10.500.000,,TT ${a.number}`,
    `2,05/03/2026,FT2,,700.000,11.200.000,,TT ${b.number}`,
    '3,06/03/2026,FT3,,123.000,11.323.000,,KHONG RO',
  ].join('\r\n'));
  const imported = ok(await h.app.inject({ method: 'POST', url: `${BASE}/statements?format=csv`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } }));
  t.equal(imported.autoMatched, 2);

  const refs = (lines: any[]) => lines.map((l) => l.reference).sort();
  t.same(refs(ok(await h.request('GET', `${BASE}/lines`)).items), ['FT1', 'FT2', 'FT3'], 'a clerk sees every line');
  for (const [who, token, mine] of [['Lan', lan.token, 'FT1'], ['Hùng', hung.token, 'FT2']] as const) {
    const all = ok(await h.request('GET', `${BASE}/lines`, undefined, { token }));
    t.same(refs(all.items), [mine], `${who} sees only the line of their partner`);
    t.equal(all.total.count, 1, `${who}: the count too`);
    const inStatement = ok(await h.request('GET', `${BASE}/statements/${imported.id}/lines`, undefined, { token }));
    t.same(refs(inStatement), [mine], `${who}: the statement's lines too`);
    const body = JSON.stringify([all, inStatement]);
    t.notMatch(body, mine === 'FT1' ? /Ánh Dương|700000|KH02/ : /Minh Phát|500000|KH01/, 'nothing of the other partner');
  }
  t.same(ok(await h.request('GET', `${BASE}/rules`, undefined, { token: lan.token })).map((r: any) => r.name), ['Minh Phát'], "a salesperson sees the rules about their partners");
  t.same(ok(await h.request('GET', `${BASE}/rules`)).map((r: any) => r.name).sort(), ['Minh Phát', 'Ánh Dương']);
  const team = await h.tokenFor('sales');
  t.same(ok(await h.request('GET', `${BASE}/lines`, undefined, { token: team.token })).items, [], 'a salesperson without partners sees no line');
});
