/**
 * POST /api/ledger/payments/bulk must leave exactly the books that registering the same payments
 * one at a time leaves: same allocations, residuals, states, discounts, credits.
 */
import t, { type Test } from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { registerPaymentsInBulk } from '../payments-bulk.js';
import { setBankMatched, type PaymentInput } from '../payments.js';
import { ok, onBooks } from './fixtures.js';

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
  t.same(res.json().errors.map((e: { field: string }) => e.field), ['payments[1].partner', 'payments[2].amount', 'payments[3].allocations[0].invoice'], 'INV/2026/00001 is KH01\'s');
  const count = await sql<{ n: string }>`select count(*)::text as n from ledger_payment`.execute(h.db);
  t.equal(count.rows[0].n, '0', 'nothing written');
});

interface Invoice { id: string; number: string; ref: string; total: string }

/** The k-th posted invoice of a partner (by number) on these books: ids differ between books, numbers do not. */
async function invoicesOf(h: TestApp): Promise<(ref: string, k: number) => Invoice> {
  const { rows } = await sql<Invoice>`
    select i.id, i.number, p.ref, i.total::text as total from ledger_invoice i join ledger_partner p on p.tenant_id = i.tenant_id and p.id = i.partner_id
    where i.state = 'posted' order by i.number`.execute(h.db);
  return (ref, k) => rows.filter((r) => r.ref === ref)[k];
}

const half = (x: string) => String(BigInt(x) / 2n);
const plus = (...xs: string[]) => String(xs.reduce((a, x) => a + BigInt(x), 0n));

/** Payments naming invoices: by id and by number, partial, two payments on one invoice, credit left over. */
function allocated(inv: (ref: string, k: number) => Invoice): PaymentInput[] {
  const [a1, a2] = [inv('KH01', 1), inv('KH01', 2)];
  const [b1, b2] = [inv('KH02', 1), inv('KH02', 2)];
  const c3 = inv('KH03', 3);
  return [
    { partner: 'KH01', date: '2026-03-25', amount: plus(half(a1.total), '100000'), reference: 'A-0', allocations: [{ invoice: a1.id, amount: half(a1.total) }] },
    { partner: 'KH01', date: '2026-03-26', amount: plus(a1.total, '-' + half(a1.total), '50000'), reference: 'A-1', allocations: [
      { invoice: a1.number, amount: plus(a1.total, '-' + half(a1.total)) }, { invoice: a2.id, amount: '50000' },
    ] },
    { partner: 'KH02', date: '2026-03-20', amount: plus(b1.total, '30001'), reference: 'A-2', allocations: [
      { invoice: b2.number, amount: '30000' }, { invoice: b1.id, amount: b1.total },
    ] },
    { partner: 'KH01', date: '2026-03-27', amount: '300000', reference: 'A-3' },
    // 98 % of the "2% 10, net 30" invoice named in time: the discount settles it.
    { partner: 'KH04', date: '2026-03-10', amount: '1078000', reference: 'A-4', allocations: [{ invoice: inv('KH04', 0).number, amount: '1078000' }] },
    { partner: 'KH04', date: '2026-03-11', amount: '100000', reference: 'A-5', allocations: [{ invoice: inv('KH04', 1).id, amount: '100000' }] },
    { partner: 'KH03', date: '2026-04-01', amount: '200000', reference: 'A-6', allocations: [] },
    { partner: 'KH03', date: '2026-04-02', amount: c3.total, reference: 'A-7', journal: 'cash', allocations: [{ invoice: c3.id, amount: c3.total }] },
  ];
}

async function paymentEvents(h: TestApp) {
  const { rows } = await sql<{ name: string; n: string }>`select name, count(*)::text as n from core_event_outbox where name like 'payment.%' group by name order by name`.execute(h.db);
  return rows;
}

t.test('bulk payments with allocations leave the books single payments with the same allocations leave', async (t) => {
  const [one, bulk] = [await books(t), await books(t)];
  for (const p of allocated(await invoicesOf(one))) t.equal((await one.request('POST', '/api/ledger/payments', p)).statusCode, 201, p.reference!);
  const res = await bulk.request('POST', '/api/ledger/payments/bulk', { payments: allocated(await invoicesOf(bulk)) });
  t.equal(res.statusCode, 201, res.body);
  const body = res.json();
  t.match(body.payments[0], { allocated: half((await invoicesOf(bulk))('KH01', 1).total), unallocated: '100000' }, 'what is not allocated stays as credit');
  t.equal(body.payments[2].unallocated, '1', 'no oldest-first for the remainder when invoices are named');
  t.notOk('invoices' in body.payments[0], 'the route answers as before');

  const a = await snapshot(one);
  const b = await snapshot(bulk);
  t.same(b, a, 'same invoices, balances, discounts and allocations');
  t.equal(b.unbalanced, '0', 'every entry balances');
  t.same(b.discounts, { n: '1', total: '22000' }, 'the early-payment discount was booked once');
  t.same(await paymentEvents(bulk), await paymentEvents(one), 'the same events');
});

