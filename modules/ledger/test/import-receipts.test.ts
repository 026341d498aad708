/**
 * Receipts from a file (POST /api/ledger/import/receipts): one payment per row, allocated to the
 * invoice named or oldest due first, every bad row reported by row and column with nothing
 * written, a dry run that does the work and keeps nothing.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok, postedInvoice } from './fixtures.js';

const upload = (h: TestApp, query: string, file: string | Buffer, contentType = 'text/csv; charset=utf-8') =>
  h.request('POST', `/api/ledger/import/receipts${query}`, typeof file === 'string' ? Buffer.from(file, 'utf8') : file, { headers: { 'content-type': contentType } });

async function books(t: Parameters<typeof buildTestApp>[0]) {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Công ty TNHH Minh Phát' });
  await newPartner(h, 'KH002', { name: 'Cửa hàng Đông Á' });
  const a1 = await postedInvoice(h, 'KH001', '1000000', '2026-10-01', '2026-10-31');
  const a2 = await postedInvoice(h, 'KH001', '2000000', '2026-10-05', '2026-11-04');
  const b1 = await postedInvoice(h, 'KH002', '500000', '2026-10-10', '2026-11-09');
  return { h, a1, a2, b1 };
}

t.test('a bank export of receipts with Vietnamese headers: each row a payment, allocated as named or oldest due first', async (t) => {
  const { h, a1, a2, b1 } = await books(t);
  const file = [
    'STT,Mã KH,Ngày,Số tiền,Nội dung,Số hóa đơn,Hình thức',
    `1,KH001,05/11/2026,"2.000.000",CK thanh toan ${a2.number},${a2.number},Chuyển khoản`,
    '2,KH001,06/11/2026,"1.200.000",Minh Phat tra tien,,Tiền mặt',
    '3,KH002,2026-11-07,500000,DONG A,,',
  ].join('\r\n');
  const dry = await upload(h, '?dryRun=true', file);
  t.equal(dry.statusCode, 200, dry.body);
  t.same(dry.json(), { dryRun: true, rows: 3, payments: 3, partners: 2, total: '3700000', ignoredColumns: [] });
  t.equal(await count(h, 'ledger_payment'), 0, 'a dry run keeps nothing');

  const res = await upload(h, '', file);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { dryRun: false, rows: 3, payments: 3, partners: 2, total: '3700000', ignoredColumns: [] });
  const invoice = async (id: string) => ok(await h.request('GET', `/api/ledger/invoices/${id}`));
  t.equal((await invoice(a2.id)).residual, '0', 'the invoice named is paid');
  t.equal((await invoice(a1.id)).residual, '0', 'the next receipt paid the oldest due first');
  t.equal((await invoice(b1.id)).residual, '0');
  const payments = ok(await h.request('GET', '/api/ledger/payments?sort=date'));
  t.same(payments.items.map((p: any) => [p.partner.ref, p.date, p.amount, p.journal, p.unallocated]), [
    ['KH001', '2026-11-05', '2000000', 'bank', '0'],
    ['KH001', '2026-11-06', '1200000', 'cash', '200000'],
    ['KH002', '2026-11-07', '500000', 'bank', '0'],
  ], 'what is more than open stays as the customer\'s credit');
  t.equal(payments.items[0].reference, `CK thanh toan ${a2.number}`);
  const audit = ok(await h.request('GET', '/api/audit?action=payment.registered', undefined, { token: (await h.tokenFor('accountant')).token }));
  t.equal(audit.items.length, 3, 'each payment audited as if registered by hand');
});

t.test('every bad row is named by row and column, and nothing is written', async (t) => {
  const { h, a1 } = await books(t);
  const file = [
    'ref,date,amount,invoice number,journal',
    'KH001,2026-11-05,400000,,',
    'KH404,2026-11-05,100000,,',
    'KH001,31/02/2026,100000,,',
    'KH001,2026-11-05,-5,,',
    'KH001,2026-11-05,100000,,séc',
    `KH001,2026-11-05,1500000,${a1.number},`,
    'KH002,2026-11-05,100000,INV/2026/99999,',
  ].join('\n');
  const res = await upload(h, '', file);
  t.equal(res.statusCode, 400);
  t.equal(res.json().type, 'urn:congno:problem:import-rejected');
  const found = res.json().errors.map((e: any) => [e.row, e.column]);
  t.same(found.slice(0, 3), [[4, 'date'], [5, 'amount'], [6, 'journal']], 'the rows readable alone first');
  t.equal(await count(h, 'ledger_payment'), 0);

  // With only the rows the books refuse: the ledger's findings said of the file's rows.
  const books2 = ['ref,date,amount,invoice number', 'KH001,2026-11-05,400000,', 'KH404,2026-11-05,100000,', `KH001,2026-11-05,1500000,${a1.number}`, 'KH002,2026-11-05,100000,INV/2026/99999'].join('\n');
  const refused = await upload(h, '', books2);
  t.equal(refused.statusCode, 400);
  t.same(refused.json().errors.map((e: any) => [e.row, e.column]), [[3, 'ref'], [4, 'invoice number'], [5, 'invoice number']]);
  t.match(refused.json().errors[0].message, /KH404/);
  t.match(refused.json().errors[1].message, /open on invoice/);
  t.equal(await count(h, 'ledger_payment'), 0, 'nothing written');

  const noAmount = await upload(h, '', 'ref,date\nKH001,2026-11-05\n');
  t.equal(noAmount.statusCode, 400);
  t.match(noAmount.json().errors[0], { row: 1, column: 'amount' });
});

t.test('a workbook works the same', async (t) => {
  const { h } = await books(t);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Thu tiền');
  ws.addRow(['Mã khách hàng', 'Ngày thu', 'Số tiền thu', 'Diễn giải']);
  ws.addRow(['KH002', new Date(Date.UTC(2026, 10, 8)), 500000, 'Đông Á trả']);
  const res = await upload(h, '', Buffer.from(await wb.xlsx.writeBuffer()), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().total, '500000');
});
