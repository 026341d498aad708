import t from 'tap';
import { sql } from 'kysely';
import { addDays, todayIn } from '../../../core/dates.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { invoice, ok, parseCsv, partner, pay, readWorkbook, rowOf } from './report-helpers.js';

const TODAY = todayIn('Asia/Ho_Chi_Minh');

t.test('aging: buckets at their boundaries, credits, by invoice date, as of today and as of a past day', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await partner(h, 'KH-A', 'Công ty TNHH Thương mại Đức Hưng');
  await partner(h, 'KH-B', 'Cửa hàng Bà Tám');
  // Past day: rebuilt from history. Due dates 0, 1, 30, 31, 120 and 121 days before asOf.
  const asOf = '2026-06-30';
  const ages: Array<[number, string]> = [[0, '1000'], [1, '2000'], [30, '4000'], [31, '8000'], [120, '16000'], [121, '32000']];
  for (const [days, amount] of ages) {
    const due = addDays(asOf, -days);
    await invoice(h, 'KH-A', addDays(due, -10), due, amount);
  }
  // KH-B: 10000 invoiced, 15000 paid on 2026-05-20: 5000 unallocated credit, aged by the payment date (41 days).
  await invoice(h, 'KH-B', '2026-05-01', '2026-05-31', '10000');
  await pay(h, 'KH-B', '2026-05-20', '15000');

  const report = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}`));
  t.same(report.buckets, ['1–30', '31–60', '61–90', '91–120', '121+']);
  t.equal(report.asOf, asOf);
  t.same(rowOf(report, 'KH-A'), { partner: rowOf(report, 'KH-A').partner, ref: 'KH-A', name: 'Công ty TNHH Thương mại Đức Hưng', notDue: '1000', columns: ['6000', '8000', '0', '16000', '32000'], total: '63000' });
  t.same(rowOf(report, 'KH-B'), { partner: rowOf(report, 'KH-B').partner, ref: 'KH-B', name: 'Cửa hàng Bà Tám', notDue: '0', columns: ['0', '-5000', '0', '0', '0'], total: '-5000' });
  t.same(report.totals, { notDue: '1000', columns: ['6000', '3000', '0', '16000', '32000'], total: '58000' });
  t.same(report.rows.map((r: any) => r.ref), ['KH-A', 'KH-B'], 'largest total first');
  t.equal(report.count, 2);

  // Other buckets, and ageing by invoice date (the due date − 10 days here).
  const custom = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&buckets=1,31,130`));
  t.same(custom.buckets, ['1–1', '2–31', '32–130', '131+']);
  t.same(rowOf(custom, 'KH-A').columns, ['2000', '12000', '48000', '0']);
  const byDate = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&by=invoiceDate&buckets=30,60,90,120`));
  t.same(rowOf(byDate, 'KH-A'), { ...rowOf(byDate, 'KH-A'), notDue: '0', columns: ['3000', '12000', '0', '0', '48000'], total: '63000' }, 'ages 10, 11, 40, 41, 130, 131 days');

  // The same invoices seen from today: the maintained open items.
  await partner(h, 'KH-C', 'Doanh nghiệp tư nhân Hoà Bình');
  for (const [days, amount] of ages) {
    const due = addDays(TODAY, -days);
    await invoice(h, 'KH-C', addDays(due, -3), due, amount);
  }
  const now = await ok(h.request('GET', '/api/ledger/reports/aging?partner=KH-C'));
  t.equal(now.asOf, TODAY);
  t.same(now.rows, [{ partner: now.rows[0].partner, ref: 'KH-C', name: 'Doanh nghiệp tư nhân Hoà Bình', notDue: '1000', columns: ['6000', '8000', '0', '16000', '32000'], total: '63000' }]);
  const nowAll = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${TODAY}`));
  t.same(rowOf(nowAll, 'KH-C').columns, ['6000', '8000', '0', '16000', '32000']);
  t.same(rowOf(nowAll, 'KH-B').total, '-5000');

  const bad = await h.request('GET', '/api/ledger/reports/aging?buckets=60,30');
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'query.buckets');
  t.equal((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-02-30')).json().field, 'query.asOf');
  t.equal((await h.request('GET', '/api/ledger/reports/aging?partner=NOBODY')).json().field, 'query.partner');
});

