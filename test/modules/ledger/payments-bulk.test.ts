/**
 * POST /api/ledger/payments/bulk must leave exactly the books that registering the same payments
 * one at a time leaves: same allocations, residuals, states, discounts, credits.
 */
import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../helpers/build-test-app.js';

const PARTNERS = ['KH01', 'KH02', 'KH03', 'KH04'];

async function books(t: Test): Promise<TestApp> {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  for (const ref of PARTNERS) t.equal((await h.request('POST', '/api/ledger/partners', { ref, name: `Khách ${ref}` })).statusCode, 201);
  // Same invoices in the same order on both books, so numbers match.
  let seed = 7;
  const next = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 18; i++) {
    const day = String(1 + next(20)).padStart(2, '0');
    const body = {
      partner: PARTNERS[i % 3], date: `2026-03-${day}`, post: true,
      ...(i % 4 === 0 ? { paymentTerm: '2% 10, net 30' } : { dueDate: `2026-04-${String(1 + next(28)).padStart(2, '0')}` }),
      lines: [{ description: `Hàng ${i}`, quantity: '1', unitPrice: String(100_000 * (1 + next(9))), taxRate: '10' }],
    };
    const res = await h.request('POST', '/api/ledger/invoices', body);
    t.equal(res.statusCode, 201, res.body);
  }
  // KH04: an invoice with "2% 10, net 30" (discount 22,000 until 2026-03-12) due before a plain one.
  for (const body of [
    { partner: 'KH04', date: '2026-03-02', paymentTerm: '2% 10, net 30', lines: [{ description: 'Máy in', quantity: '1', unitPrice: '1000000', taxRate: '10' }] },
    { partner: 'KH04', date: '2026-03-02', dueDate: '2026-05-01', lines: [{ description: 'Mực in', quantity: '1', unitPrice: '500000' }] },
  ]) t.equal((await h.request('POST', '/api/ledger/invoices', { ...body, post: true })).statusCode, 201);
  return h;
}

async function snapshot(h: TestApp) {
  const invoices = await sql<{ number: string; residual: string; payment_state: string }>`
    select number, residual::text, payment_state from ledger_invoice order by number`.execute(h.db);
  const partners = await Promise.all(PARTNERS.map(async (ref) => (await h.request('GET', `/api/ledger/partners/${ref}`)).json().balance as string));
  const discounts = await sql<{ n: string; total: string }>`select count(*)::text as n, coalesce(sum(debit), 0)::text as total from ledger_move_line where account_code = '635'`.execute(h.db);
  const partials = await sql<{ number: string; amount: string; reference: string }>`
    select i.number, p.amount::text, coalesce(y.reference, '') as reference from ledger_partial p
    join ledger_move_line d on d.tenant_id = p.tenant_id and d.id = p.debit_line_id
    join ledger_invoice i on i.tenant_id = d.tenant_id and i.id = d.invoice_id
    join ledger_move_line c on c.tenant_id = p.tenant_id and c.id = p.credit_line_id
    left join ledger_payment y on y.tenant_id = c.tenant_id and y.id = c.payment_id
    where p.undone_at is null order by i.number, reference, p.amount`.execute(h.db);
  const unbalanced = await sql<{ n: string }>`
    select count(*)::text as n from (select move_id from ledger_move_line group by move_id having sum(debit) <> sum(credit)) x`.execute(h.db);
  return { invoices: invoices.rows, partners, discounts: discounts.rows[0], partials: partials.rows, unbalanced: unbalanced.rows[0].n };
}

t.test('bulk payments leave the books one-by-one payments leave', async (t) => {
  const [one, bulk] = [await books(t), await books(t)];
  const payments = [
    // 98 % of a "2% 10, net 30" invoice in time: the discount settles it, the next payment goes on.
    { partner: 'KH04', date: '2026-03-10', amount: '1078000', reference: 'UNC-0' },
    { partner: 'KH04', date: '2026-03-11', amount: '100000', reference: 'UNC-00' },
    { partner: 'KH01', date: '2026-03-05', amount: '50000', reference: 'UNC-1' },
    { partner: 'KH02', date: '2026-03-25', amount: '1500000', reference: 'UNC-2' },
    { partner: 'KH01', date: '2026-03-25', amount: '777777', reference: 'UNC-3' },
    { partner: 'KH03', date: '2026-04-02', amount: '99000000', reference: 'UNC-4', journal: 'cash' as const },
    { partner: 'KH02', date: '2026-04-03', amount: '1', reference: 'UNC-5' },
    { partner: 'KH01', date: '2026-04-10', amount: '2000000', reference: 'UNC-6' },
    { partner: 'KH02', date: '2026-04-11', amount: '3300000', reference: 'UNC-7' },
  ];
  for (const p of payments) t.equal((await one.request('POST', '/api/ledger/payments', p)).statusCode, 201);
  const res = await bulk.request('POST', '/api/ledger/payments/bulk', { payments });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().created, payments.length);
  const overpaid = res.json().payments[5];
  t.equal(overpaid.amount, '99000000');
  t.not(overpaid.unallocated, '0', 'what is more than owed stays as credit');

  const a = await snapshot(one);
  const b = await snapshot(bulk);
  t.same(b, a, 'same invoices, balances, discounts and allocations');
  t.equal(b.unbalanced, '0', 'every entry balances');
  t.same(b.discounts, { n: '1', total: '22000' }, 'the early-payment discount was booked once');
  t.equal(b.partners[3], '400000', 'after the discount settled the first invoice, the next payment went to the second');
  t.ok(a.partials.length > payments.length, 'payments spread over several invoices');

  const events = await sql<{ name: string; n: string }>`select name, count(*)::text as n from core_event_outbox where name like 'payment.%' group by name order by name`.execute(bulk.db);
  const eventsOne = await sql<{ name: string; n: string }>`select name, count(*)::text as n from core_event_outbox where name like 'payment.%' group by name order by name`.execute(one.db);
  t.same(events.rows, eventsOne.rows, 'the same events');
});

t.test('bulk payments are all or nothing and name every bad payment', async (t) => {
  const h = await books(t);
  const res = await h.request('POST', '/api/ledger/payments/bulk', { payments: [
    { partner: 'KH01', date: '2026-03-05', amount: '50000' },
    { partner: 'NOPE', date: '2026-03-05', amount: '50000' },
    { partner: 'KH01', date: '2026-03-05', amount: '12.5' },
    { partner: 'KH02', date: '2026-03-05', amount: '100', allocations: [{ invoice: 'INV/2026/00001', amount: '100' }] },
  ] });
  t.equal(res.statusCode, 400);
  t.same(res.json().errors.map((e: { field: string }) => e.field), ['payments[1].partner', 'payments[2].amount', 'payments[3].allocations']);
  const count = await sql<{ n: string }>`select count(*)::text as n from ledger_payment`.execute(h.db);
  t.equal(count.rows[0].n, '0', 'nothing written');
});
