/**
 * Aging as of past days: rebuilt from the partial reconciliations and their dates, so later
 * payments, allocations, unallocations, credit notes and write-offs do not change what was open
 * on a day before them. Each check runs through the tenant-wide query (today's open items rolled
 * back) and the one-partner query (each line rebuilt), which must agree.
 */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { invoice, ok, partner, pay } from './report-helpers.js';

/** [notDue, 1–30, 31–60, 61–90, 91–120, 121+, total] of a partner as of a day, both ways; [] when absent. */
async function agedOn(t: { same: (...args: any[]) => boolean }, h: TestApp, ref: string, asOf: string, extra = ''): Promise<string[]> {
  const all = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}${extra}`));
  const one = await ok(h.request('GET', `/api/ledger/reports/aging?asOf=${asOf}&partner=${ref}${extra}`));
  const pick = (r: any) => (r ? [r.notDue, ...r.columns, r.total] : []);
  const a = pick(all.rows.find((r: any) => r.ref === ref));
  t.same(pick(one.rows[0]), a, `${ref} on ${asOf}: one-partner query = tenant-wide query`);
  return a;
}

t.test('before a payment, between payment and unallocation, after re-allocation', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await partner(h, 'KH01', 'Công ty Cổ phần Sao Mai');
  const inv = await invoice(h, 'KH01', '2026-01-10', '2026-02-09', '100000');
  const payment = await pay(h, 'KH01', '2026-03-01', '100000');
  t.equal(payment.allocated, '100000');
  await ok(h.request('POST', `/api/ledger/payments/${payment.id}/unallocate`, { date: '2026-04-01' }));
  const reapplied = await ok(h.request('POST', '/api/ledger/allocations', { payment: payment.id, invoice: inv.id, date: '2026-05-01' }), 201);
  t.equal(reapplied.allocated, '100000');

  t.same(await agedOn(t, h, 'KH01', '2026-01-05'), [], 'before the invoice');
  t.same(await agedOn(t, h, 'KH01', '2026-02-09'), ['100000', '0', '0', '0', '0', '0', '100000'], 'due that day: not yet late');
  t.same(await agedOn(t, h, 'KH01', '2026-02-20'), ['0', '100000', '0', '0', '0', '0', '100000'], 'before the payment: 11 days late');
  t.same(await agedOn(t, h, 'KH01', '2026-03-01'), [], 'paid that day');
  t.same(await agedOn(t, h, 'KH01', '2026-03-31'), [], 'between payment and unallocation');
  t.same(await agedOn(t, h, 'KH01', '2026-04-01'), [], 'unallocated that day: invoice 51 days late and credit 31 days old cancel out in 31–60');
  t.same(await agedOn(t, h, 'KH01', '2026-04-15'), ['0', '0', '-100000', '100000', '0', '0', '0']);
  t.same(await agedOn(t, h, 'KH01', '2026-05-01'), [], 'allocated again');
  t.same(await agedOn(t, h, 'KH01', '2026-12-31'), []);
  t.same(await agedOn(t, h, 'KH01', '2026-04-15', '&by=invoiceDate'), ['0', '0', '-100000', '0', '100000', '0', '0'], 'by invoice date: 95 days since the invoice');

  const open = await ok(h.request('GET', '/api/ledger/partners/KH01/statement?type=outstanding&asOf=2026-04-15'));
  t.same(open.items.map((i: any) => [i.kind, i.dueDate, i.amount, i.residual, i.daysOverdue]), [
    ['invoice', '2026-02-09', '100000', '100000', 65],
    ['payment', '2026-03-01', '-100000', '-100000', null],
  ]);
  t.equal(open.total, '0');
  t.equal(open.overdue, '100000');
  const before = await ok(h.request('GET', '/api/ledger/partners/KH01/statement?type=outstanding&asOf=2026-02-01'));
  t.same(before.items.map((i: any) => [i.ref, i.residual, i.daysOverdue]), [[inv.number, '100000', 0]]);
  t.same((await ok(h.request('GET', '/api/ledger/partners/KH01/statement?type=outstanding'))).items, [], 'nothing open today');
});

t.test('one payment over two invoices, one of them unallocated later; a credit note and a write-off', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '5000' } }, { token: h.adminToken });
  await partner(h, 'KH02', 'Hợp tác xã Nông nghiệp Phú Lộc');
  const a = await invoice(h, 'KH02', '2026-01-05', '2026-01-20', '300000');
  const b = await invoice(h, 'KH02', '2026-01-15', '2026-02-14', '200000');
  const payment = await pay(h, 'KH02', '2026-02-01', '450000');
  t.same(payment.allocations.map((x: any) => [x.number, x.amount]), [[a.number, '300000'], [b.number, '150000']], 'oldest due first');
  await ok(h.request('POST', `/api/ledger/payments/${payment.id}/unallocate`, { invoice: a.id, date: '2026-02-20' }));
  const reversal = await ok(h.request('POST', `/api/ledger/invoices/${a.id}/reverse`, { date: '2026-03-01', lines: [{ description: 'Hàng trả lại', quantity: '1', unitPrice: '100000' }] }));
  t.equal(reversal.invoice.residual, '200000');
  await ok(h.request('POST', '/api/ledger/allocations', { payment: payment.id, invoice: a.id, amount: '197000', date: '2026-03-10' }), 201);
  await ok(h.request('POST', `/api/ledger/invoices/${a.id}/write-off`, { date: '2026-03-15' }));
  t.equal((await ok(h.request('GET', `/api/ledger/invoices/${a.id}`))).paymentState, 'in_payment');

  // 2026-01-25: both open (A 5 days late); 2026-02-10: 50000 left on B, not yet due.
  t.same(await agedOn(t, h, 'KH02', '2026-01-25'), ['200000', '300000', '0', '0', '0', '0', '500000']);
  t.same(await agedOn(t, h, 'KH02', '2026-02-10'), ['50000', '0', '0', '0', '0', '0', '50000']);
  // 2026-02-25: A open again (36 days), B 11 days late with 50000, 300000 of the payment unallocated (24 days).
  t.same(await agedOn(t, h, 'KH02', '2026-02-25'), ['0', '-250000', '300000', '0', '0', '0', '50000']);
  // 2026-03-05: the credit note took 100000 off A (44 days); the payment is 32 days old.
  t.same(await agedOn(t, h, 'KH02', '2026-03-05'), ['0', '50000', '-100000', '0', '0', '0', '-50000']);
  // 2026-03-12: 197000 more of the payment on A: 3000 left on A, 103000 on the payment, both in 31–60.
  t.same(await agedOn(t, h, 'KH02', '2026-03-12'), ['0', '50000', '-100000', '0', '0', '0', '-50000']);
  // 2026-03-20: A's 3000 written off; B (34 days late, 50000) and the payment's 103000 left.
  t.same(await agedOn(t, h, 'KH02', '2026-03-20'), ['0', '0', '-53000', '0', '0', '0', '-53000']);
  t.same(await agedOn(t, h, 'KH02', '2026-03-14'), ['0', '50000', '-100000', '0', '0', '0', '-50000'], 'the day before the write-off');
});

t.test('a payment entered later but dated earlier counts from its date; rows without copied line fields read the same', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await partner(h, 'KH03', 'Công ty TNHH Vận tải Bình Minh');
  await invoice(h, 'KH03', '2026-02-01', '2026-02-28', '80000');
  t.same(await agedOn(t, h, 'KH03', '2026-03-10'), ['0', '80000', '0', '0', '0', '0', '80000']);
  await pay(h, 'KH03', '2026-03-05', '80000', { reference: 'GBN 0305' });
  t.same(await agedOn(t, h, 'KH03', '2026-03-10'), [], 'the receipt is dated 5 March');
  t.same(await agedOn(t, h, 'KH03', '2026-03-04'), ['0', '80000', '0', '0', '0', '0', '80000']);

  // Partials loaded in bulk without the copies of their lines' partner and dates are read through the lines.
  await partner(h, 'KH04', 'Cửa hàng Điện máy Thành Công');
  const inv = await invoice(h, 'KH04', '2026-01-10', '2026-02-09', '120000');
  const p = await pay(h, 'KH04', '2026-03-01', '50000');
  await ok(h.request('POST', `/api/ledger/payments/${p.id}/unallocate`, { date: '2026-03-20' }));
  await ok(h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: inv.id, amount: '30000', date: '2026-04-01' }), 201);
  const days = ['2026-02-20', '2026-03-10', '2026-03-25', '2026-04-05', '2026-06-30'];
  const before: string[][] = [];
  for (const day of days) before.push(await agedOn(t, h, 'KH04', day));
  t.same(before, [
    ['0', '120000', '0', '0', '0', '0', '120000'],
    ['0', '70000', '0', '0', '0', '0', '70000'],
    ['0', '-50000', '120000', '0', '0', '0', '70000'],
    ['0', '0', '70000', '0', '0', '0', '70000'],
    ['0', '0', '0', '0', '0', '70000', '70000'],
  ]);
  const { numAffectedRows } = await sql`update ledger_partial set partner_id = null, debit_date = null, debit_due = null, credit_date = null, credit_due = null`.execute(h.db);
  t.equal(numAffectedRows, 3n, 'every partial written as a bulk loader would');
  const after: string[][] = [];
  for (const day of days) after.push(await agedOn(t, h, 'KH04', day));
  t.same(after, before);
});