t.test('aging: filters by salesperson and group, the sales scope, pagination with totals over every page', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const lan = await h.tokenFor('sales');
  const minh = await h.tokenFor('sales');
  await partner(h, 'P1', 'Khách 1', { salesperson: lan.userId, group: 'HN' });
  await partner(h, 'P2', 'Khách 2', { salesperson: lan.userId, group: 'HCM' });
  await partner(h, 'P3', 'Khách 3', { salesperson: minh.userId, group: 'HCM' });
  await partner(h, 'P4', 'Khách 4', { group: 'HCM' });
  await invoice(h, 'P1', '2026-03-01', '2026-03-31', '300');
  await invoice(h, 'P2', '2026-03-01', '2026-03-31', '100');
  await invoice(h, 'P3', '2026-03-01', '2026-04-30', '400');
  await invoice(h, 'P4', '2026-03-01', '2026-03-31', '200');
  const url = '/api/ledger/reports/aging?asOf=2026-04-15';

  const all = await ok(h.request('GET', url));
  t.same(all.rows.map((r: any) => [r.ref, r.total]), [['P3', '400'], ['P1', '300'], ['P4', '200'], ['P2', '100']]);
  t.same(all.totals, { notDue: '400', columns: ['600', '0', '0', '0', '0'], total: '1000' });

  const page = await ok(h.request('GET', `${url}&limit=2&offset=1`));
  t.same(page.rows.map((r: any) => r.ref), ['P1', 'P4']);
  t.same(page.totals, all.totals, 'totals cover every partner, not the page');
  t.equal(page.count, 4);
  const beyond = await ok(h.request('GET', `${url}&limit=2&offset=10`));
  t.same(beyond.rows, []);
  t.equal(beyond.totals.total, '1000');
  t.same((await ok(h.request('GET', `${url}&sort=ref&limit=3`))).rows.map((r: any) => r.ref), ['P1', 'P2', 'P3']);

  const bySales = await ok(h.request('GET', `${url}&salesperson=${lan.userId}`));
  t.same(bySales.rows.map((r: any) => r.ref), ['P1', 'P2']);
  t.equal(bySales.totals.total, '400');
  const byGroup = await ok(h.request('GET', `${url}&group=HCM`));
  t.same(byGroup.rows.map((r: any) => r.ref), ['P3', 'P4', 'P2']);
  t.equal(byGroup.totals.total, '700');
  t.same((await ok(h.request('GET', `${url}&group=HCM&salesperson=${lan.userId}`))).rows.map((r: any) => r.ref), ['P2']);

  const asLan = await ok(h.request('GET', url, undefined, { token: lan.token }));
  t.same(asLan.rows.map((r: any) => r.ref), ['P1', 'P2'], 'a salesperson sees only their partners');
  t.equal(asLan.totals.total, '400');
  t.same((await ok(h.request('GET', `${url}&salesperson=${minh.userId}`, undefined, { token: lan.token }))).rows, []);
  t.equal((await h.request('GET', `${url}&partner=P3`, undefined, { token: lan.token })).statusCode, 400, "another salesperson's partner is not found");
  t.equal((await h.request('GET', '/api/ledger/partners/P3/statement', undefined, { token: lan.token })).statusCode, 404);
});

