/**
 * Numbers as people send them (issue #12): quantities, unit prices, tax rates and amounts take a
 * JSON number as well as a decimal string wherever the number is exact in its unit; any other
 * number is a 400 naming the field and asking for a decimal string. Answers keep decimal strings.
 */
import t, { type Test } from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok } from './fixtures.js';

/** A refusal: 400 problem naming `field` and asking for a decimal string. */
async function refused(t: Test, h: TestApp, method: 'POST', url: string, body: unknown, field: string, what: string): Promise<void> {
  const res = await h.request(method, url, body);
  t.equal(res.statusCode, 400, `${what}: 400 (${res.body})`);
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: a problem document`);
  t.equal(res.json().field, field, `${what}: names ${field}`);
  t.match(res.json().detail, /send it as a decimal string/, `${what}: asks for a decimal string`);
}

/** Every decimal of an answer is a string. */
function allStrings(t: Test, values: unknown[], what: string): void {
  t.ok(values.every((v) => typeof v === 'string'), `${what}: decimal strings (${JSON.stringify(values)})`);
}

t.test('VND company: exact JSON numbers are taken for quantities, unit prices, tax rates and amounts', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const partner = await newPartner(h, 'KH001', { creditLimit: 50000000 });
  t.equal(partner.creditLimit, '50000000', 'credit limit as a number, answered as a string');
  // Received before any invoice: it stays unallocated until applied below.
  const credit = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-01', amount: 300000 }));

  const lines = [
    { description: 'Bàn làm việc', quantity: 1, unitPrice: 1250000, taxRate: 10 },
    { description: 'Giấy A4 (thùng)', quantity: 2.5, unitPrice: 200000, taxRate: 8 },
  ];
  const inv = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-05-01', dueDate: '2026-05-31', post: true, lines }));
  t.same(inv.lines.map((l: any) => [l.quantity, l.unitPrice, l.taxRate, l.subtotal, l.tax]), [
    ['1', '1250000', '10', '1250000', '125000'],
    ['2.5', '200000', '8', '500000', '40000'],
  ]);
  t.same([inv.untaxed, inv.tax, inv.total, inv.residual], ['1750000', '165000', '1915000', '1915000']);
  const asStrings = ok(await h.request('POST', '/api/ledger/invoices', {
    partner: 'KH001', date: '2026-05-01', dueDate: '2026-05-31', post: true,
    lines: lines.map((l) => ({ ...l, quantity: String(l.quantity), unitPrice: String(l.unitPrice), taxRate: String(l.taxRate) })),
  }));
  t.same(asStrings.lines, inv.lines, 'the same invoice sent with decimal strings');
  t.equal(asStrings.total, inv.total);

  const payment = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: 400000, allocations: [{ invoice: inv.id, amount: 400000 }] }));
  t.same([payment.amount, payment.allocated, payment.unallocated], ['400000', '400000', '0']);
  allStrings(t, payment.allocations.map((a: any) => a.amount), 'allocations');

  const allocated = await h.request('POST', '/api/ledger/allocations', { payment: credit.id, invoice: inv.id, amount: 100000 });
  t.equal(allocated.statusCode, 201, allocated.body);
  t.same(allocated.json().allocated, '100000');

  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '5000' } }, { token: h.adminToken }));
  const small = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-05-01', dueDate: '2026-05-31', post: true, lines: [{ description: 'Phí', quantity: 1, unitPrice: 3000 }] }));
  const writtenOff = ok(await h.request('POST', `/api/ledger/invoices/${small.id}/write-off`, { amount: 3000 }));
  t.same([writtenOff.residual, writtenOff.paymentState], ['0', 'paid'], 'write-off amount as a number');

  const reversed = ok(await h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { lines: [{ description: 'Trả lại giấy', quantity: 0.5, unitPrice: 200000, taxRate: 8 }] }));
  t.same([reversed.creditNote.total, reversed.creditNote.lines[0].quantity], ['108000', '0.5'], 'a partial credit with numbers');

  const bulk = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [{ partner: 'KH001', date: '2026-05-04', dueDate: '2026-06-03', lines: [{ description: 'Mực in', quantity: 3, unitPrice: 150000, taxRate: 10 }] }] });
  t.equal(bulk.statusCode, 201, bulk.body);
  t.equal(bulk.json().invoices[0].total, '495000');
  const bulkPayments = await h.request('POST', '/api/ledger/payments/bulk', { payments: [{ partner: 'KH001', date: '2026-05-05', amount: 495000, allocations: [{ invoice: bulk.json().invoices[0].id, amount: 495000 }] }] });
  t.equal(bulkPayments.statusCode, 201, bulkPayments.body);
  t.same([bulkPayments.json().payments[0].amount, bulkPayments.json().payments[0].allocated], ['495000', '495000']);

  const audit = await h.db.selectFrom('core_audit').select('after').where('action', '=', 'payment.registered').execute();
  t.ok(audit.every((a) => typeof (a.after as { amount: unknown }).amount === 'string'), 'the audit keeps amounts as decimal strings');
});

t.test('VND company: numbers that are not exact are refused, naming the field; nothing is stored', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const invoice = (line: Record<string, unknown>) => ({ partner: 'KH001', date: '2026-05-01', lines: [{ description: 'Hàng', quantity: 1, unitPrice: 1000, ...line }] });
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ unitPrice: 1000.5 }), 'lines[0].unitPrice', 'unit price 1000.5 VND');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ unitPrice: 2 ** 53 + 2 }), 'lines[0].unitPrice', 'unit price 2^53 + 2');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ unitPrice: 1e21 }), 'lines[0].unitPrice', 'unit price 1e21');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ quantity: 0.1 + 0.2 }), 'lines[0].quantity', 'quantity 0.30000000000000004');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ quantity: 2 ** 53 + 2 }), 'lines[0].quantity', 'quantity 2^53 + 2');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ taxRate: 0.1 + 0.2 }), 'lines[0].taxRate', 'tax rate 0.30000000000000004');
  await refused(t, h, 'POST', '/api/ledger/invoices', invoice({ taxRate: 1e-7 }), 'lines[0].taxRate', 'tax rate 1e-7');
  await refused(t, h, 'POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: 1000.5 }, 'amount', 'payment 1000.5 VND');
  await refused(t, h, 'POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: 2 ** 53 + 2 }, 'amount', 'payment 2^53 + 2');
  await refused(t, h, 'POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: 1e21 }, 'amount', 'payment 1e21');
  await refused(t, h, 'POST', '/api/ledger/partners', { ref: 'KH002', name: 'B', creditLimit: 0.5 }, 'creditLimit', 'credit limit 0.5 VND');

  const bulk = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [{ partner: 'KH001', date: '2026-05-04', lines: [{ description: 'Mực in', quantity: 1, unitPrice: 1000.5 }] }] });
  t.equal(bulk.statusCode, 400);
  t.equal(bulk.json().field, 'invoices[0].lines[0].unitPrice');
  t.match(bulk.json().detail, /send it as a decimal string/);
  t.equal(await count(h, 'ledger_invoice'), 0, 'no invoice stored');
  t.equal(await count(h, 'ledger_payment'), 0, 'no payment stored');

  const sent = await h.request('POST', '/api/ledger/invoices', invoice({ quantity: true }));
  t.equal(sent.statusCode, 400, 'neither a string nor a number');
  t.equal(sent.json().field, 'lines[0].quantity');
});

t.test('USD company: 12.5 is taken, 12.345 is not', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'], tenant: { currency: 'USD' } });
  await newPartner(h, 'C-100');
  const inv = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-01', dueDate: '2026-05-31', post: true, lines: [{ description: 'Widget', quantity: 2, unitPrice: 12.5, taxRate: 10 }] }));
  t.same([inv.lines[0].unitPrice, inv.untaxed, inv.tax, inv.total], ['12.50', '25.00', '2.50', '27.50']);
  const paid = ok(await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: 12.5, allocations: [{ invoice: inv.id, amount: 0.1 }] }));
  t.same([paid.amount, paid.allocated, paid.unallocated], ['12.50', '0.10', '12.40']);
  await refused(t, h, 'POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-01', lines: [{ description: 'Widget', quantity: 1, unitPrice: 12.345 }] }, 'lines[0].unitPrice', 'unit price 12.345 USD');
  await refused(t, h, 'POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: 0.1 + 0.2 }, 'amount', 'payment 0.30000000000000004 USD');
  await refused(t, h, 'POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: 90071992547409.01 }, 'amount', 'a number a double cannot tell from the next cent');
  t.equal(ok(await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '90071992547409.01' })).amount, '90071992547409.01', 'the same amount as a decimal string is exact');
});

t.test('/openapi.json says both forms for the decimal inputs', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
  const unitPrice = body('/api/ledger/invoices').properties.lines.items.properties.unitPrice;
  t.same(unitPrice.anyOf.map((s: { type: string }) => s.type), ['string', 'number'], 'unit price: a string or a number');
  t.match(unitPrice.description, /a decimal string .* or a JSON number where it is exact/);
  t.same(body('/api/ledger/payments').properties.amount.anyOf.map((s: { type: string }) => s.type), ['string', 'number'], 'payment amount');
  const out = doc.paths['/api/ledger/invoices'].post.responses['201'].content['application/json'].schema.properties.total;
  t.equal(out.type, 'string', 'answers: decimal strings only');
});