t.test('bad allocations are named with their full path, nothing written', async (t) => {
  const h = await books(t);
  const inv = await invoicesOf(h);
  const draft = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH02', date: '2026-03-05', dueDate: '2026-04-05', lines: [{ description: 'Nháp', quantity: '1', unitPrice: '100000' }] }));
  const [a1, c1] = [inv('KH01', 1), inv('KH03', 1)];
  const res = await h.request('POST', '/api/ledger/payments/bulk', { payments: [
    { partner: 'KH01', date: '2026-03-25', amount: '100000' },
    { partner: 'KH01', date: '2026-03-25', amount: '99000000', allocations: [
      { invoice: 'INV/2026/99999', amount: '100' },
      { invoice: inv('KH02', 0).number, amount: '100' },
      { invoice: a1.id, amount: plus(a1.total, '1') },
      { invoice: a1.number, amount: '12.5' },
      { invoice: '00000000-0000-4000-8000-000000000000', amount: '100' },
    ] },
    { partner: 'KH02', date: '2026-03-25', amount: '100000', allocations: [{ invoice: draft.id, amount: '100' }] },
    { partner: 'KH01', date: '2026-03-25', amount: '100000', allocations: [{ invoice: inv('KH01', 2).number, amount: '60000' }, { invoice: a1.number, amount: '40001' }] },
    // The first settles c1; the second finds nothing open on it any more.
    { partner: 'KH03', date: '2026-03-25', amount: c1.total, allocations: [{ invoice: c1.number, amount: c1.total }] },
    { partner: 'KH03', date: '2026-03-26', amount: '100', allocations: [{ invoice: c1.id, amount: '100' }] },
  ] });
  t.equal(res.statusCode, 400, res.body);
  const errors: Array<{ field: string; message: string }> = res.json().errors;
  t.same(errors.map((e) => e.field), [
    'payments[1].allocations[0].invoice',
    'payments[1].allocations[1].invoice',
    'payments[1].allocations[2].amount',
    'payments[1].allocations[3].amount',
    'payments[1].allocations[4].invoice',
    'payments[2].allocations[0].invoice',
    'payments[3].allocations',
    'payments[5].allocations[0].amount',
  ]);
  const message = (field: string) => errors.find((e) => e.field === field)?.message;
  t.equal(message('payments[1].allocations[0].invoice'), "no invoice 'INV/2026/99999' of this partner");
  t.equal(message('payments[1].allocations[1].invoice'), `no invoice '${inv('KH02', 0).number}' of this partner`);
  t.equal(message('payments[1].allocations[2].amount'), `${plus(a1.total, '1')} is more than the ${a1.total} open on invoice ${a1.number}`);
  t.equal(message('payments[2].allocations[0].invoice'), `'${draft.id}' is not a posted invoice`);
  t.equal(message('payments[3].allocations'), "allocations total 100001, more than the payment's 100000");
  t.equal(message('payments[5].allocations[0].amount'), `100 is more than the 0 open on invoice ${c1.number}`);
  const written = await sql<{ payments: string; partials: string; events: string }>`
    select (select count(*) from ledger_payment)::text as payments, (select count(*) from ledger_partial)::text as partials,
      (select count(*) from core_event_outbox where name like 'payment.%')::text as events`.execute(h.db);
  t.same(written.rows[0], { payments: '0', partials: '0', events: '0' }, 'nothing written');
});

/** Bank receipts: settled invoices in full, in part, oldest first, a receipt with nothing left to settle, and cash. */
function confirmed(inv: (ref: string, k: number) => Invoice): PaymentInput[] {
  const [a0, b0, b1] = [inv('KH01', 0), inv('KH02', 0), inv('KH02', 1)];
  return [
    { partner: 'KH01', date: '2026-03-25', amount: a0.total, reference: 'B-0', allocations: [{ invoice: a0.number, amount: a0.total }] },
    { partner: 'KH02', date: '2026-03-25', amount: plus(b0.total, '10000'), reference: 'B-1', allocations: [{ invoice: b0.id, amount: b0.total }, { invoice: b1.id, amount: '10000' }] },
    { partner: 'KH04', date: '2026-03-20', amount: '1600000', reference: 'B-2' },
    { partner: 'KH04', date: '2026-03-21', amount: '5000', reference: 'B-3' },
    { partner: 'KH03', date: '2026-03-22', amount: inv('KH03', 2).total, reference: 'B-4', journal: 'cash', allocations: [{ invoice: inv('KH03', 2).id, amount: inv('KH03', 2).total }] },
  ];
}

