import t from 'tap';
import { sql } from 'kysely';
import { setBankMatched } from '../payments.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, invoiceNow, newPartner, ok, onBooks, postedInvoice } from './fixtures.js';

const pay = (h: TestApp, body: Record<string, unknown>) => h.request('POST', '/api/ledger/payments', body);
const balance = async (h: TestApp, ref: string) => ok(await h.request('GET', `/api/ledger/partners/${ref}`)).balance;
const states = async (h: TestApp, ...ids: string[]) => Promise.all(ids.map(async (id) => {
  const inv = await invoiceNow(h, id);
  return `${inv.paymentState} ${inv.residual}`;
}));

t.test('explicit allocations: one payment over several invoices, each partly', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  await newPartner(h, 'KH002');
  const a = await postedInvoice(h, 'KH001', '1000000', '2026-01-05', '2026-02-04');
  const b = await postedInvoice(h, 'KH001', '2000000', '2026-01-10', '2026-02-09');
  const c = await postedInvoice(h, 'KH001', '500000', '2026-01-01', '2026-01-15');
  const other = await postedInvoice(h, 'KH002', '700000', '2026-01-01', '2026-01-31');

  const res = await pay(h, { partner: 'KH001', date: '2026-02-01', amount: '1800000', reference: 'UNC 0042', allocations: [{ invoice: b.number, amount: '1500000' }, { invoice: a.id, amount: '200000' }] });
  t.equal(res.statusCode, 201, res.body);
  const p = res.json();
  t.equal(p.amount, '1800000');
  t.equal(p.allocated, '1700000');
  t.equal(p.unallocated, '100000', 'what is not allocated stays as credit');
  t.equal(p.journal, 'bank');
  t.equal(p.bankMatched, false);
  t.same(p.allocations.map((x: { number: string; amount: string; date: string }) => `${x.number} ${x.amount} ${x.date}`).sort(), [`${a.number} 200000 2026-02-01`, `${b.number} 1500000 2026-02-01`]);
  t.same(await states(h, a.id, b.id, c.id), ['partial 800000', 'partial 500000', 'not_paid 500000'], 'the oldest invoice was not touched: allocations are as given');
  t.equal(await balance(h, 'KH001'), '1700000');
  t.same(ok(await h.request('GET', `/api/ledger/payments/${p.id}`)), p, 'GET answers what POST did');

  const before = await count(h, 'ledger_payment');
  const refusals: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ amount: '100000', allocations: [{ invoice: a.id, amount: '60000' }, { invoice: b.id, amount: '60000' }] }, 'allocations', /more than the payment's 100000/],
    [{ amount: '950000', allocations: [{ invoice: c.id, amount: '100000' }, { invoice: a.id, amount: '800001' }] }, 'allocations[1].amount', /more than the 800000 open on invoice/],
    [{ amount: '100000', allocations: [{ invoice: other.id, amount: '100000' }] }, 'allocations[0].invoice', /no invoice/],
    [{ amount: '100000', allocations: [{ invoice: 'INV/2026/09999', amount: '100000' }] }, 'allocations[0].invoice', /no invoice/],
  ];
  for (const [body, field, detail] of refusals) {
    const r = await pay(h, { partner: 'KH001', date: '2026-02-02', ...body });
    t.equal(r.statusCode, 400, field);
    t.equal(r.json().field, field);
    t.match(r.json().detail, detail);
  }
  t.equal(await count(h, 'ledger_payment'), before, 'a refused payment is not registered at all');
  t.same(await states(h, a.id, b.id, c.id), ['partial 800000', 'partial 500000', 'not_paid 500000']);
});

