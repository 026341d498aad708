/**
 * The clerk's working lists: GET /api/ledger/invoices and /payments — filters, sorting, cursor
 * paging that loses and repeats nothing while rows are added, the filtered set's count and sums,
 * the sales role's scope, and the same list as CSV and XLSX.
 */
import t from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { readFirstSheet } from '../../../core/spreadsheet.js';
import { newPartner, ok, postedInvoice } from './fixtures.js';

type Page = { items: Array<Record<string, any>>; next: string | null; total: Record<string, any> };

async function books(t: Parameters<typeof buildTestApp>[0]) {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const lan = await h.tokenFor('sales');
  await newPartner(h, 'KH001', { name: 'Công ty TNHH Minh Phát', salesperson: lan.userId });
  await newPartner(h, 'KH002', { name: 'CÔNG TY CP ĐÔNG Á' });
  await newPartner(h, 'KH003', { name: 'Hợp tác xã Bình Minh', salesperson: lan.userId });
  // Today is after 2026 and before 2099: what is due in 2026 is overdue.
  const inv = {
    a: await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31'),
    b: await postedInvoice(h, 'KH001', '2500000', '2026-01-05', '2099-12-31'),
    c: await postedInvoice(h, 'KH002', '7000000', '2026-01-02', '2026-02-28'),
    d: await postedInvoice(h, 'KH003', '300000', '2026-01-03', '2026-02-15'),
  };
  const draft = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH002', date: '2026-01-04', dueDate: '2026-02-04', lines: [{ description: 'Nháp', quantity: '1', unitPrice: '50000' }] }));
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-20', amount: '1000000', reference: 'CK Minh Phat HD1' }));
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH002', date: '2026-01-21', amount: '3000000', reference: 'Dong A tra truoc' }));
  ok(await h.request('POST', `/api/ledger/invoices/${inv.c.id}/reverse`, { date: '2026-01-22', reason: 'sai giá' }));
  await newPartner(h, 'KH004', { name: 'Nhà sách Phương Nam' });
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH004', date: '2026-01-23', amount: '400000', reference: 'Tra truoc' }));
  return { h, lan, inv, draft };
}

const get = async (h: TestApp, path: string, token?: string): Promise<Page> => ok(await h.request('GET', path, undefined, token ? { token } : {}));
const numbers = (p: Page) => p.items.map((i) => i.number);

t.test('invoices: each filter narrows to what a clerk means, with the count and sums of the filtered set', async (t) => {
  const { h, inv } = await books(t);
  const all = await get(h, '/api/ledger/invoices');
  t.equal(all.total.count, 6, 'four invoices, a draft and the credit note of the reversal');
  t.same(all.items.map((i) => i.date), ['2026-01-22', '2026-01-05', '2026-01-04', '2026-01-03', '2026-01-02', '2026-01-01'], 'newest first by default');
  t.equal(all.total.amount, String(1000000 + 2500000 + 7000000 + 300000 + 50000 - 7000000), 'credit notes count negative');

  const kh1 = await get(h, '/api/ledger/invoices?partner=KH001');
  t.same(kh1.items.map((i) => i.id).sort(), [inv.a.id, inv.b.id].sort(), 'partner by ref');
  t.same((await get(h, `/api/ledger/invoices?partner=${kh1.items[0].partner.id}`)).total.count, 2, 'partner by id');
  t.same((await get(h, '/api/ledger/invoices?partner=KH404')).items, [], 'an unknown partner finds nothing');

  t.same(numbers(await get(h, '/api/ledger/invoices?paymentState=in_payment')), [inv.a.number], 'paid by the payment (oldest due first), not yet confirmed by the bank');
  t.same(numbers(await get(h, '/api/ledger/invoices?state=draft')), [null]);
  const overdue = await get(h, '/api/ledger/invoices?overdue=true&sort=dueDate');
  t.same(numbers(overdue), [inv.d.number], 'posted, open and due before today: not the paid one, the reversed one or the credit note');
  t.ok(overdue.items[0].daysOverdue > 200);
  t.same(overdue.total, { count: 1, amount: '300000', residual: '300000' });

  t.same(numbers(await get(h, '/api/ledger/invoices?kind=credit_note')).length, 1);
  t.same(numbers(await get(h, '/api/ledger/invoices?dateFrom=2026-01-02&dateTo=2026-01-03&sort=date')), [inv.c.number, inv.d.number]);
  t.same(numbers(await get(h, '/api/ledger/invoices?dueFrom=2099-01-01')), [inv.b.number]);
  t.same(numbers(await get(h, '/api/ledger/invoices?amountMin=1000000&amountMax=2500000&kind=invoice&sort=total')), [inv.a.number, inv.b.number]);
  t.same(numbers(await get(h, `/api/ledger/invoices?number=${inv.d.number.slice(-3).toLowerCase()}&kind=invoice`)), [inv.d.number], 'number contains, any case');

  for (const q of ['minh phat', 'MINH PHÁT', 'Minh Phát', 'công ty tnhh', 'kh001']) {
    t.same((await get(h, `/api/ledger/invoices?q=${encodeURIComponent(q)}&sort=date`)).items.map((i) => i.partner.ref), ['KH001', 'KH001'], `q=${q}`);
  }
  t.same(new Set((await get(h, `/api/ledger/invoices?q=${encodeURIComponent('dong a')}`)).items.map((i) => i.partner.ref)), new Set(['KH002']), 'Đ folds to d');
  t.same(new Set((await get(h, '/api/ledger/invoices?q=minh')).items.map((i) => i.partner.ref)), new Set(['KH001', 'KH003']), 'in the middle of a name too');

  t.same(numbers(await get(h, '/api/ledger/invoices?sort=-total&kind=invoice&state=posted&limit=2')), [inv.c.number, inv.b.number]);
});

