/**
 * A company's own headers, saved once per import (GET/PUT/DELETE /api/ledger/import/mappings/{kind}):
 * a file its accounting system exports imports without renaming a column; the mapping is checked,
 * audited, the company's alone, and forgotten on request.
 */
import t from 'tap';
import { createTenantToken } from '../../../core/auth/tokens.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { createTenant } from '../../../core/tenants.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok } from './fixtures.js';

const upload = (h: TestApp, kind: string, file: string, token?: string) =>
  h.request('POST', `/api/ledger/import/${kind}`, Buffer.from(file, 'utf8'), { token, headers: { 'content-type': 'text/csv; charset=utf-8' } });

// As a MISA-style sales journal writes it: none of these headers is one the import knows.
const OWN_FILE = [
  'Mã khách,Số CT,Ngày CT,Hạn nợ,Mặt hàng,Khối lượng,Giá bán,VAT (%)',
  'KH001,HD-0001,02/11/2026,02/12/2026,Xi măng PCB40,100,"95.000",8',
  'KH001,HD-0001,02/11/2026,02/12/2026,Vận chuyển,1,"500.000",10',
].join('\r\n');
const OWN_HEADERS = { 'Mã khách': 'ref', 'Số CT': 'document', 'Ngày CT': 'date', 'Hạn nợ': 'dueDate', 'Mặt hàng': 'description', 'Khối lượng': 'quantity', 'Giá bán': 'unitPrice', 'VAT (%)': 'taxRate' };

t.test('saved once, a file with the company\'s own headers imports; forgotten, it is refused again', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Công ty TNHH Minh Phát' });

  const refused = await upload(h, 'invoices', OWN_FILE);
  t.equal(refused.statusCode, 400, 'without a mapping the import finds no invoice date (only "Mã khách" is a header it knows)');
  t.match(refused.json().errors, [{ row: 1, column: 'invoice date', message: /^the invoice date column is missing/ }]);

  const empty = ok(await h.request('GET', '/api/ledger/import/mappings/invoices'));
  t.same([empty.kind, empty.columns, empty.updatedAt], ['invoices', {}, null]);
  t.same(empty.available.map((c: any) => c.key), ['ref', 'document', 'series', 'date', 'dueDate', 'paymentTerm', 'description', 'quantity', 'unitPrice', 'taxRate']);
  t.ok(empty.available.find((c: any) => c.key === 'document').headers.includes('số hóa đơn'), 'the headers read without a mapping are listed');

  const saved = await h.request('PUT', '/api/ledger/import/mappings/invoices', { columns: OWN_HEADERS });
  t.equal(saved.statusCode, 200, saved.body);
  t.same(saved.json().columns, OWN_HEADERS);
  t.match(saved.json().updatedAt, /^\d{4}-\d{2}-\d{2}T/);

  const dry = await upload(h, 'invoices?dryRun=true', OWN_FILE);
  t.equal(dry.statusCode, 200, dry.body);
  t.same(dry.json(), { dryRun: true, rows: 2, invoices: 1, partners: 1, total: String(9500000 + 760000 + 500000 + 50000), ignoredColumns: [] });
  const done = await upload(h, 'invoices', OWN_FILE);
  t.equal(done.statusCode, 201, done.body);
  const [invoice] = ok(await h.request('GET', '/api/ledger/invoices')).items;
  t.same([invoice.partner.ref, invoice.date, invoice.dueDate, invoice.total], ['KH001', '2026-11-02', '2026-12-02', '10810000']);
  t.match(ok(await h.request('GET', `/api/ledger/invoices/${invoice.id}`)).einvoice, { number: 'HD-0001' }, "the company's own number kept");

  const audit = ok(await h.request('GET', '/api/audit?object=import_mapping', undefined, { token: (await h.tokenFor('accountant')).token }));
  t.match(audit.items, [{ action: 'import_mapping.saved', object: { type: 'import_mapping', id: 'invoices' }, after: OWN_HEADERS }], 'who saved which headers is in the audit log');

  t.equal((await h.request('DELETE', '/api/ledger/import/mappings/invoices')).statusCode, 204);
  t.equal((await upload(h, 'invoices', OWN_FILE.replace('HD-0001', 'HD-0002').replace('HD-0001', 'HD-0002'))).statusCode, 400, 'forgotten: refused again');
  const again = await h.request('DELETE', '/api/ledger/import/mappings/invoices');
  t.equal(again.statusCode, 404);
  t.match(again.json(), { detail: 'no saved mapping for the invoices import' });
  t.equal(await count(h, 'ledger_invoice'), 1);
});