t.test('without allocations: oldest due first, across invoices and instalments', async (t) => {
  // Instalments come from the payment-terms module: half after 10 days, the rest after 40.
  const h = await buildTestApp(t, { modules: ['ledger', 'payment-terms'] });
  ok(await h.request('POST', '/api/payment-terms/terms', { name: '2 đợt', lines: [{ value: 'percent', amount: '50', delayType: 'days_after', days: 10 }, { value: 'balance', delayType: 'days_after', days: 40 }] }));
  await newPartner(h, 'KH001');
  const x = ok(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-01-01', paymentTerm: '2 đợt', post: true, lines: [{ description: 'Máy lọc nước', quantity: '1', unitPrice: '1200000' }] }));
  t.same(x.installments, [{ dueDate: '2026-01-11', amount: '600000', residual: '600000' }, { dueDate: '2026-02-10', amount: '600000', residual: '600000' }]);
  const y = await postedInvoice(h, 'KH001', '300000', '2026-01-05', '2026-01-20');
  const z = await postedInvoice(h, 'KH001', '400000', '2026-01-06', '2026-03-01');

  const first = ok(await pay(h, { partner: 'KH001', date: '2026-01-25', amount: '1000000' }));
  t.equal(first.allocated, '1000000');
  t.same(first.allocations.map((p: { number: string; amount: string }) => `${p.number} ${p.amount}`).sort(), [`${x.number} 100000`, `${x.number} 600000`, `${y.number} 300000`]);
  const xNow = await invoiceNow(h, x.id);
  t.same(xNow.installments.map((i: { dueDate: string; residual: string }) => `${i.dueDate} ${i.residual}`), ['2026-01-11 0', '2026-02-10 500000'], 'first instalment, then the invoice due next, then the second instalment');
  t.same(await states(h, x.id, y.id, z.id), ['partial 500000', 'in_payment 0', 'not_paid 400000']);

  const second = ok(await pay(h, { partner: 'KH001', date: '2026-02-01', amount: '1000000', journal: 'cash' }));
  t.equal(second.allocated, '900000');
  t.equal(second.unallocated, '100000', 'an overpayment stays unallocated');
  t.same(await states(h, x.id, y.id, z.id), ['in_payment 0', 'in_payment 0', 'paid 0'], 'x and y were partly settled by the unmatched bank payment');
  t.equal(await balance(h, 'KH001'), '-100000');
});

t.test('overpayment stays as credit and is allocated later; an open credit note is allocated to another invoice', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  await newPartner(h, 'KH002');
  const a = await postedInvoice(h, 'KH001', '1000000', '2026-03-01', '2026-03-31');
  const p = ok(await pay(h, { partner: 'KH001', date: '2026-03-10', amount: '1500000', journal: 'cash' }));
  t.equal(p.allocated, '1000000');
  t.equal(p.unallocated, '500000');
  t.equal(await balance(h, 'KH001'), '-500000', 'the customer is in credit');
  t.same(await states(h, a.id), ['paid 0']);

  const b = await postedInvoice(h, 'KH001', '800000', '2026-03-15', '2026-04-14');
  t.equal(await balance(h, 'KH001'), '300000');
  t.same(await states(h, b.id), ['not_paid 800000'], 'a new invoice is not settled by old credit on its own');
  const tooMuch = await h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: b.id, amount: '500001' });
  t.equal(tooMuch.statusCode, 400);
  t.equal(tooMuch.json().field, 'amount');
  const later = await h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: b.number, date: '2026-03-20' });
  t.equal(later.statusCode, 201, later.body);
  t.same(later.json(), { allocated: '500000', invoice: b.id });
  t.same(await states(h, b.id), ['partial 300000']);
  const pNow = ok(await h.request('GET', `/api/ledger/payments/${p.id}`));
  t.equal(pNow.unallocated, '0');
  t.same(pNow.allocations.map((x: { number: string; amount: string; date: string }) => `${x.number} ${x.amount} ${x.date}`).sort(), [`${a.number} 1000000 2026-03-10`, `${b.number} 500000 2026-03-20`]);
  t.equal(await balance(h, 'KH001'), '300000', 'allocating never changes the balance');
  const nothing = await h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: b.id });
  t.equal(nothing.statusCode, 409, 'the credit is used up');

  // A paid invoice reversed: its credit note stays open, then goes to another invoice.
  const d = await postedInvoice(h, 'KH001', '200000', '2026-03-02', '2026-04-01');
  ok(await pay(h, { partner: 'KH001', date: '2026-03-03', amount: '200000', journal: 'cash', allocations: [{ invoice: d.id, amount: '200000' }] }));
  const { creditNote } = ok(await h.request('POST', `/api/ledger/invoices/${d.id}/reverse`, { date: '2026-03-21' }));
  t.equal(creditNote.residual, '200000');
  const elsewhere = await h.request('POST', '/api/ledger/allocations', { creditNote: creditNote.id, invoice: b.id, date: '2026-03-22' });
  t.equal(elsewhere.statusCode, 201, elsewhere.body);
  t.equal(elsewhere.json().allocated, '200000');
  t.same(await states(h, b.id, creditNote.id), ['partial 100000', 'paid 0']);
  t.equal(await balance(h, 'KH001'), '100000');

  const otherPartner = await postedInvoice(h, 'KH002', '100000', '2026-03-01', '2026-03-31');
  const cross = await h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: otherPartner.id });
  t.equal(cross.statusCode, 400);
  t.equal(cross.json().field, 'invoice', 'credit is applied only to the same partner');
  const both = await h.request('POST', '/api/ledger/allocations', { payment: p.id, creditNote: creditNote.id, invoice: b.id });
  t.equal(both.statusCode, 400);
});