t.test('invoices: pages cover the list exactly once, even while invoices are added between them', async (t) => {
  const { h } = await books(t);
  const seen: string[] = [];
  let path = '/api/ledger/invoices?limit=2&sort=date';
  let pages = 0;
  for (;;) {
    const page = await get(h, path);
    seen.push(...page.items.map((i) => i.id));
    pages++;
    t.equal(page.total.count, 6 + (pages - 1), 'the count is of the list as it is now');
    // A new invoice dated before everything already shown: it belongs on a page already read.
    await postedInvoice(h, 'KH002', '10000', '2025-12-01', '2026-01-01');
    if (!page.next) break;
    path = `/api/ledger/invoices?limit=2&sort=date&cursor=${page.next}`;
  }
  t.equal(new Set(seen).size, seen.length, 'no invoice twice');
  t.equal(seen.length, 6, 'the six there from the start, none lost; the ones dated earlier fell before the cursor');
});

t.test('invoices: a cursor that is not one of this list is a 400 naming cursor', async (t) => {
  const { h } = await books(t);
  const first = await get(h, '/api/ledger/invoices?limit=1');
  for (const [cursor, why] of [['not-a-cursor', /not one this list gave/], [first.next!, /sorted by '-date', not 'total'/]] as const) {
    const res = await h.request('GET', `/api/ledger/invoices?limit=1&sort=total&cursor=${cursor}`);
    t.equal(res.statusCode, 400);
    t.equal(res.json().field, 'cursor');
    t.match(res.json().detail, why);
  }
  const bad = await h.request('GET', '/api/ledger/invoices?dateFrom=2026-13-01');
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'dateFrom');
  const amount = await h.request('GET', '/api/ledger/invoices?amountMin=1.5');
  t.equal(amount.statusCode, 400, 'VND has no decimals');
  t.equal(amount.json().field, 'amountMin');
});

t.test("a salesperson's lists hold only their partners' invoices and payments", async (t) => {
  const { h, lan } = await books(t);
  const invoices = await get(h, '/api/ledger/invoices', lan.token);
  t.same(new Set(invoices.items.map((i) => i.partner.ref)), new Set(['KH001', 'KH003']));
  t.equal(invoices.total.count, 3);
  const payments = await get(h, '/api/ledger/payments', lan.token);
  t.same(payments.items.map((p) => p.partner.ref), ['KH001']);
  t.same((await get(h, '/api/ledger/invoices?partner=KH002', lan.token)).items, [], "another salesperson's partner: nothing");
});

