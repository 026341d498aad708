import t from 'tap';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { detectDelimiter, parseCsv, type Delimiter } from '../import/csv.js';
import { parseCellAmount, parseCellDate } from '../import/values.js';

const CSV = 'text/csv; charset=utf-8';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BOM = '\ufeff';

function upload(h: TestApp, url: string, file: string | Buffer, contentType = CSV, token?: string) {
  return h.request('POST', url, typeof file === 'string' ? Buffer.from(file, 'utf8') : file, { headers: { 'content-type': contentType }, ...(token ? { token } : {}) });
}

async function workbook(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Dữ liệu');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function partnerCount(h: TestApp): Promise<number> {
  return (await h.request('GET', '/api/ledger/partners?limit=1')).json().total.count;
}

t.test('partners from a Vietnamese CSV: BOM, semicolons, quoted separators and line breaks, no district', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const sales = await h.tokenFor('sales');
  await sql`update core_user set email = 'lan.nguyen@acme.vn' where id = ${sales.userId}`.execute(h.db);
  const file = BOM + [
    'STT;Mã khách hàng;Tên khách hàng;Địa chỉ;Phường/Xã;Tỉnh/Thành phố;Mã số thuế;Điện thoại;Email;Nhân viên kinh doanh;Nhóm;Hạn mức nợ;Độ tin cậy;Ghi chú nội bộ',
    '1;KH001;"Công ty TNHH Minh Phát; chi nhánh Sài Gòn";"12 Lê Lợi, tầng 3";Phường Sài Gòn;TP. Hồ Chí Minh;0312345678;0912 345 678;ketoan@minhphat.vn;LAN.NGUYEN@acme.vn;Bán lẻ;"50.000.000";tốt;khách quen',
    '2;KH002;"Hộ kinh doanh ""Cô Ba""";"Thôn 3\nxã Ea Kao";Xã Ea Kao;Đắk Lắk;;;;;;;;',
    ';;;;;;;;;;;;;',
    '',
  ].join('\r\n');
  const res = await upload(h, '/api/ledger/import/partners?format=csv', file);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { dryRun: false, rows: 2, created: 2, updated: 0, unchanged: 0, ignoredColumns: ['Ghi chú nội bộ'] });

  const p1 = (await h.request('GET', '/api/ledger/partners/KH001')).json();
  t.equal(p1.name, 'Công ty TNHH Minh Phát; chi nhánh Sài Gòn');
  t.same(p1.address, { street: '12 Lê Lợi, tầng 3', ward: 'Phường Sài Gòn', province: 'TP. Hồ Chí Minh' }, 'an address without a district is kept as given');
  t.equal(p1.taxCode, '0312345678');
  t.equal(p1.phone, '0912 345 678');
  t.equal(p1.salesperson, sales.userId, 'salesperson found by email, any case');
  t.equal(p1.group, 'Bán lẻ');
  t.equal(p1.creditLimit, '50000000', 'Vietnamese thousands separators read');
  t.equal(p1.trust, 'good');
  const p2 = (await h.request('GET', '/api/ledger/partners/KH002')).json();
  t.equal(p2.name, 'Hộ kinh doanh "Cô Ba"');
  t.equal(p2.address.street, 'Thôn 3\nxã Ea Kao', 'a quoted line break stays in the field');
  t.equal(p2.trust, 'normal');
  t.equal(p2.email, null);

  const audits = await sql<{ action: string; n: bigint }>`select action, count(*) as n from core_audit where module = 'ledger' group by action order by action`.execute(h.db);
  t.same(audits.rows.map((r) => [r.action, Number(r.n)]), [['partner.created', 2], ['partners.imported', 1]]);

  const forSales = await upload(h, '/api/ledger/import/partners', 'ref,name\nKH009,X\n', CSV, sales.token);
  t.equal(forSales.statusCode, 403, 'the sales role does not import');
});