t.test('write-off of a small difference, within the writeOffLimit setting', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const a = await postedInvoice(h, 'KH001', '100000', '2026-05-01', '2026-05-31');
  const b = await postedInvoice(h, 'KH001', '100000', '2026-05-01', '2026-05-31');
  ok(await pay(h, { partner: 'KH001', date: '2026-05-10', amount: '99500', journal: 'cash', allocations: [{ invoice: a.id, amount: '99500' }] }));
  ok(await pay(h, { partner: 'KH001', date: '2026-05-10', amount: '90000', journal: 'cash', allocations: [{ invoice: b.id, amount: '90000' }] }));

  const byDefault = await h.request('POST', `/api/ledger/invoices/${a.id}/write-off`, { date: '2026-05-11' });
  t.equal(byDefault.statusCode, 400, 'nothing may be written off until a limit is set');
  t.equal(byDefault.json().field, 'amount');

  const settings = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '1000' } }, { token: h.adminToken });
  t.equal(settings.statusCode, 200, settings.body);
  t.equal(settings.json().settings.writeOffLimit, '1000');

  const res = await h.request('POST', `/api/ledger/invoices/${a.id}/write-off`, { date: '2026-05-11', reason: 'Phí chuyển khoản ngân hàng' });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().paymentState, 'paid');
  t.equal(res.json().residual, '0');
  const { rows } = await sql<{ account_code: string; debit: bigint; credit: bigint }>`
    select l.account_code, l.debit, l.credit from ledger_move_line l join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    where m.kind = 'write_off' order by l.account_code`.execute(h.db);
  t.same(rows, [{ account_code: '131', debit: 0n, credit: 500n }, { account_code: '811', debit: 500n, credit: 0n }], 'booked to the write-off account');

  const above = await h.request('POST', `/api/ledger/invoices/${b.id}/write-off`, { date: '2026-05-11' });
  t.equal(above.statusCode, 400);
  t.equal(above.json().field, 'amount');
  t.match(above.json().detail, /10000 is more than the write-off limit of 1000/);
  t.same(await states(h, b.id), ['partial 10000']);
  const part = ok(await h.request('POST', `/api/ledger/invoices/${b.id}/write-off`, { date: '2026-05-11', amount: '1000' }));
  t.equal(part.residual, '9000', 'a part within the limit may be written off');
  t.equal(part.paymentState, 'partial');
  const nothing = await h.request('POST', `/api/ledger/invoices/${a.id}/write-off`, { date: '2026-05-12' });
  t.equal(nothing.statusCode, 409);
  t.equal(await balance(h, 'KH001'), '9000');
});