t.test('payments: filters, sums and what is left unallocated', async (t) => {
  const { h } = await books(t);
  const all = await get(h, '/api/ledger/payments');
  t.same(all.items.map((p) => p.partner.ref), ['KH004', 'KH002', 'KH001'], 'newest first');
  t.same(all.total, { count: 3, amount: '4400000', unallocated: '400000' }, 'the bookshop paid before any invoice: its payment is its credit');
  t.same((await get(h, '/api/ledger/payments?unallocated=true')).items.map((p) => p.partner.ref), ['KH004']);
  t.same((await get(h, '/api/ledger/payments?reference=minh%20PHAT')).items.map((p) => p.partner.ref), ['KH001'], 'reference contains, any case');
  t.same((await get(h, '/api/ledger/payments?q=%C4%91%C3%B4ng')).items.map((p) => p.partner.ref), ['KH002'], 'q=đông');
  t.same((await get(h, '/api/ledger/payments?amountMin=2000000')).items.map((p) => p.amount), ['3000000']);
  t.same((await get(h, '/api/ledger/payments?partner=KH004')).items.map((p) => p.reference), ['Tra truoc']);
  t.same((await get(h, '/api/ledger/payments?dateTo=2026-01-20')).items.map((p) => p.date), ['2026-01-20']);
  t.same((await get(h, '/api/ledger/payments?bankMatched=true')).total.count, 0);
  const paged = await get(h, '/api/ledger/payments?limit=2&sort=amount');
  t.same(paged.items.map((p) => p.amount), ['400000', '1000000']);
  const last = await get(h, `/api/ledger/payments?limit=2&sort=amount&cursor=${paged.next}`);
  t.same(last.items.map((p) => p.amount), ['3000000']);
  t.equal(last.next, null, 'the last page says so');
});

t.test('the same filtered list as CSV (Accept: text/csv) and as a workbook, every row, Vietnamese headers', async (t) => {
  const { h, inv } = await books(t);
  const csv = await h.request('GET', '/api/ledger/invoices?partner=KH001&sort=date&limit=1', undefined, { headers: { accept: 'text/csv' } });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines[0], 'Loại,Số hoá đơn,Trạng thái,Thanh toán,Mã khách hàng,Khách hàng,Ngày,Hạn thanh toán,Tiền tệ,Mã thanh toán,Tổng cộng,Còn phải thu,Số ngày quá hạn');
  t.equal(lines.length, 3, 'every row of the filter, not one page');
  t.match(lines[1], `invoice,${inv.a.number},posted,in_payment,KH001,Công ty TNHH Minh Phát,2026-01-01,2026-01-31,VND,${inv.a.paymentReference},1000000,0,0`);

  const partners = await h.request('GET', '/api/ledger/partners?format=csv&lang=en&sort=ref');
  t.same(partners.body.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(',')[0]), ['Ref', 'KH001', 'KH002', 'KH003', 'KH004'], 'partners too');

  const xlsx = await h.request('GET', '/api/ledger/payments?format=xlsx&lang=en');
  t.equal(xlsx.statusCode, 200);
  const rows = await readFirstSheet(new Uint8Array(xlsx.rawPayload));
  t.same(rows[0].cells.map((c) => c.text).slice(0, 4), ['Date', 'Partner ref', 'Partner', 'Amount']);
  t.same(rows.slice(1).map((r) => r.cells[1].text), ['KH004', 'KH002', 'KH001']);
});

t.test('an invoice is found by its number wherever a path takes its id', async (t) => {
  const { h, inv } = await books(t);
  const byNumber = (number: string) => encodeURIComponent(number);
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${byNumber(inv.b.number)}`)).id, inv.b.id);
  const reversed = ok(await h.request('POST', `/api/ledger/invoices/${byNumber(inv.d.number)}/reverse`, { date: '2026-01-25' }));
  t.equal(reversed.invoice.id, inv.d.id);
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${byNumber(reversed.creditNote.number)}`)).kind, 'credit_note', 'a credit note by its number too');
  const missing = await h.request('GET', `/api/ledger/invoices/${byNumber('INV/2026/99999')}`);
  t.equal(missing.statusCode, 404);
  t.match(missing.json().detail, 'No invoice INV/2026/99999.');
  t.equal((await h.request('DELETE', `/api/ledger/invoices/${byNumber(inv.b.number)}`)).statusCode, 409, 'a posted invoice is not deleted, by number either');
  t.equal((await h.request('DELETE', '/api/ledger/invoices/not-a-number')).statusCode, 404);
});