t.test('partners upsert: known refs updated with the cells given, new refs created, identical rows unchanged', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Minh Phát', email: 'old@minhphat.vn', phone: '028 1234', address: { street: '1 Cũ', ward: 'Bến Nghé', district: 'Quận 1', province: 'TP. Hồ Chí Minh' } })).statusCode, 201);
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH002', name: 'Hoà Bình', creditLimit: '1000000' })).statusCode, 201);
  const file = [
    'Ref,Name,E-mail,Phone,Street,Ward,Province,Credit limit,Trust',
    'KH001,,new@minhphat.vn,,"5 Mới, P.2",Phường Sài Gòn,TP. Hồ Chí Minh,,bad',
    'KH002,Hoà Bình,,,,,,"1,000,000",',
    'KH003,Tân Tiến,,,,,,,',
  ].join('\n');
  const dry = await upload(h, '/api/ledger/import/partners?dryRun=true', file);
  t.equal(dry.statusCode, 200, dry.body);
  t.same(dry.json(), { dryRun: true, rows: 3, created: 1, updated: 1, unchanged: 1, ignoredColumns: [] });
  t.equal(await partnerCount(h), 2, 'a dry run writes nothing');

  const res = await upload(h, '/api/ledger/import/partners', file);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { dryRun: false, rows: 3, created: 1, updated: 1, unchanged: 1, ignoredColumns: [] });
  const p1 = (await h.request('GET', '/api/ledger/partners/KH001')).json();
  t.equal(p1.name, 'Minh Phát', 'a blank cell leaves the field as it was');
  t.equal(p1.phone, '028 1234');
  t.equal(p1.email, 'new@minhphat.vn');
  t.equal(p1.trust, 'bad');
  t.same(p1.address, { street: '5 Mới, P.2', ward: 'Phường Sài Gòn', province: 'TP. Hồ Chí Minh' }, 'address parts replace the whole address: the old district goes');
  t.equal((await h.request('GET', '/api/ledger/partners/KH002')).json().creditLimit, '1000000');
  t.equal((await h.request('GET', '/api/ledger/partners/KH003')).json().name, 'Tân Tiến');
  const updated = await sql<{ before: Record<string, unknown>; after: Record<string, unknown> }>`select before, after from core_audit where action = 'partner.updated'`.execute(h.db);
  t.equal(updated.rows.length, 1);
  t.same(updated.rows[0].before, { email: 'old@minhphat.vn', address: { street: '1 Cũ', ward: 'Bến Nghé', district: 'Quận 1', province: 'TP. Hồ Chí Minh' }, trust: 'normal' });
});

t.test('partner rows with errors: every error listed by row and column, nothing written', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Minh Phát' })).statusCode, 201);
  const file = [
    'Mã KH,Tên KH,Email,Hạn mức nợ,Tín nhiệm,Salesperson',
    'KH010,Đúng,,,,',
    'KH011,,,,,',
    'KH012,Sai email,ketoan-at-x.vn,,,',
    'KH013,Sai hạn mức,,"1.234,5",,',
    'KH010,Trùng,,,,',
    'KH014,Tin cậy,,-5,rất tốt,nobody@acme.vn',
    'KH001,,,,,',
    ',Không mã,sai@,,,',
  ].join('\n');
  const res = await upload(h, '/api/ledger/import/partners', file);
  t.equal(res.statusCode, 400, res.body);
  const body = res.json();
  t.equal(body.type, 'urn:congno:problem:import-rejected');
  t.match(body.detail, /9 errors in 6 rows; nothing was imported/);
  t.same(body.errors.map((e: { row: number; column: string; value: string | null }) => [e.row, e.column, e.value]), [
    [3, 'Tên KH', null],
    [4, 'Email', 'ketoan-at-x.vn'],
    [5, 'Hạn mức nợ', '1.234,5'],
    [6, 'Mã KH', 'KH010'],
    [7, 'Hạn mức nợ', '-5'],
    [7, 'Tín nhiệm', 'rất tốt'],
    [7, 'Salesperson', 'nobody@acme.vn'],
    [9, 'Mã KH', null],
    [9, 'Email', 'sai@'],
  ]);
  t.match(body.errors[7].message, /ref is empty/);
  t.match(body.errors[8].message, /not an email address/, 'an empty ref does not hide the row\'s other errors');
  t.match(body.errors[0].message, /name is required for a new partner/);
  t.match(body.errors[2].message, /has decimals; VND amounts are whole numbers/);
  t.match(body.errors[3].message, /already on row 2/);
  t.match(body.errors[4].message, /negative/);
  t.equal(body.errors[0].field, 'row 3: Tên KH');
  t.equal(await partnerCount(h), 1, 'not even the valid row was written');
  const audits = await sql<{ action: string }>`select action from core_audit where action like 'partner%'`.execute(h.db);
  t.same(audits.rows, [{ action: 'partner.created' }], 'only the first partner\'s audit row');
});