t.test('unallocate all or one invoice: residuals and states come back, the balance never moves', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const a = await postedInvoice(h, 'KH001', '1000000', '2026-06-01', '2026-06-30');
  const b = await postedInvoice(h, 'KH001', '500000', '2026-06-02', '2026-07-01');
  const p = ok(await pay(h, { partner: 'KH001', date: '2026-06-10', amount: '1500000', journal: 'cash', allocations: [{ invoice: a.id, amount: '1000000' }, { invoice: b.id, amount: '500000' }] }));
  t.same(await states(h, a.id, b.id), ['paid 0', 'paid 0']);
  t.equal(await balance(h, 'KH001'), '0');

  const one = await h.request('POST', `/api/ledger/payments/${p.id}/unallocate`, { invoice: b.number, date: '2026-06-15' });
  t.equal(one.statusCode, 200, one.body);
  t.equal(one.json().allocated, '1000000');
  t.equal(one.json().unallocated, '500000');
  t.same(await states(h, a.id, b.id), ['paid 0', 'not_paid 500000']);
  t.equal(await balance(h, 'KH001'), '0');

  const all = ok(await h.request('POST', `/api/ledger/payments/${p.id}/unallocate`, { date: '2026-06-16' }));
  t.equal(all.allocated, '0');
  t.equal(all.unallocated, '1500000');
  t.same(all.allocations, []);
  t.same(await states(h, a.id, b.id), ['not_paid 1000000', 'not_paid 500000']);
  t.equal(await balance(h, 'KH001'), '0');

  const again = await h.request('POST', `/api/ledger/payments/${p.id}/unallocate`, {});
  t.equal(again.statusCode, 409, 'nothing left to undo');
  const { rows } = await sql<{ n: string; undone: string }>`select count(*)::text as n, count(undone_at)::text as undone from ledger_partial`.execute(h.db);
  t.same(rows[0], { n: '2', undone: '2' }, 'undone allocations are kept, marked undone');

  ok(await h.request('POST', '/api/ledger/allocations', { payment: p.id, invoice: a.id, amount: '400000', date: '2026-06-20' }));
  t.same(await states(h, a.id, b.id), ['partial 600000', 'not_paid 500000'], 'and can be allocated again');
});

t.test('not_paid → partial → in_payment → paid with the bank match, and back', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-07-01', '2026-07-31');
  t.same(await states(h, inv.id), ['not_paid 1000000']);
  const p1 = ok(await pay(h, { partner: 'KH001', date: '2026-07-05', amount: '400000' }));
  t.same(await states(h, inv.id), ['partial 600000']);
  const p2 = ok(await pay(h, { partner: 'KH001', date: '2026-07-06', amount: '600000' }));
  t.same(await states(h, inv.id), ['in_payment 0'], 'settled, but the bank has not confirmed the receipts');

  const match = (id: string, matched: boolean) => onBooks(h, (books) => setBankMatched(books, id, matched));
  await match(p2.id, true);
  t.equal(ok(await h.request('GET', `/api/ledger/payments/${p2.id}`)).bankMatched, true);
  t.same(await states(h, inv.id), ['in_payment 0'], 'one receipt is still unconfirmed');
  await match(p1.id, true);
  t.same(await states(h, inv.id), ['paid 0']);

  ok(await h.request('POST', `/api/ledger/payments/${p2.id}/unallocate`, { date: '2026-07-10' }));
  t.same(await states(h, inv.id), ['partial 600000']);
  ok(await h.request('POST', '/api/ledger/allocations', { payment: p2.id, invoice: inv.id, date: '2026-07-11' }));
  t.same(await states(h, inv.id), ['paid 0'], 'both receipts confirmed');
  await match(p1.id, false);
  t.same(await states(h, inv.id), ['in_payment 0'], 'a match undone puts it back in payment');
  ok(await h.request('POST', `/api/ledger/payments/${p1.id}/unallocate`, { date: '2026-07-12' }));
  ok(await h.request('POST', `/api/ledger/payments/${p2.id}/unallocate`, { date: '2026-07-12' }));
  t.same(await states(h, inv.id), ['not_paid 1000000']);

  const cash = await postedInvoice(h, 'KH001', '250000', '2026-07-01', '2026-07-31');
  ok(await pay(h, { partner: 'KH001', date: '2026-07-02', amount: '250000', journal: 'cash', allocations: [{ invoice: cash.id, amount: '250000' }] }));
  t.same(await states(h, cash.id), ['paid 0'], 'cash is settled at once');

  const { rows } = await sql<{ from: string; to: string }>`
    select payload->>'from' as from, payload->>'to' as to from core_event_outbox
    where name = 'invoice.payment_state_changed' and payload->>'invoiceId' = ${inv.id} order by id`.execute(h.db);
  t.same(rows.map((r) => `${r.from}→${r.to}`), [
    'not_paid→partial', 'partial→in_payment', 'in_payment→paid', 'paid→partial', 'partial→paid', 'paid→in_payment', 'in_payment→partial', 'partial→not_paid',
  ], 'every change is announced');
});
