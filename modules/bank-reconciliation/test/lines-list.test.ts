/**
 * The bank worklist as a list: GET /lines filters by match state, account, partner, dates,
 * amounts, direction and text (without diacritics), pages by cursor and gives the count and sum.
 */
import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, importCsv, statementCsv } from './helpers.js';

const ok = (res: { statusCode: number; body: string; json(): any }) => { if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`); return res.json(); };

t.test('the bank worklist: filters, sums and pages', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' }));
  const inv = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '500000' }] }));
  ok(await importCsv(h, statementCsv([
    ['05/03/2026', 'FT1', '500.000', '10.500.000', '0011001234567', `TT ${inv.paymentReference}`],
    ['06/03/2026', 'FT2', '123.000', '10.623.000', '', 'Chuyển tiền Đông Á không rõ'],
    ['07/03/2026', 'FT3', '2.000.000', '12.623.000', '', 'NOP TIEN MAT'],
  ])));
  const list = async (query = '') => ok(await h.request('GET', `${BASE}/lines?${query}`));
  const refs = (page: any) => page.items.map((l: any) => l.reference);

  const all = await list();
  t.same(refs(all), ['FT1', 'FT2', 'FT3'], 'oldest first');
  t.same(all.total, { count: 3, amount: '2623000' });
  t.same(refs(await list('state=matched')), ['FT1']);
  t.same((await list('state=matched')).items[0].partner.ref, 'KH01');
  t.same(refs(await list('state=unmatched')), ['FT2', 'FT3']);
  t.same(refs(await list('partner=KH01')), ['FT1']);
  t.same(refs(await list('account=0071000123456')), ['FT1', 'FT2', 'FT3'], 'by account number');
  t.same(refs(await list('account=9999')), []);
  t.same(refs(await list('dateFrom=2026-03-06&dateTo=2026-03-06')), ['FT2']);
  t.same(refs(await list('amountMin=200000&amountMax=600000')), ['FT1']);
  t.same(refs(await list('direction=out')), []);
  t.same(refs(await list(`q=${encodeURIComponent('dong a')}`)), ['FT2'], 'the description without diacritics');
  t.same(refs(await list('q=tien%20mat')), ['FT3']);
  t.same(refs(await list('sort=-amount')), ['FT3', 'FT1', 'FT2']);

  const first = await list('limit=2');
  t.same(refs(first), ['FT1', 'FT2']);
  const second = await list(`limit=2&cursor=${first.next}`);
  t.same(refs(second), ['FT3']);
  t.equal(second.next, null);

  const csv = await h.request('GET', `${BASE}/lines?state=unmatched`, undefined, { headers: { accept: 'text/csv' } });
  t.equal(csv.statusCode, 200);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines[0], 'Ngày,Ngày hiệu lực,Số tiền,Số tham chiếu,Người chuyển,Tài khoản đối ứng,Nội dung,Trạng thái,Mã khách hàng,Khách hàng,Quy tắc,Lý do');
  t.same(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(',')), ['2026-03-06,,123000,FT2', '2026-03-07,,2000000,FT3'], 'the same filter, every row');
  t.match((await h.request('GET', `${BASE}/lines?format=xlsx`)).headers['content-type'], /spreadsheetml/);

  // A clerk matches the cash deposit to an invoice by the number she reads, not its id.
  const cash = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-02', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '2000000' }] }));
  const ft3 = (await list('q=tien%20mat')).items[0];
  const matched = ok(await h.request('POST', `${BASE}/lines/${ft3.id}/match`, { invoices: [cash.number] }));
  t.equal(matched.matchState, 'matched');
  t.same(matched.matches[0].invoices.map((i: any) => i.number), [cash.number]);
  const unknown = await h.request('POST', `${BASE}/lines/${ft3.id}/unmatch`);
  t.equal(unknown.statusCode, 200);
  const wrong = await h.request('POST', `${BASE}/lines/${ft3.id}/match`, { invoices: ['INV/2026/99999'] });
  t.equal(wrong.statusCode, 400);
  t.equal(wrong.json().field, 'invoices[0]');

  for (const [query, field] of [['dateFrom=2026-02-30', 'dateFrom'], ['amountMin=1.5', 'amountMin'], ['cursor=xyz', 'cursor']]) {
    const res = await h.request('GET', `${BASE}/lines?${query}`);
    t.equal(res.statusCode, 400, query);
    t.equal(res.json().field, field);
  }
});