t.test('partners from XLSX: title rows above the header, number and rich-text cells', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const file = await workbook([
    ['DANH SÁCH KHÁCH HÀNG'],
    [],
    ['Mã khách hàng', 'Tên khách hàng', 'Địa chỉ', 'Phường xã', 'Tỉnh thành', 'Hạn mức nợ', 'Mã số thuế'],
    [1001, { richText: [{ text: 'Công ty ' }, { text: 'Cổ phần Hưng Thịnh', font: { bold: true } }] }, '45 Trần Phú', 'Phường Hải Châu', 'Đà Nẵng', 200000000, '0401234567'],
    ['KH-02', 'Nhà sách Ánh Dương', null, null, null, '15.000.000', null],
  ]);
  const res = await upload(h, '/api/ledger/import/partners?format=xlsx', file, XLSX);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { dryRun: false, rows: 2, created: 2, updated: 0, unchanged: 0, ignoredColumns: [] });
  const p = (await h.request('GET', '/api/ledger/partners/1001')).json();
  t.equal(p.name, 'Công ty Cổ phần Hưng Thịnh');
  t.equal(p.creditLimit, '200000000');
  t.same(p.address, { street: '45 Trần Phú', ward: 'Phường Hải Châu', province: 'Đà Nẵng' });
  t.equal((await h.request('GET', '/api/ledger/partners/KH-02')).json().creditLimit, '15000000');

  const bad = await workbook([['Mã KH', 'Tên', 'Hạn mức nợ'], ['X1', 'Có số lẻ', 1234.5], ['X2', 'Nhiễu', 0.1 + 0.2]]);
  const refused = await upload(h, '/api/ledger/import/partners', bad, 'application/octet-stream');
  t.equal(refused.statusCode, 400);
  t.same(refused.json().errors.map((e: { row: number; value: string }) => [e.row, e.value]), [[2, '1234.5'], [3, '0.30000000000000004']], 'float cells are refused, never rounded');

  const wrong = await upload(h, '/api/ledger/import/partners?format=csv', file, XLSX);
  t.equal(wrong.statusCode, 400);
  t.match(wrong.json().detail, /XLSX workbook, not CSV text; send it with format=xlsx/);
  const latin1 = await upload(h, '/api/ledger/import/partners', Buffer.from('ref,name\nKH9,C\xf4ng ty\n', 'latin1'));
  t.equal(latin1.statusCode, 400);
  t.match(latin1.json().detail, /not UTF-8 text \(first bad byte on line 2\)/);
  const noHeader = await upload(h, '/api/ledger/import/partners', 'foo,bar\n1,2\n');
  t.equal(noHeader.statusCode, 400);
  t.match(noHeader.json().errors[0].message, /no header row found/);
  const empty = await h.request('POST', '/api/ledger/import/partners', { ref: 'x' });
  t.equal(empty.statusCode, 400, 'a JSON body is not a file');
  t.equal(empty.json().field, 'body');
});

