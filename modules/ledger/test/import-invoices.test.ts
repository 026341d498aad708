/**
 * Invoices from a file (POST /api/ledger/import/invoices): a row per invoice line, grouped by the
 * invoice's number, posted with its due date, payment term or default; importing twice doubles
 * nothing; every bad row named; a dry run keeps nothing.
 */
import t from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok } from './fixtures.js';

const upload = (h: TestApp, query: string, file: string) =>
  h.request('POST', `/api/ledger/import/invoices${query}`, Buffer.from(file, 'utf8'), { headers: { 'content-type': 'text/csv; charset=utf-8' } });

const FILE = [
  'Mã KH,Ký hiệu,Số hóa đơn,Ngày hóa đơn,Hạn thanh toán,Tên hàng hóa,Số lượng,Đơn giá,Thuế suất',
  'KH001,C26TAA,0000123,02/11/2026,02/12/2026,Xi măng PCB40,100,"95.000",8%',
  'KH001,C26TAA,0000123,02/11/2026,02/12/2026,Vận chuyển,1,"500.000",10%',
  'KH002,C26TAA,0000124,03/11/2026,,Thép cuộn,"2,5","18.000.000",5',
].join('\r\n');

t.test('an export of an invoicing system: lines grouped by number, posted, the external number kept; twice doubles nothing', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Công ty TNHH Minh Phát' });
  await newPartner(h, 'KH002', { name: 'Cửa hàng Đông Á' });

  const dry = await upload(h, '?dryRun=true', FILE);
  t.equal(dry.statusCode, 200, dry.body);
  t.same(dry.json(), { dryRun: true, rows: 3, invoices: 2, partners: 2, total: String(10260000 + 550000 + 47250000), ignoredColumns: [] });
  t.equal(await count(h, 'ledger_invoice'), 0, 'a dry run keeps nothing');

  const res = await upload(h, '', FILE);
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().invoices, 2);
  const list = ok(await h.request('GET', '/api/ledger/invoices?sort=date'));
  t.same(list.items.map((i: any) => [i.partner.ref, i.date, i.dueDate, i.total, i.state]), [
    ['KH001', '2026-11-02', '2026-12-02', '10810000', 'posted'],
    ['KH002', '2026-11-03', '2026-11-03', '47250000', 'posted'],
  ]);
  const first = ok(await h.request('GET', `/api/ledger/invoices/${list.items[0].id}`));
  t.same(first.lines.map((l: any) => [l.description, l.quantity, l.unitPrice, l.taxRate, l.tax]), [
    ['Xi măng PCB40', '100', '95000', '8', '760000'],
    ['Vận chuyển', '1', '500000', '10', '50000'],
  ]);
  t.match(first.einvoice, { series: 'C26TAA', number: '0000123' }, 'the external number kept');

  const again = await upload(h, '', FILE);
  t.equal(again.statusCode, 400);
  t.same(again.json().errors.map((e: any) => [e.row, e.column]), [[2, 'Số hóa đơn'], [4, 'Số hóa đơn']]);
  t.match(again.json().errors[0].message, /imported before/);
  t.equal(await count(h, 'ledger_invoice'), 2, 'nothing posted twice');
});

t.test('every bad row named by row and column; the books refuse what they must; nothing written', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Minh Phát' });
  const bad = await upload(h, '', [
    'ref,invoice number,invoice date,description,quantity,unit price,tax rate',
    'KH001,A1,2026-11-02,Hàng,1,100000,10',
    'KH001,A2,2026-13-02,Hàng,1,100000,10',
    'KH001,A3,2026-11-02,,1,100000,10',
    'KH001,A4,2026-11-02,Hàng,-1,100000,10',
    'KH001,A5,2026-11-02,Hàng,1,100000,mười',
  ].join('\n'));
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors.map((e: any) => [e.row, e.column]), [[3, 'invoice date'], [4, 'description'], [5, 'quantity'], [6, 'tax rate']]);
  const books = await upload(h, '', 'ref,invoice date,description,quantity,unit price,tax rate\nKH404,2026-11-02,Hàng,1,100000,10\nKH001,2026-11-02,Hàng,1,100000,150\n');
  t.equal(books.statusCode, 400);
  t.same(books.json().errors.map((e: any) => [e.row, e.column]), [[2, 'ref'], [3, 'tax rate']]);
  t.equal(await count(h, 'ledger_invoice'), 0);
});

t.test('a discount row (negative unit price) lowers its invoice; one larger than the goods of its rate is refused on its invoice\'s row', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Minh Phát' });
  const head = 'ref,invoice number,invoice date,description,quantity,unit price,tax rate';
  const res = await upload(h, '', [head, 'KH001,A1,2026-11-02,Xi măng,100,95000,8', 'KH001,A1,2026-11-02,Chiết khấu thương mại,1,"-100.000",8'].join('\n'));
  t.equal(res.statusCode, 201, res.body);
  const [invoice] = ok(await h.request('GET', '/api/ledger/invoices')).items;
  t.equal(invoice.total, String((9500000 - 100000) * 108 / 100));
  const bad = await upload(h, '', [head, 'KH001,A2,2026-11-02,Xi măng,1,95000,8', 'KH001,A2,2026-11-02,Chiết khấu,1,-100000,8'].join('\n'));
  t.equal(bad.statusCode, 400);
  t.match(bad.json().errors, [{ row: 2, message: /a discount may not exceed the goods of its rate/ }]);
  t.equal(await count(h, 'ledger_invoice'), 1);
});