t.test('statement: opening balance, movements with running balance, closing; summary per partner', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await partner(h, 'KH-D', 'Công ty TNHH Một thành viên Ánh Dương');
  await partner(h, 'KH-E', 'Hộ kinh doanh Lê Văn Tư');
  const first = await invoice(h, 'KH-D', '2026-02-10', '2026-03-12', '500000');
  await pay(h, 'KH-D', '2026-02-25', '200000', { reference: 'UNC 0225' });
  const second = await invoice(h, 'KH-D', '2026-03-05', '2026-04-04', '300000', 'Dịch vụ lắp đặt');
  const reversal = await ok(h.request('POST', `/api/ledger/invoices/${second.id}/reverse`, { date: '2026-03-10', lines: [{ description: 'Giảm giá', quantity: '1', unitPrice: '50000' }] }));
  await pay(h, 'KH-D', '2026-03-20', '400000', { reference: 'UNC 0320' });
  await invoice(h, 'KH-D', '2026-04-02', '2026-05-02', '70000');
  await invoice(h, 'KH-E', '2026-03-15', '2026-04-14', '90000');

  const s = await ok(h.request('GET', '/api/ledger/partners/KH-D/statement?from=2026-03-01&to=2026-03-31'));
  t.equal(s.opening, '300000', '500000 invoiced − 200000 paid in February');
  t.same(s.lines.map((l: any) => [l.date, l.ref, l.kind, l.debit, l.credit, l.balance]), [
    ['2026-03-05', second.number, 'invoice', '300000', '0', '600000'],
    ['2026-03-10', reversal.creditNote.number, 'credit_note', '0', '50000', '550000'],
    ['2026-03-20', 'UNC 0320', 'payment', '0', '400000', '150000'],
  ]);
  t.equal(s.lines[0].description, second.number);
  t.equal(s.debit, '300000');
  t.equal(s.credit, '450000');
  t.equal(s.closing, '150000');
  const whole = await ok(h.request('GET', '/api/ledger/partners/KH-D/statement?from=2026-01-01&to=2099-12-31'));
  t.equal(whole.opening, '0');
  t.equal(whole.lines.length, 6);
  t.equal(whole.lines[0].ref, first.number);
  t.equal(whole.closing, '220000');
  const kh = await ok(h.request('GET', '/api/ledger/partners/KH-D'));
  t.equal(whole.closing, kh.balance);
  t.same(await ok(h.request('GET', `/api/ledger/partners/${kh.id}/statement?from=2026-03-01&to=2026-03-31`)), s, 'by id as by ref');
  t.equal((await h.request('GET', '/api/ledger/partners/NOBODY/statement')).statusCode, 404);
  t.equal((await h.request('GET', '/api/ledger/partners/KH-D/statement?from=2026-04-01&to=2026-03-01')).json().field, 'query.from');

  const sum = await ok(h.request('GET', '/api/ledger/reports/summary?from=2026-03-01&to=2026-03-31'));
  t.same(sum.rows.map((r: any) => [r.ref, r.name, r.opening, r.debit, r.credit, r.closing]), [
    ['KH-D', 'Công ty TNHH Một thành viên Ánh Dương', '300000', '300000', '450000', '150000'],
    ['KH-E', 'Hộ kinh doanh Lê Văn Tư', '0', '90000', '0', '90000'],
  ]);
  t.same(sum.totals, { opening: '300000', debit: '390000', credit: '450000', closing: '240000' });
  t.equal(sum.count, 2);
  const second2 = await ok(h.request('GET', '/api/ledger/reports/summary?from=2026-03-01&to=2026-03-31&sort=closing&limit=1&offset=1'));
  t.same(second2.rows.map((r: any) => r.ref), ['KH-E'], 'KH-D (150000) first, then KH-E (90000)');
  t.same(second2.totals, sum.totals);
  const april = await ok(h.request('GET', '/api/ledger/reports/summary?from=2026-04-01&to=2026-04-30&group=none'));
  t.same(april.rows, []);
  t.same(april.totals, { opening: '0', debit: '0', credit: '0', closing: '0' });
});