t.test('opening balances per partner: thousands separators, customer credit, one opening per partner', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  for (const ref of ['KH001', 'KH002', 'KH003', 'KH004']) t.equal((await h.request('POST', '/api/ledger/partners', { ref, name: `Khách ${ref}` })).statusCode, 201);
  const file = BOM + 'Mã khách hàng;Tên khách hàng;Số dư;Hạn thanh toán\nKH001;Khách 1;1.234.567;15/01/2027\nKH002;Khách 2;-250.000;\nKH003;Khách 3;0;\nKH004;Khách 4;"12.500.000 ₫";\n';
  const noDate = await upload(h, '/api/ledger/import/opening-balances', file);
  t.equal(noDate.statusCode, 400);
  t.equal(noDate.json().field, 'query.date');

  const dry = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31&dryRun=true', file);
  t.equal(dry.statusCode, 200, dry.body);
  t.same(dry.json(), { dryRun: true, mode: 'partner', date: '2026-12-31', rows: 4, entries: 3, partners: 3, total: '13484567', debit: '13734567', credit: '250000', skipped: 1, ignoredColumns: ['Tên khách hàng'] });
  t.equal((await h.request('GET', '/api/ledger/partners/KH001')).json().balance, '0', 'a dry run posts nothing');

  const keyed = { headers: { 'content-type': CSV, 'idempotency-key': 'opening-2026' } };
  const res = await h.request('POST', '/api/ledger/import/opening-balances?date=2026-12-31', Buffer.from(file), keyed);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { ...dry.json(), dryRun: false });
  const retried = await h.request('POST', '/api/ledger/import/opening-balances?date=2026-12-31', Buffer.from(file), keyed);
  t.equal(retried.statusCode, 201, 'a retry with the same Idempotency-Key gets the first answer');
  t.equal(retried.headers['idempotent-replayed'], 'true');
  t.same(retried.json(), res.json());
  t.equal((await h.request('GET', '/api/ledger/partners/KH001')).json().balance, '1234567', 'posted once');
  t.equal((await h.request('GET', '/api/ledger/partners/KH002')).json().balance, '-250000', 'a negative balance is the customer\'s credit');
  t.equal((await h.request('GET', '/api/ledger/partners/KH003')).json().balance, '0');
  const lines = await sql<{ ref: string; kind: string; journal: string; date: string; date_maturity: string | null; account_code: string; debit: bigint; credit: bigint; amount_residual: bigint }>`
    select p.ref, m.kind, m.journal, l.date, l.date_maturity, l.account_code, l.debit, l.credit, l.amount_residual
    from ledger_move_line l join ledger_move m on m.id = l.move_id join ledger_partner p on p.id = m.partner_id
    where p.ref in ('KH001', 'KH002') order by p.ref, l.account_code`.execute(h.db);
  t.same(lines.rows.map((l) => [l.ref, l.kind, l.journal, l.date, l.date_maturity, l.account_code, l.debit, l.credit, l.amount_residual]), [
    ['KH001', 'opening', 'general', '2026-12-31', '2027-01-15', '131', 1234567n, 0n, 1234567n],
    ['KH001', 'opening', 'general', '2026-12-31', null, '4211', 0n, 1234567n, 0n],
    ['KH002', 'opening', 'general', '2026-12-31', '2026-12-31', '131', 0n, 250000n, -250000n],
    ['KH002', 'opening', 'general', '2026-12-31', null, '4211', 250000n, 0n, 0n],
  ]);
  const account = await sql<{ name: string; kind: string }>`select name, kind from ledger_account where code = '4211'`.execute(h.db);
  t.same(account.rows, [{ name: 'Lợi nhuận sau thuế chưa phân phối (Opening balance counterpart)', kind: 'other' }]);
  const audits = await sql<{ n: bigint }>`select count(*) as n from core_audit where action = 'opening_balance.imported'`.execute(h.db);
  t.equal(Number(audits.rows[0].n), 3);

  const again = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31', 'ref,balance\nKH004,1\nKH003,5\n');
  t.equal(again.statusCode, 400, 'KH004 was opened already');
  t.same(again.json().errors.map((e: { row: number; column: string }) => [e.row, e.column]), [[2, 'ref']]);
  t.match(again.json().errors[0].message, /already has an opening balance \(entry of 2026-12-31\)/);
  t.equal((await h.request('GET', '/api/ledger/partners/KH003')).json().balance, '0', 'nothing of the refused file was posted');
});

