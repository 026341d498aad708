import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { newPartner, ok, postedInvoice } from './fixtures.js';

t.test('a reversed payment opens its invoices again and is neither credit nor money in the bank', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH01');
  const a = await postedInvoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  const b = await postedInvoice(h, 'KH01', '500000', '2026-03-02', '2026-04-30');
  const pay = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-20', amount: '1700000', reference: 'UNC 77' }));
  t.equal(pay.unallocated, '200000');
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)).paymentState, 'in_payment');

  const reversed = ok(await h.request('POST', `/api/ledger/payments/${pay.id}/reverse`, { date: '2026-03-25', reason: 'entered twice' }));
  t.equal(reversed.reversedOn, '2026-03-25');
  t.equal(reversed.unallocated, '0', 'no credit left to use');
  t.equal(reversed.bankMatched, false);
  for (const inv of [a, b]) {
    const now = ok(await h.request('GET', `/api/ledger/invoices/${inv.id}`));
    t.equal(now.paymentState, 'not_paid');
    t.equal(now.residual, inv.total);
  }
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH01')).balance, '1500000', 'the customer owes both invoices again');

  // The books: outstanding receipts back to zero, and the history still shows the payment until the 25th.
  const receipts = await sql<{ balance: bigint }>`select coalesce(sum(debit - credit), 0)::bigint as balance from ledger_move_line where account_code = '1121'`.execute(h.db);
  t.equal(receipts.rows[0].balance, 0n);
  const aged = ok(await h.request('GET', '/api/ledger/reports/aging?asOf=2026-03-24'));
  t.equal(aged.totals.total, '-200000', 'on the 24th the payment still counted (its 200,000 of credit)');

  const again = await h.request('POST', `/api/ledger/payments/${pay.id}/reverse`, {});
  t.equal(again.statusCode, 409);
  t.equal(again.json().type.endsWith('payment-reversed'), true);
  t.equal((await h.request('POST', `/api/ledger/payments/${pay.id}/unallocate`, {})).statusCode, 409, 'nothing of a reversed payment is unallocated');
  const early = await h.request('POST', `/api/ledger/payments/${pay.id}/reverse`, { date: '2026-03-19' });
  t.equal(early.statusCode, 409);
});

t.test('a reversal dated before the payment is refused naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH01');
  const pay = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-20', amount: '1000' }));
  const res = await h.request('POST', `/api/ledger/payments/${pay.id}/reverse`, { date: '2026-03-19' });
  t.equal(res.statusCode, 400);
  t.equal(res.json().field, 'date');
});