t.test('a saved header wins over a built-in one, and mappings are per import', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Minh Phát' });
  await newPartner(h, 'KH002', { name: 'Đông Á' });
  await upload(h, 'invoices', 'ref,invoice number,invoice date,description,quantity,unit price,tax rate\nKH001,A1,2026-11-02,Hàng,1,1000000,10\nKH002,A2,2026-11-03,Hàng,1,500000,10');

  // "Diễn giải" is read as the receipt's own reference by default; in this company's file it holds the invoice number.
  const receipts = 'Mã KH,Ngày,Số tiền,Diễn giải\nKH001,2026-11-10,400000,A1\nKH002,2026-11-11,550000,A2\n';
  t.equal((await h.request('PUT', '/api/ledger/import/mappings/receipts', { columns: { 'Diễn giải': 'invoice', 'Mã KH': 'ref', 'Số tiền': 'amount' } })).statusCode, 200);
  const res = await upload(h, 'receipts', receipts);
  t.equal(res.statusCode, 201, res.body);
  const invoices = ok(await h.request('GET', '/api/ledger/invoices?sort=number')).items;
  t.same(invoices.map((i: any) => [i.partner.ref, i.residual, i.paymentState]), [['KH001', '700000', 'partial'], ['KH002', '0', 'in_payment']], 'each receipt went to the invoice its "Diễn giải" names, by the number the customer knows (the e-invoice number)');
  t.same(ok(await h.request('GET', '/api/ledger/import/mappings/invoices')).columns, {}, 'the invoice import keeps its own (none)');
});

t.test('a mapping is checked header by header; nothing is saved from a bad one', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const put = (kind: string, body: unknown) => h.request('PUT', `/api/ledger/import/mappings/${kind}`, body);

  const unknown = await put('invoices', { columns: { 'Mã KH': 'ref', 'Kho': 'warehouse' } });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { detail: /^'warehouse' is not a column of this import; one of ref, document, series, date/, errors: [{ field: 'columns.Kho' }] });
  const twins = await put('invoices', { columns: { 'Số CT': 'document', 'so ct': 'document' } });
  t.equal(twins.statusCode, 400);
  t.match(twins.json(), { detail: "headers 'Số CT' and 'so ct' are the same once case and accents are set aside; keep one" });
  const blank = await put('partners', { columns: { '---': 'ref' } });
  t.match(blank.json(), { status: 400, detail: "header '---' has no letter or digit to recognise it by" });
  const kind = await put('suppliers', { columns: {} });
  t.equal(kind.statusCode, 400, 'an unknown import');
  const shape = await put('invoices', { columns: ['ref'] });
  t.equal(shape.statusCode, 400, 'columns is an object');
  t.equal(await count(h, 'ledger_import_mapping'), 0);
});

t.test("a company's mapping is its own", async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  t.equal((await h.request('PUT', '/api/ledger/import/mappings/invoices', { columns: OWN_HEADERS })).statusCode, 200);
  const other = await createTenant(h.db, { slug: 'beta', name: 'Beta JSC', currency: 'VND' });
  await h.app.congno.enablement.enable(other.id, 'ledger', SYSTEM_ACTOR);
  const { token } = await createTenantToken(h.db, other.id, 'Beta clerk', 'clerk');
  t.same(ok(await h.request('GET', '/api/ledger/import/mappings/invoices', undefined, { token })).columns, {}, 'the other company sees none');
  const theirs = await upload(h, 'invoices', OWN_FILE, token);
  t.equal(theirs.statusCode, 400, "and its import does not read the first company's headers");
});