t.test('opening balances per open invoice from XLSX; a payment is allocated oldest due first across them', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Minh Phát' })).statusCode, 201);
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH002', name: 'Hoà Bình' })).statusCode, 201);
  const file = await workbook([
    ['Mã KH', 'Số hóa đơn', 'Ngày hóa đơn', 'Hạn thanh toán', 'Số tiền còn lại', 'Diễn giải'],
    ['KH001', 'HD0000123', new Date(Date.UTC(2026, 9, 20)), new Date(Date.UTC(2026, 10, 19)), 3000000, null],
    ['KH001', 'HD0000098', '05/09/2026', '05/10/2026', '1.500.000', 'Hoá đơn tháng 9'],
    ['KH002', 'HD0000111', '2026-11-02', null, 700000, null],
  ]);
  const res = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31', file, XLSX);
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json(), { dryRun: false, mode: 'invoice', date: '2026-12-31', rows: 3, entries: 3, partners: 2, total: '5200000', debit: '5200000', credit: '0', skipped: 0, ignoredColumns: [] });
  const items = await sql<{ ref: string | null; date: string; date_maturity: string; description: string; invoice_id: string | null }>`
    select m.ref, l.date, l.date_maturity, l.description, l.invoice_id from ledger_move_line l join ledger_move m on m.id = l.move_id
    where l.receivable order by l.date`.execute(h.db);
  t.same(items.rows, [
    { ref: 'HD0000098', date: '2026-09-05', date_maturity: '2026-10-05', description: 'Hoá đơn tháng 9', invoice_id: null },
    { ref: 'HD0000123', date: '2026-10-20', date_maturity: '2026-11-19', description: 'Opening balance: HD0000123', invoice_id: null },
    { ref: 'HD0000111', date: '2026-11-02', date_maturity: '2026-11-02', description: 'Opening balance: HD0000111', invoice_id: null },
  ], 'each invoice opened on its own date, due as given (or on its date)');

  const inv = await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2027-01-05', dueDate: '2027-02-04', post: true, lines: [{ description: 'Gạo ST25', quantity: '10', unitPrice: '100000' }] });
  t.equal(inv.statusCode, 201, inv.body);
  t.equal((await h.request('GET', '/api/ledger/partners/KH001')).json().balance, '5500000');

  const pay = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2027-01-10', amount: '2000000' });
  t.equal(pay.statusCode, 201, pay.body);
  // getPayment lists allocations of one payment in no set order: compare them sorted; the residuals below show the order.
  const allocations = (body: { allocations: Array<{ invoice: string | null; amount: string }> }) => body.allocations.map((a) => [a.invoice, a.amount]).sort((a, b) => String(a).localeCompare(String(b)));
  t.same(allocations(pay.json()), [[null, '1500000'], [null, '500000']], 'two opening items, no invoice');
  const residuals = await sql<{ due: string; residual: bigint }>`
    select date_maturity as due, amount_residual as residual from ledger_move_line l join ledger_partner p on p.id = l.partner_id
    where p.ref = 'KH001' and l.receivable and l.debit > 0 order by date_maturity`.execute(h.db);
  t.same(residuals.rows, [{ due: '2026-10-05', residual: 0n }, { due: '2026-11-19', residual: 2500000n }, { due: '2027-02-04', residual: 1000000n }], 'the oldest due opening item settled first, then the next');
  t.equal((await h.request('GET', `/api/ledger/invoices/${inv.json().id}`)).json().paymentState, 'not_paid', 'the posted invoice, due last, is untouched');

  const pay2 = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2027-01-20', amount: '3000000' });
  t.same(allocations(pay2.json()), [[null, '2500000'], [inv.json().id, '500000']].sort((a, b) => String(a).localeCompare(String(b))));
  t.equal((await h.request('GET', `/api/ledger/invoices/${inv.json().id}`)).json().paymentState, 'partial');
  t.equal((await h.request('GET', '/api/ledger/partners/KH001')).json().balance, '500000');
});

t.test('opening balance rows with errors: every error by row, nothing posted', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Minh Phát' })).statusCode, 201);
  const file = [
    'ref,invoice number,invoice date,due date,amount',
    'KH001,HD1,2026-10-01,2026-10-31,1000000',
    'KH999,HD2,2026-10-01,,500000',
    'KH001,HD3,31/02/2026,,500000',
    'KH001,HD4,2026-10-01,2026-09-01,1.5',
    'KH001,HD1,2026-10-02,,200000',
    'KH001,HD5,2027-01-03,,1e3',
    'KH001,,2026-10-01,,100',
  ].join('\n');
  const res = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31', file);
  t.equal(res.statusCode, 400, res.body);
  const errors = res.json().errors as Array<{ row: number; column: string; value: string | null; message: string }>;
  t.same(errors.map((e) => [e.row, e.column, e.value]), [
    [3, 'ref', 'KH999'],
    [4, 'invoice date', '31/02/2026'],
    [5, 'due date', '2026-09-01'],
    [5, 'amount', '1.5'],
    [6, 'invoice number', 'HD1'],
    [7, 'invoice date', '2027-01-03'],
    [7, 'amount', '1e3'],
    [8, 'invoice number', null],
  ]);
  t.match(errors[0].message, /no partner 'KH999'/);
  t.match(errors[1].message, /not a calendar date/);
  t.match(errors[2].message, /before the invoice date 2026-10-01/);
  t.match(errors[3].message, /has decimals; VND amounts are whole numbers/);
  t.match(errors[4].message, /already on row 2/);
  t.match(errors[5].message, /after the closing date 2026-12-31/);
  t.match(errors[6].message, /not an amount/);
  const moves = await sql<{ n: bigint }>`select count(*) as n from ledger_move`.execute(h.db);
  t.equal(Number(moves.rows[0].n), 0, 'nothing posted');

  const both = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31', 'ref,balance,debit\nKH001,1,1\n');
  t.equal(both.statusCode, 400);
  t.match(both.json().errors[0].message, /either one 'balance' column/);
  const split = await upload(h, '/api/ledger/import/opening-balances?date=2026-12-31', 'Mã khách hàng,Dư nợ,Dư có\nKH001,,"300.000"\n');
  t.equal(split.statusCode, 201, split.body);
  t.equal(split.json().total, '-300000', 'dư nợ / dư có columns: debit less credit');
});

