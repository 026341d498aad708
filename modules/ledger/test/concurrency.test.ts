import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { invoiceNow, newPartner, ok, onBooks, postedInvoice } from './fixtures.js';
import { setBankMatched } from '../payments.js';

/** What the database says about an invoice: its open residual and what is allocated to it (partials still counting). */
async function books(h: TestApp, invoiceId: string) {
  const { rows } = await sql<{ residual: bigint; allocated: bigint; negative: bigint }>`
    select coalesce(sum(l.amount_residual), 0)::bigint as residual,
           coalesce((select sum(p.amount) from ledger_partial p join ledger_move_line d on d.tenant_id = p.tenant_id and d.id = p.debit_line_id
                     where d.invoice_id = ${invoiceId} and p.undone_at is null), 0)::bigint as allocated,
           count(*) filter (where l.amount_residual < 0) as negative
    from ledger_move_line l where l.invoice_id = ${invoiceId} and l.receivable`.execute(h.db);
  return rows[0];
}

const statuses = (responses: Array<{ statusCode: number }>) => responses.map((r) => r.statusCode).reduce<Record<number, number>>((a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }), {});

t.test('20 parallel payments, each a tenth of the invoice, allocated to it explicitly: exactly 10 go through', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => h.request('POST', '/api/ledger/payments', {
    partner: 'KH001', date: '2026-01-15', amount: '100000', reference: `UNC ${i}`, allocations: [{ invoice: inv.id, amount: '100000' }],
  })));
  t.same(statuses(responses), { 201: 10, 400: 10 }, 'no 500: neither a deadlock nor a tripped check constraint');
  for (const r of responses.filter((x) => x.statusCode === 400)) {
    t.equal(r.json().field, 'allocations[0].amount');
    t.match(r.json().detail, /is more than the 0 open on invoice/);
  }
  for (const r of responses.filter((x) => x.statusCode === 201)) t.equal(r.json().allocated, '100000');
  const b = await books(h, inv.id);
  t.equal(b.residual, 0n, 'never below zero');
  t.equal(b.allocated, 1000000n, 'Σ allocations = the total');
  t.equal(b.negative, 0n);
  t.equal(Number((await sql<{ n: string }>`select count(*)::text as n from ledger_payment`.execute(h.db)).rows[0].n), 10, 'the refused payments were not registered');
  const now = await invoiceNow(h, inv.id);
  t.equal(now.residual, '0');
  t.equal(now.paymentState, 'in_payment');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '0');
});

t.test('20 parallel payments without allocations: oldest first, the surplus stays unallocated', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  const responses = await Promise.all(Array.from({ length: 20 }, () => h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-15', amount: '100000' })));
  t.same(statuses(responses), { 201: 20 });
  const allocated = responses.map((r) => r.json().allocated).sort();
  t.same(allocated, [...Array(10).fill('0'), ...Array(10).fill('100000')], 'ten payments settle the invoice, ten stay as credit');
  const b = await books(h, inv.id);
  t.equal(b.residual, 0n);
  t.equal(b.allocated, 1000000n);
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '-1000000');
});

t.test('one credit allocated to 20 invoices in parallel is never used twice', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const payment = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-01', amount: '1000000' }));
  t.equal(payment.unallocated, '1000000');
  const invoices = [];
  for (let i = 0; i < 20; i++) invoices.push(await postedInvoice(h, 'KH001', '100000', '2026-01-02', '2026-02-01'));
  const responses = await Promise.all(invoices.map((inv) => h.request('POST', '/api/ledger/allocations', { payment: payment.id, invoice: inv.id, amount: '100000', date: '2026-01-03' })));
  t.same(statuses(responses), { 201: 10, 400: 10 });
  for (const r of responses.filter((x) => x.statusCode === 400)) t.equal(r.json().field, 'amount');
  const after = ok(await h.request('GET', `/api/ledger/payments/${payment.id}`));
  t.equal(after.allocated, '1000000');
  t.equal(after.unallocated, '0');
  t.equal(after.allocations.length, 10);
});

t.test('payments over the same two invoices in opposite orders never deadlock', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const a = await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  const b = await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => {
    const [first, second] = i % 2 ? [a, b] : [b, a];
    return h.request('POST', '/api/ledger/payments', {
      partner: 'KH001', date: '2026-01-15', amount: '20000', allocations: [{ invoice: first.id, amount: '10000' }, { invoice: second.id, amount: '10000' }],
    });
  }));
  t.same(statuses(responses), { 201: 20 }, responses.find((r) => r.statusCode !== 201)?.body ?? '');
  t.equal((await books(h, a.id)).residual, 800000n);
  t.equal((await books(h, b.id)).residual, 800000n);
});

t.test('a reversal racing payments on the same invoice: both sides consistent, no deadlock', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-01-01', '2026-01-31');
  const responses = await Promise.all([
    ...Array.from({ length: 6 }, () => h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-15', amount: '100000', allocations: [{ invoice: inv.id, amount: '100000' }] })),
    h.request('POST', `/api/ledger/invoices/${inv.id}/reverse`, { date: '2026-01-15' }),
    ...Array.from({ length: 6 }, () => h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-15', amount: '100000', allocations: [{ invoice: inv.id, amount: '100000' }] })),
  ]);
  t.notOk(responses.some((r) => r.statusCode >= 500), responses.find((r) => r.statusCode >= 500)?.body ?? 'no 500');
  t.equal(responses[6].statusCode, 200, 'the reversal went through');
  const paid = responses.filter((r, i) => i !== 6 && r.statusCode === 201).length;
  const b = await books(h, inv.id);
  t.equal(b.residual, 0n);
  t.equal(b.allocated, 1000000n, 'payments and the credit note together cover the invoice exactly');
  const creditNote = responses[6].json().creditNote;
  t.equal(creditNote.residual, String(paid * 100000), 'the credit note covered what the payments had left; the rest of it is open')
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, String(-paid * 100000), 'what was paid is now the customer\'s credit');
});