async function reconciled(h: TestApp) {
  const { rows } = await sql<{ reference: string; numbers: string[] }>`
    select y.reference, coalesce((select array_agg(i.number order by i.number) from jsonb_array_elements_text(e.payload->'invoiceIds') x(id)
                                  join ledger_invoice i on i.id = x.id::uuid), '{}') as numbers
    from core_event_outbox e join ledger_payment y on y.id = (e.payload->>'paymentId')::uuid
    where e.name = 'payment.reconciled' order by y.reference`.execute(h.db);
  return rows;
}

async function actions(h: TestApp, action: string) {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from core_audit where action = ${action}`.execute(h.db);
  return rows[0].n;
}

t.test('bank-matched bulk payments: paid at once, reconciled as setBankMatched reconciles them', async (t) => {
  const [one, bulk] = [await books(t), await books(t)];
  for (const p of confirmed(await invoicesOf(one))) {
    const payment = ok(await one.request('POST', '/api/ledger/payments', p));
    await onBooks(one, (b) => setBankMatched(b, payment.id, true));
  }
  const result = await onBooks(bulk, async (b) => registerPaymentsInBulk(b, confirmed(await invoicesOf(bulk)), { bankMatched: true }));
  const inv = await invoicesOf(bulk);
  t.same(result.payments.map((p) => p.invoices), [[inv('KH01', 0).id], [inv('KH02', 0).id, inv('KH02', 1).id], [inv('KH04', 0).id, inv('KH04', 1).id], [], [inv('KH03', 2).id]],
    'the invoices each payment was allocated to');

  const a = await snapshot(one);
  const b = await snapshot(bulk);
  t.same(b, a, 'same invoices, balances and allocations');
  const states = new Map(b.invoices.map((i) => [i.number, i.payment_state]));
  for (const [ref, k] of [['KH01', 0], ['KH02', 0], ['KH04', 0], ['KH04', 1], ['KH03', 2]] as const) t.equal(states.get(inv(ref, k).number), 'paid', `${ref} #${k} paid`);
  t.equal(states.get(inv('KH02', 1).number), 'partial');
  t.notOk(b.invoices.some((i) => i.payment_state === 'in_payment'), 'nothing waits for the bank');

  const matched = await sql<{ n: string }>`select count(*)::text as n from ledger_payment where not bank_matched`.execute(bulk.db);
  t.equal(matched.rows[0].n, '0', 'every receipt is bank-matched');
  t.same(await reconciled(bulk), await reconciled(one), 'payment.reconciled once per bank receipt, with its invoices');
  t.same((await reconciled(bulk)).map((r) => r.reference), ['B-0', 'B-1', 'B-2', 'B-3'], 'cash is not reconciled with the bank');
  t.equal(await actions(bulk, 'payment.bank_matched'), await actions(one, 'payment.bank_matched'));
  t.equal(await actions(bulk, 'payment.bank_matched'), '4');
  t.same(await paymentEvents(bulk), await paymentEvents(one), 'the same events');
});

t.test('bank-matched bulk payment finishing an invoice part-paid by an unconfirmed receipt: in_payment until that one is confirmed', async (t) => {
  const h = await books(t);
  const inv = await invoicesOf(h);
  const [a, b] = [inv('KH01', 0), inv('KH01', 1)];
  // a: half paid by a transfer the bank has not shown yet; b: nothing paid before.
  const early = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-04-02', amount: half(a.total), allocations: [{ invoice: a.id, amount: half(a.total) }] }));
  await onBooks(h, (books) => registerPaymentsInBulk(books, [
    { partner: 'KH01', date: '2026-04-05', amount: String(BigInt(a.total) - BigInt(half(a.total))), allocations: [{ invoice: a.id, amount: String(BigInt(a.total) - BigInt(half(a.total))) }] },
    { partner: 'KH01', date: '2026-04-05', amount: b.total, allocations: [{ invoice: b.id, amount: b.total }] },
  ], { bankMatched: true }));
  const state = async (id: string) => ok(await h.request('GET', `/api/ledger/invoices/${id}`)).paymentState;
  t.equal(await state(a.id), 'in_payment', 'settled, but one of its receipts is not on a bank statement yet');
  t.equal(await state(b.id), 'paid', 'settled by a bank-matched receipt alone');
  await onBooks(h, (books) => setBankMatched(books, early.id, true));
  t.equal(await state(a.id), 'paid', 'paid once the bank shows the earlier receipt too');
});