t.test('the CSV reader gives back any table written with RFC 4180 quoting', async (t) => {
  const cell = fc.string({ unit: fc.constantFrom('a', 'ă', 'Đ', ' ', ',', ';', '\t', '"', '\n', '\r', '1', '.') , maxLength: 8 });
  const quote = (s: string, d: string) => (/["\n\r]/.test(s) || s.includes(d) || s === '' ? `"${s.replace(/"/g, '""')}"` : s);
  fc.assert(fc.property(fc.constantFrom<Delimiter>(',', ';', '\t'), fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.boolean(), (d, table, crlf) => {
    const text = table.map((r) => r.map((c) => quote(c, d)).join(d)).join(crlf ? '\r\n' : '\n') + (crlf ? '\r\n' : '');
    return JSON.stringify(parseCsv(text, d)) === JSON.stringify(table);
  }), { seed: 4180, numRuns: 300 });
  t.same(parseCsv('a,"b""c",d\r\n"x\ny",z', ','), [['a', 'b"c', 'd'], ['x\ny', 'z']]);
  t.throws(() => parseCsv('a\n"open,b\n', ','), /opened on row 2 is never closed/);
  t.equal(detectDelimiter('DANH SÁCH KHÁCH HÀNG\r\nMã KH;Tên;"Địa chỉ, số nhà"\r\n'), ';', 'a title line above the table does not decide');
  t.equal(detectDelimiter('ref\tname\n'), '\t');
});

t.test('amounts as people write them read back exactly; dates day first', async (t) => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (minor) => {
    const text = (locale: string, currency: string, digits: number) => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(`${minor < 0n ? '-' : ''}${(minor < 0n ? -minor : minor) / 10n ** BigInt(digits)}.${((minor < 0n ? -minor : minor) % 10n ** BigInt(digits)).toString().padStart(digits, '0')}` as unknown as number).replace('−', '-');
    return parseCellAmount({ text: text('vi-VN', 'VND', 0) }, 'VND', { allowNegative: true }) === minor
      && parseCellAmount({ text: text('en-US', 'USD', 2) }, 'USD', { allowNegative: true }) === minor
      && parseCellAmount({ text: text('de-DE', 'EUR', 2) }, 'EUR', { allowNegative: true }) === minor;
  }), { seed: 1234567, numRuns: 200 });
  t.equal(parseCellAmount({ text: '(1.234.567)' }, 'VND', { allowNegative: true }), -1234567n);
  t.equal(parseCellAmount({ text: '1 234 567 ₫' }, 'VND'), 1234567n);
  t.equal(parseCellAmount({ text: '1.234' }, 'VND'), 1234n, 'VND has no decimals: one dot and three digits is thousands');
  t.throws(() => parseCellAmount({ text: '1.234' }, 'USD'), /ambiguous/);
  t.equal(parseCellAmount({ text: '12,50' }, 'USD'), 1250n);
  t.throws(() => parseCellAmount({ text: '1.23.456' }, 'VND'), /wrong places/);
  t.throws(() => parseCellAmount({ text: '-5' }, 'VND'), /negative/);
  t.throws(() => parseCellAmount({ text: '', number: 2 ** 60 }, 'VND'), /too large/);
  t.equal(parseCellDate('5/9/2026'), '2026-09-05');
  t.equal(parseCellDate('2026-09-05 00:00:00'), '2026-09-05');
  t.throws(() => parseCellDate('09/13/2026'), /day first/);
  t.throws(() => parseCellDate('5/9/26'), /not a date/);
});