t.test('DSO: receivables ÷ credit sales × days, for the company and per salesperson', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const lan = await h.tokenFor('sales');
  const minh = await h.tokenFor('sales');
  await h.db.updateTable('core_user').set({ name: 'Nguyễn Thị Lan' }).where('id', '=', lan.userId).execute();
  await h.db.updateTable('core_user').set({ name: 'Trần Văn Minh' }).where('id', '=', minh.userId).execute();
  await partner(h, 'L1', 'Khách của Lan', { salesperson: lan.userId });
  await partner(h, 'M1', 'Khách của Minh', { salesperson: minh.userId });
  await invoice(h, 'L1', '2025-12-15', '2026-01-14', '300000'); // before the period: a receivable, not a sale of it
  const big = await ok(h.request('POST', '/api/ledger/invoices', { partner: 'L1', date: '2026-01-20', dueDate: '2026-02-19', post: true, lines: [{ description: 'Máy bơm', quantity: '2', unitPrice: '500000', taxRate: '10' }] }), 201);
  t.equal(big.total, '1100000');
  await invoice(h, 'M1', '2026-02-01', '2026-03-03', '550000');
  await ok(h.request('POST', `/api/ledger/invoices/${big.id}/reverse`, { date: '2026-03-05', lines: [{ description: 'Trả lại', quantity: '1', unitPrice: '100000', taxRate: '10' }] }));
  await pay(h, 'L1', '2026-02-10', '700000');
  await pay(h, 'M1', '2026-04-02', '550000'); // after the period
  await invoice(h, 'M1', '2026-04-03', '2026-05-03', '999000'); // after the period

  const r = await ok(h.request('GET', '/api/ledger/reports/dso?from=2026-01-01&to=2026-03-31&groupBy=salesperson'));
  // receivables at 31/3: 300000 + 1100000 + 550000 − 110000 − 700000 = 1140000; sales 1100000 + 550000 − 110000 = 1540000;
  // 1140000 / 1540000 × 90 = 66.623… → 66.6
  t.same([r.days, r.receivables, r.creditSales, r.dso], [90, '1140000', '1540000', '66.6']);
  t.match(r.formula, /receivables ÷ credit sales × days/);
  t.same(r.rows.map((x: any) => [x.name, x.receivables, x.creditSales, x.dso]), [
    ['Nguyễn Thị Lan', '590000', '990000', '53.6'], // 590000 / 990000 × 90 = 53.636…
    ['Trần Văn Minh', '550000', '550000', '90.0'],
  ]);
  const lanOnly = await ok(h.request('GET', '/api/ledger/reports/dso?from=2026-01-01&to=2026-03-31', undefined, { token: lan.token }));
  t.same([lanOnly.receivables, lanOnly.creditSales, lanOnly.dso], ['590000', '990000', '53.6']);
  t.equal(lanOnly.rows, undefined);
  const quiet = await ok(h.request('GET', '/api/ledger/reports/dso?from=2026-06-01&to=2026-06-30'));
  t.same([quiet.days, quiet.receivables, quiet.creditSales, quiet.dso], [30, '1589000', '0', null]);
});