t.test('posting the same draft twice at once: one 200, one 409', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const draft = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-02-01', dueDate: '2026-03-01', lines: [{ description: 'Hàng', quantity: '1', unitPrice: '500000' }] }));
  const [r1, r2] = await Promise.all([h.request('POST', `/api/ledger/invoices/${draft.id}/post`), h.request('POST', `/api/ledger/invoices/${draft.id}/post`)]);
  t.same([r1.statusCode, r2.statusCode].sort(), [200, 409]);
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '500000', 'booked once');
  const { rows } = await sql<{ series: string; next_number: number }>`select series, next_number from ledger_sequence where series = 'INV'`.execute(h.db);
  t.same(rows, [{ series: 'INV', next_number: 2 }], 'one number used');
});

t.test('50 drafts posted in parallel are numbered 1..50 without a gap or a duplicate', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  await newPartner(h, 'KH002');
  const drafts = [];
  for (let i = 0; i < 50; i++) {
    drafts.push(ok(await h.request('POST', '/api/ledger/invoices', { partner: i % 2 ? 'KH001' : 'KH002', date: '2026-02-01', dueDate: '2026-03-01', lines: [{ description: 'Hàng', quantity: '1', unitPrice: String(1000 + i) }] })));
  }
  const responses = await Promise.all(drafts.map((d) => h.request('POST', `/api/ledger/invoices/${d.id}/post`)));
  t.same(statuses(responses), { 200: 50 });
  const numbers = responses.map((r) => r.json().number).sort();
  t.same(numbers, Array.from({ length: 50 }, (_, i) => `INV/2026/${String(i + 1).padStart(5, '0')}`));
  t.equal(new Set(responses.map((r) => r.json().paymentReference)).size, 50, 'payment references unique too');
});

t.test('allocating and unallocating the same payment at once: no deadlock, the books agree with what was answered', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const invoices = [];
  for (let i = 0; i < 6; i++) invoices.push(await postedInvoice(h, 'KH001', '100000', '2026-01-01', `2026-01-${String(10 + i).padStart(2, '0')}`));
  const pay = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-15', amount: '900000', allocations: invoices.slice(0, 3).map((i) => ({ invoice: i.id, amount: '100000' })) }));
  const responses = await Promise.all([
    ...invoices.slice(3).map((i) => h.request('POST', '/api/ledger/allocations', { payment: pay.id, invoice: i.id })),
    h.request('POST', `/api/ledger/payments/${pay.id}/unallocate`, {}),
    h.request('POST', `/api/ledger/payments/${pay.id}/unallocate`, { invoice: invoices[4].id }),
  ]);
  t.notOk(responses.some((r) => r.statusCode >= 500), `no 500: ${responses.map((r) => r.statusCode).join(', ')}`);
  const now = ok(await h.request('GET', `/api/ledger/payments/${pay.id}`));
  const allocated = now.allocations.reduce((a: bigint, x: { amount: string }) => a + BigInt(x.amount), 0n);
  t.equal(String(allocated), now.allocated, 'the payment view adds up');
  t.equal(BigInt(now.allocated) + BigInt(now.unallocated), 900000n);
  let open = 0n;
  for (const inv of invoices) open += BigInt((await invoiceNow(h, inv.id)).residual);
  t.equal(open, 600000n - BigInt(now.allocated), 'what the invoices have open is what the payment does not cover');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, String(600000n - 900000n));
});

t.test('confirming a payment by the bank while it is being unallocated: no deadlock, states agree', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const invoices = [];
  for (let i = 0; i < 4; i++) invoices.push(await postedInvoice(h, 'KH001', '250000', '2026-01-01', '2026-01-31'));
  for (let round = 0; round < 5; round++) {
    const pay = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-01-15', amount: '1000000', allocations: invoices.map((i) => ({ invoice: i.id, amount: '250000' })) }));
    const [matched, undone] = await Promise.allSettled([
      onBooks(h, (b) => setBankMatched(b, pay.id, true)),
      h.request('POST', `/api/ledger/payments/${pay.id}/unallocate`, {}),
    ]);
    t.equal(matched.status, 'fulfilled', `round ${round + 1}: the bank match went through`);
    t.equal(undone.status === 'fulfilled' ? undone.value.statusCode : 0, 200);
    const states = new Set<string>();
    for (const inv of invoices) states.add((await invoiceNow(h, inv.id)).paymentState);
    t.same([...states], ['not_paid'], 'unallocated: every invoice open again, whatever order the two ran in');
    t.equal(ok(await h.request('GET', `/api/ledger/payments/${pay.id}`)).bankMatched, true);
    ok(await h.request('POST', `/api/ledger/payments/${pay.id}/reverse`, {}));
  }
});
