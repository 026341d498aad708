import crypto from 'node:crypto';
import { sql } from 'kysely';
import { ProblemError, type ProblemFieldError } from '../../core/errors.js';
import { MoneyError, parseAmount } from '../../core/money.js';
import { isIsoDate } from '../../core/dates.js';
import { show, type Books } from './books.js';
import { byOldestDue, refreshInvoices, type OpenLine } from './reconcile.js';
import { applyEarlyDiscounts, type PaymentInput } from './payments.js';

export interface BulkPaymentResult {
  created: number;
  payments: Array<{ id: string; partner: string; amount: string; allocated: string; unallocated: string }>;
}

interface Prepared {
  id: string; moveId: string; lineId: string; partnerId: string; input: PaymentInput; amount: bigint; applied: bigint; journal: 'bank' | 'cash';
}

interface Part { debit: OpenLine; payment: Prepared; amount: bigint; date: string }

/**
 * Registers up to 1,000 payments in one transaction with a handful of set-based statements,
 * each allocated oldest due first exactly as one payment at a time would be (in the order given,
 * so two payments of one customer settle its invoices one after the other). All are validated
 * first (every problem listed with its index). Explicit allocations are not taken here: name the
 * invoices through POST /payments.
 */
export async function registerPaymentsInBulk(books: Books, inputs: PaymentInput[]): Promise<BulkPaymentResult> {
  const errors: ProblemFieldError[] = [];
  const keys = [...new Set(inputs.map((i) => i.partner))];
  const partnerRows = await sql<{ id: string; ref: string; salesperson_id: string | null }>`
    select id, ref, salesperson_id from ledger_partner
    where tenant_id = ${books.tenantId} and (ref = any(${keys}::text[]) or id::text = any(${keys}::text[]))`.execute(books.trx);
  const partners = new Map<string, string>();
  for (const p of partnerRows.rows) {
    if (books.visibleSalespeople && !books.visibleSalespeople.includes(p.salesperson_id ?? '')) continue;
    partners.set(p.ref, p.id);
    partners.set(p.id, p.id);
  }

  const prepared: Prepared[] = [];
  inputs.forEach((input, n) => {
    try {
      const partnerId = partners.get(input.partner);
      if (!partnerId) throw new MoneyError(`no partner '${input.partner}'`, 'partner');
      if (input.currency !== undefined && input.currency !== books.currency) throw new MoneyError(`currency '${input.currency}' is not ${books.currency}`, 'currency');
      if (!isIsoDate(input.date)) throw new MoneyError(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
      if (input.allocations !== undefined) throw new MoneyError('allocations are not taken in bulk (oldest due first only); name invoices through POST /payments', 'allocations');
      const amount = parseAmount(input.amount, books.currency, { field: 'amount' });
      prepared.push({ id: crypto.randomUUID(), moveId: crypto.randomUUID(), lineId: crypto.randomUUID(), partnerId, input, amount, applied: 0n, journal: input.journal ?? 'bank' });
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({ field: `payments[${n}].${err.field ?? ''}`.replace(/\.$/, ''), message: err.message });
    }
  });
  if (errors.length > 0) {
    throw new ProblemError(400, 'validation', 'The request is not valid', errors.slice(0, 20).map((e) => `${e.field}: ${e.message}`).join('; '), errors[0].field, errors);
  }

  // Every open instalment of these customers, locked in id order like a single payment locks
  // them: bulk and single payments of the same customer wait for each other, never deadlock.
  const { rows: open } = await sql<OpenLine>`
    select id, partner_id, date, date_maturity, amount_residual, invoice_id, payment_id
    from ledger_move_line
    where tenant_id = ${books.tenantId} and partner_id = any(${[...new Set(prepared.map((p) => p.partnerId))]}::uuid[]) and receivable and amount_residual > 0
    order by id
    for update`.execute(books.trx);
  const queues = new Map<string, OpenLine[]>();
  for (const line of open) queues.set(line.partner_id, [...(queues.get(line.partner_id) ?? []), line]);
  for (const q of queues.values()) q.sort(byOldestDue);

  // Early-payment discounts of these invoices: a payment that leaves exactly the discount open
  // settles the invoice, so the next payment of the customer goes to the next invoice.
  const { rows: discountRows } = await sql<{ id: string; until: string; amount: string }>`
    select id, payment_term->'discount'->>'until' as until, payment_term->'discount'->>'amount' as amount from ledger_invoice
    where tenant_id = ${books.tenantId} and id = any(${[...new Set(open.map((l) => l.invoice_id).filter((x): x is string => x !== null))]}::uuid[])
      and payment_term->'discount' is not null`.execute(books.trx);
  const discounts = new Map(discountRows.map((d) => [d.id, { until: d.until, amount: parseAmount(d.amount, books.currency, { field: 'discount', allowZero: true }) }]));
  const discounted: Array<[string, string]> = [];

  const parts: Part[] = [];
  for (const p of prepared) {
    const queue = queues.get(p.partnerId) ?? [];
    const paid = new Set<string>();
    while (p.applied < p.amount && queue.length > 0) {
      const debit = queue[0];
      const amount = debit.amount_residual < p.amount - p.applied ? debit.amount_residual : p.amount - p.applied;
      parts.push({ debit, payment: p, amount, date: [p.input.date, debit.date].sort().at(-1)! });
      if (debit.invoice_id) paid.add(debit.invoice_id);
      debit.amount_residual -= amount;
      p.applied += amount;
      if (debit.amount_residual === 0n) queue.shift();
    }
    for (const invoiceId of paid) {
      const discount = discounts.get(invoiceId);
      if (!discount || discount.amount === 0n || p.input.date > discount.until) continue;
      const lines = queue.filter((l) => l.invoice_id === invoiceId);
      if (lines.reduce((a, l) => a + l.amount_residual, 0n) !== discount.amount) continue;
      discounted.push([invoiceId, p.input.date]);
      for (const l of lines) l.amount_residual = 0n;
      queues.set(p.partnerId, queue.filter((l) => l.amount_residual > 0n));
    }
  }

  const t = books.tenantId;
  const { accounts } = books.settings;
  await books.trx.insertInto('ledger_move').values(prepared.map((p) => ({
    tenant_id: t, id: p.moveId, kind: 'payment' as const, journal: p.journal, date: p.input.date, ref: p.input.reference ?? null, partner_id: p.partnerId, reversal_of: null,
  }))).execute();
  await books.trx.insertInto('ledger_payment').values(prepared.map((p) => ({
    tenant_id: t, id: p.id, partner_id: p.partnerId, date: p.input.date, amount: p.amount, currency: books.currency, reference: p.input.reference ?? null,
    journal: p.journal, move_id: p.moveId, bank_matched: p.journal === 'cash',
  }))).execute();
  // The receivable line is written with what stays unallocated: the partials below account for the rest.
  await books.trx.insertInto('ledger_move_line').values(prepared.flatMap((p) => {
    const base = { tenant_id: t, move_id: p.moveId, partner_id: p.partnerId, date: p.input.date, invoice_id: null, payment_id: p.id, description: p.input.reference ?? 'Payment' };
    return [
      { ...base, id: p.lineId, account_code: accounts.receivable, date_maturity: p.input.date, debit: 0n, credit: p.amount, receivable: true, amount_residual: p.applied - p.amount },
      { ...base, account_code: p.journal === 'cash' ? accounts.cash : accounts.outstandingReceipts, date_maturity: null, debit: p.amount, credit: 0n, receivable: false, amount_residual: 0n },
    ];
  })).execute();
  if (parts.length > 0) {
    await sql`
      with part as (
        select * from unnest(${parts.map((x) => x.debit.id)}::uuid[], ${parts.map((x) => x.payment.lineId)}::uuid[], ${parts.map((x) => x.amount.toString())}::bigint[],
                             ${parts.map((x) => x.date)}::date[], ${parts.map((x) => x.debit.partner_id)}::uuid[], ${parts.map((x) => x.debit.date)}::date[],
                             ${parts.map((x) => x.debit.date_maturity)}::date[], ${parts.map((x) => x.payment.input.date)}::date[])
          as t(debit_line_id, credit_line_id, amount, date, partner_id, debit_date, debit_due, credit_date)
      ), inserted as (
        insert into ledger_partial (tenant_id, debit_line_id, credit_line_id, amount, date, partner_id, debit_date, debit_due, credit_date, credit_due)
        select ${t}, debit_line_id, credit_line_id, amount, date, partner_id, debit_date, debit_due, credit_date, credit_date from part
      )
      update ledger_move_line l set amount_residual = l.amount_residual - s.amount
      from (select debit_line_id, sum(amount) as amount from part group by debit_line_id) s
      where l.tenant_id = ${t} and l.id = s.debit_line_id`.execute(books.trx);
  }

  const touched = [...new Set(parts.map((x) => x.debit.invoice_id).filter((x): x is string => x !== null))];
  await applyEarlyDiscounts(books, discounted);
  await refreshInvoices(books, touched);

  const allocated = parts.map((x) => ({ partnerId: x.debit.partner_id, debitLineId: x.debit.id, creditLineId: x.payment.lineId, invoiceId: x.debit.invoice_id, amount: show(books, x.amount), date: x.date }));
  await books.api.audit(books.trx, t, [
    ...prepared.map((p) => ({ actor: books.actor, action: 'payment.registered', entity: 'payment', entityId: p.id, after: { partner: p.input.partner, amount: p.input.amount, date: p.input.date, reference: p.input.reference ?? null, bulk: true } })),
    ...allocated.map((after) => ({ actor: books.actor, action: 'payment.allocated', entity: 'move_line', entityId: after.creditLineId, after })),
  ]);
  await books.api.emitMany(books.trx, t, 'payment.allocated', allocated, { actor: books.actor });
  await books.api.emitMany(books.trx, t, 'payment.registered', prepared.map((p) => ({ paymentId: p.id, partnerId: p.partnerId, date: p.input.date, amount: show(books, p.amount) })), { actor: books.actor });
  return {
    created: prepared.length,
    payments: prepared.map((p) => ({ id: p.id, partner: p.partnerId, amount: show(books, p.amount), allocated: show(books, p.applied), unallocated: show(books, p.amount - p.applied) })),
  };
}