t.test('exports: CSV with BOM and Vietnamese intact, XLSX with number formats; streamed aging of many partners', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await partner(h, 'KH-A', 'Công ty TNHH Thương mại Đức Hưng, chi nhánh "Hà Nội"');
  await partner(h, 'KH-B', '=Cửa hàng Bà Tám');
  await invoice(h, 'KH-A', '2026-05-01', '2026-05-31', '1234567');
  await invoice(h, 'KH-B', '2026-06-01', '2026-07-01', '1000');
  await pay(h, 'KH-B', '2026-06-10', '3000');

  const csv = await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=csv');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.equal(csv.headers['content-disposition'], 'attachment; filename="aging-2026-06-30.csv"');
  t.same([...csv.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
  const rows = parseCsv(csv.rawPayload);
  t.same(rows, [
    ['Mã khách hàng', 'Tên khách hàng', 'Chưa đến hạn', 'Quá hạn 1–30 ngày', 'Quá hạn 31–60 ngày', 'Quá hạn 61–90 ngày', 'Quá hạn 91–120 ngày', 'Quá hạn 121+ ngày', 'Tổng cộng'],
    ['KH-A', 'Công ty TNHH Thương mại Đức Hưng, chi nhánh "Hà Nội"', '0', '1234567', '0', '0', '0', '0', '1234567'],
    ['KH-B', "'=Cửa hàng Bà Tám", '0', '-2000', '0', '0', '0', '0', '-2000'],
  ], 'a name that looks like a formula is defused');
  const en = parseCsv((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=csv&lang=en&buckets=30')).rawPayload);
  t.same(en[0], ['Partner ref', 'Partner', 'Not due', '1–30 days', '31+ days', 'Total']);

  const refused = await h.request('GET', '/api/ledger/reports/aging?format=xlsx&partner=NOBODY');
  t.equal(refused.statusCode, 400, 'a mistake found before the first row is a problem, not a broken file');
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  t.equal(refused.json().field, 'query.partner');

  const xlsx = await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=xlsx');
  t.equal(xlsx.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const ws = await readWorkbook(xlsx.rawPayload);
  t.equal(ws.getCell('A1').value, 'Mã khách hàng');
  t.equal(ws.getRow(1).font?.bold, true, 'bold header');
  t.equal(ws.views[0].state, 'frozen');
  t.equal((ws.views[0] as { ySplit?: number }).ySplit, 1);
  t.equal(ws.getColumn(2).width, 40);
  t.equal(ws.getCell('B2').value, 'Công ty TNHH Thương mại Đức Hưng, chi nhánh "Hà Nội"');
  t.equal(ws.getCell('D2').value, 1234567);
  t.equal(ws.getCell('D2').numFmt, '#,##0');
  t.equal(ws.getCell('B3').value, '=Cửa hàng Bà Tám', 'a text cell, never a formula');
  t.equal(ws.getCell('I3').value, -2000);
  t.equal(ws.getCell('B4').value, 'Tổng cộng');
  t.equal(ws.getCell('I4').value, 1232567);
  t.equal(ws.getRow(4).font?.bold, true);

  const stmt = await readWorkbook((await h.request('GET', '/api/ledger/partners/KH-B/statement?from=2026-06-01&to=2026-06-30&format=xlsx')).rawPayload);
  t.same((stmt.getRow(1).values as unknown[]).slice(1), ['Ngày', 'Số chứng từ', 'Diễn giải', 'Hạn thanh toán', 'Phát sinh Nợ', 'Phát sinh Có', 'Số dư']);
  t.same((stmt.getCell('A3').value as Date).toISOString(), '2026-06-01T00:00:00.000Z');
  t.equal(stmt.getCell('A3').numFmt, 'dd/mm/yyyy');
  t.same([stmt.getCell('E3').value, stmt.getCell('G3').value, stmt.getCell('F4').value, stmt.getCell('G4').value], [1000, 1000, 3000, -2000]);
  t.same([stmt.getCell('C5').value, stmt.getCell('G5').value], ['Cộng phát sinh và số dư cuối kỳ', -2000]);
  const sumCsv = parseCsv((await h.request('GET', '/api/ledger/reports/summary?from=2026-06-01&to=2026-06-30&format=csv')).rawPayload);
  t.same(sumCsv, [
    ['Mã khách hàng', 'Tên khách hàng', 'Số dư đầu kỳ', 'Phát sinh Nợ', 'Phát sinh Có', 'Số dư cuối kỳ'],
    ['KH-A', 'Công ty TNHH Thương mại Đức Hưng, chi nhánh "Hà Nội"', '1234567', '0', '0', '1234567'],
    ['KH-B', "'=Cửa hàng Bà Tám", '0', '1000', '3000', '-2000'],
  ]);
  const open = parseCsv((await h.request('GET', '/api/ledger/partners/KH-A/statement?type=outstanding&asOf=2026-06-30&format=csv&lang=en')).rawPayload);
  t.same(open.map((r) => [r[3], r[4], r[5], r[6]]), [['Due date', 'Original amount', 'Residual', 'Days overdue'], ['2026-05-31', '1234567', '1234567', '30']]);
  const dso = await readWorkbook((await h.request('GET', '/api/ledger/reports/dso?from=2026-05-01&to=2026-06-30&format=xlsx&lang=en')).rawPayload);
  t.same((dso.getRow(2).values as unknown[]).slice(1), ['Company', 1232567, 1235567, 61, 60.9]);
  t.equal(dso.getCell('E2').numFmt, '0.0');

  // Many partners: the export goes through the cursor page by page; same totals as the JSON report.
  await sql`insert into ledger_partner (tenant_id, ref, name) select ${h.tenant.id}::uuid, 'S' || lpad(n::text, 5, '0'), 'Khách sỉ số ' || n from generate_series(1, 2100) n`.execute(h.db);
  await sql`
    with p as (select id, substr(ref, 2)::int as n from ledger_partner where tenant_id = ${h.tenant.id} and ref like 'S%'),
    m as (insert into ledger_move (tenant_id, kind, journal, date, ref, partner_id)
          select ${h.tenant.id}::uuid, 'opening', 'general', '2026-06-01'::date, 'OB-' || n, id from p returning id, partner_id)
    insert into ledger_move_line (tenant_id, move_id, account_code, partner_id, date, date_maturity, debit, credit, receivable, amount_residual)
    select ${h.tenant.id}::uuid, m.id, '131', m.partner_id, '2026-06-01'::date, '2026-06-15'::date, 1000 + p.n, 0, true, 1000 + p.n from m join p on p.id = m.partner_id
    union all
    select ${h.tenant.id}::uuid, m.id, '511', null, '2026-06-01'::date, null, 0, 1000 + p.n, false, 0 from m join p on p.id = m.partner_id`.execute(h.db);
  const json = await ok(h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&limit=5'));
  t.equal(json.count, 2102);
  t.equal(json.rows.length, 5);
  const full = parseCsv((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=csv')).rawPayload);
  t.equal(full.length, 2103, 'header and every partner');
  t.equal(full.slice(1).reduce((s, r) => s + BigInt(r[8]), 0n).toString(), json.totals.total);
  const book = await readWorkbook((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=xlsx')).rawPayload);
  t.equal(book.rowCount, 2104, 'header, every partner, totals');
  t.equal(String(book.getCell('I2104').value), json.totals.total);
});

t.test('USD books: two decimals in JSON, CSV and XLSX', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'], tenant: { currency: 'USD', locale: 'en-US' } });
  await partner(h, 'US1', 'Saigon Imports LLC');
  await invoice(h, 'US1', '2026-05-01', '2026-05-31', '1250.50');
  await pay(h, 'US1', '2026-06-01', '0.25');
  const r = await ok(h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30'));
  t.same(rowOf(r, 'US1').columns, ['1250.25', '0.00', '0.00', '0.00', '0.00']);
  const csv = parseCsv((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=csv')).rawPayload);
  t.same(csv[0].slice(0, 3), ['Partner ref', 'Partner', 'Not due'], 'English headers for an en locale');
  t.same(csv[1], ['US1', 'Saigon Imports LLC', '0.00', '1250.25', '0.00', '0.00', '0.00', '0.00', '1250.25']);
  const ws = await readWorkbook((await h.request('GET', '/api/ledger/reports/aging?asOf=2026-06-30&format=xlsx')).rawPayload);
  t.equal(ws.getCell('D2').value, 1250.25);
  t.equal(ws.getCell('D2').numFmt, '#,##0.00');
  const stmt = await readWorkbook((await h.request('GET', '/api/ledger/partners/US1/statement?from=2026-05-01&to=2026-06-30&format=xlsx')).rawPayload);
  t.equal(stmt.getCell('A2').numFmt, 'yyyy-mm-dd');
});

t.test('OpenAPI declares the report queries and the CSV and XLSX responses', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const aging = doc.paths['/api/ledger/reports/aging'].get;
  t.ok(aging.parameters.some((p: any) => p.name === 'buckets' && p.in === 'query'));
  t.ok(aging.parameters.some((p: any) => p.name === 'format' && p.in === 'query'));
  t.same(Object.keys(aging.responses['200'].content).sort(), ['application/json', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv']);
  t.ok(doc.paths['/api/ledger/partners/{id}/statement'].get.responses['200'].content['application/json']);
  t.ok(doc.paths['/api/ledger/reports/summary'].get);
  t.ok(doc.paths['/api/ledger/reports/dso'].get);
});
