import { sql } from 'kysely';
import { badRequest } from '../../core/errors.js';
import { show, today, type Books } from './context.js';
import type { PaymentState } from './tables.js';

export interface OpenLine {
  id: string;
  partner_id: string;
  date: string;
  date_maturity: string;
  amount_residual: bigint;
  invoice_id: string | null;
  payment_id: string | null;
}

/** Locks receivable lines (in id order, so two allocations never deadlock) and returns them fresh. */
export async function lockLines(books: Books, ids: string[]): Promise<Map<string, OpenLine>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<OpenLine>`
    select id, partner_id, date, date_maturity, amount_residual, invoice_id, payment_id
    from ledger_move_line
    where tenant_id = ${books.tenantId} and id = any(${[...new Set(ids)]}::uuid[]) and receivable
    order by id
    for update`.execute(books.trx);
  return new Map(rows.map((r) => [r.id, r]));
}

/** The partner's open debit lines (instalments owed), oldest due first, locked. */
export async function openDebits(books: Books, partnerId: string, invoiceId?: string): Promise<OpenLine[]> {
  const { rows } = await sql<OpenLine>`
    select id, partner_id, date, date_maturity, amount_residual, invoice_id, payment_id
    from ledger_move_line
    where tenant_id = ${books.tenantId} and partner_id = ${partnerId} and receivable and amount_residual > 0
      ${invoiceId ? sql`and invoice_id = ${invoiceId}` : sql``}
    order by id
    for update`.execute(books.trx);
  return rows.sort(byOldestDue);
}

/** The order payments settle instalments in: due date, then invoice date, then id. */
export function byOldestDue(a: OpenLine, b: OpenLine): number {
  return a.date_maturity < b.date_maturity ? -1 : a.date_maturity > b.date_maturity ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : 1;
}

interface Allocation { debit: OpenLine; amount: bigint; date: string }

/**
 * Applies a credit line (payment, credit note, write-off) to open debit lines (instalments) in the
 * order given, as far as `limit` and the credit go. All lines must be locked by the caller. The
 * residuals move together, so the partner's balance never changes; each partial row keeps its
 * date for balances as of any past day. One statement writes every partial and residual.
 * Returns the amount applied and the invoices it touched.
 */
export async function allocateInOrder(books: Books, credit: OpenLine, debits: OpenLine[], limit: bigint, date: string): Promise<{ applied: bigint; invoiceIds: string[] }> {
  const parts: Allocation[] = [];
  let applied = 0n;
  for (const debit of debits) {
    const amount = [limit - applied, debit.amount_residual, -credit.amount_residual - applied].reduce((a, b) => (b < a ? b : a));
    if (amount <= 0n) break;
    if (debit.partner_id !== credit.partner_id) throw badRequest('a payment or credit can only be applied to the same partner\'s invoices', 'partner');
    parts.push({ debit, amount, date: [date, debit.date, credit.date].sort().at(-1)! });
    applied += amount;
  }
  if (parts.length === 0) return { applied: 0n, invoiceIds: [] };
  await sql`
    with part as (
      select * from unnest(${parts.map((p) => p.debit.id)}::uuid[], ${parts.map((p) => p.amount.toString())}::bigint[], ${parts.map((p) => p.date)}::date[],
                           ${parts.map((p) => p.debit.date)}::date[], ${parts.map((p) => p.debit.date_maturity)}::date[]) as t(debit_line_id, amount, date, debit_date, debit_due)
    ), inserted as (
      insert into ledger_partial (tenant_id, debit_line_id, credit_line_id, amount, date, partner_id, debit_date, debit_due, credit_date, credit_due)
      select ${books.tenantId}, debit_line_id, ${credit.id}, amount, date, ${credit.partner_id}, debit_date, debit_due, ${credit.date}, ${credit.date_maturity} from part
    ), debits as (
      update ledger_move_line l set amount_residual = l.amount_residual - part.amount
      from part where l.tenant_id = ${books.tenantId} and l.id = part.debit_line_id
    )
    update ledger_move_line set amount_residual = amount_residual + ${applied.toString()}::bigint
    where tenant_id = ${books.tenantId} and id = ${credit.id}`.execute(books.trx);
  for (const p of parts) p.debit.amount_residual -= p.amount;
  credit.amount_residual += applied;
  const payloads = parts.map((p) => ({ partnerId: p.debit.partner_id, debitLineId: p.debit.id, creditLineId: credit.id, invoiceId: p.debit.invoice_id, amount: show(books, p.amount), date: p.date }));
  await books.api.emitMany(books.trx, books.tenantId, 'payment.allocated', payloads, {
    actor: books.actor, audit: payloads.map((after) => ({ actor: books.actor, action: 'payment.allocated', entity: 'move_line', entityId: credit.id, after })),
  });
  return { applied, invoiceIds: [...new Set(parts.map((p) => p.debit.invoice_id).filter((x): x is string => x !== null))] };
}

/**
 * Undoes allocations (all of a credit line's, or only those on one invoice), as of `date`: the
 * partial rows stay, marked undone, and the residuals are restored.
 */
export async function unallocate(books: Books, creditLineId: string, onlyInvoiceId: string | null, date: string): Promise<{ amount: bigint; invoiceIds: string[] }> {
  const { rows } = await sql<{ id: string; amount: bigint; debit_line_id: string; invoice_id: string | null; partner_id: string }>`
    select p.id, p.amount, p.debit_line_id, d.invoice_id, d.partner_id
    from ledger_partial p join ledger_move_line d on d.tenant_id = p.tenant_id and d.id = p.debit_line_id
    where p.tenant_id = ${books.tenantId} and p.credit_line_id = ${creditLineId} and p.undone_at is null
      ${onlyInvoiceId ? sql`and d.invoice_id = ${onlyInvoiceId}` : sql``}
    order by p.id
    for update of p`.execute(books.trx);
  if (rows.length === 0) return { amount: 0n, invoiceIds: [] };
  await lockLines(books, [creditLineId, ...rows.map((r) => r.debit_line_id)]);
  let total = 0n;
  for (const r of rows) {
    await sql`update ledger_partial set undone_at = now(), undone_on = ${date} where tenant_id = ${books.tenantId} and id = ${r.id}`.execute(books.trx);
    await sql`
      update ledger_move_line set amount_residual = amount_residual + case when id = ${r.debit_line_id}::uuid then ${r.amount}::bigint else ${-r.amount}::bigint end
      where tenant_id = ${books.tenantId} and id in (${r.debit_line_id}::uuid, ${creditLineId}::uuid)`.execute(books.trx);
    const payload = { partnerId: r.partner_id, debitLineId: r.debit_line_id, creditLineId, invoiceId: r.invoice_id, amount: show(books, r.amount), date };
    await books.api.emit(books.trx, books.tenantId, 'payment.unallocated', payload, {
      actor: books.actor, audit: { actor: books.actor, action: 'payment.unallocated', entity: 'move_line', entityId: creditLineId, before: payload },
    });
    total += r.amount;
  }
  return { amount: total, invoiceIds: [...new Set(rows.map((r) => r.invoice_id).filter((x): x is string => !!x))] };
}

export interface LockedInvoice { id: string; number: string; partner_id: string; discount: { until: string; amount: string } | null }

/**
 * Locks posted invoices in id order, by a statement of its own (see refreshInvoices), and tells
 * their early-payment discounts: a payment asks for both before it refreshes what it settled.
 */
export async function lockInvoices(books: Books, invoiceIds: string[]): Promise<LockedInvoice[]> {
  if (invoiceIds.length === 0) return [];
  const { rows } = await sql<LockedInvoice>`
    select id, number, partner_id, payment_term->'discount' as discount from ledger_invoice
    where tenant_id = ${books.tenantId} and id = any(${[...new Set(invoiceIds)]}::uuid[]) and state = 'posted' order by id for update`.execute(books.trx);
  return rows;
}

/**
 * Recomputes residual and payment state of invoices (and credit notes) from their lines:
 * not_paid → partial → in_payment (settled, but by a payment not yet matched to a bank line) →
 * paid; `reversed` when credit notes of its own cancelled it. Emits the changes.
 *
 * `settledNow`: per invoice, what this very change allocated to it from matched payments (bank
 * confirmed, or cash). An invoice whose whole receivable amount is that is paid, not in_payment,
 * without looking at its allocation history — which on large books is what a bank statement's
 * refresh mostly costs.
 */
export async function refreshInvoices(books: Books, invoiceIds: string[], settledNow?: Map<string, bigint>, options: { locked?: boolean } = {}): Promise<void> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return;
  // Only a settled invoice can be in_payment; whether a payment not yet matched to the bank settled
  // it is asked of those alone (the CASE keeps the join from running for the others), and not of
  // one that this very change settled whole from matched payments (`settledNow`).
  const now = settledNow ? [...settledNow] : [];
  // Locked first, in id order, by a statement of its own: a statement that waits for a row lock
  // reads what it joins (the lines' residuals, the allocations) as they were when it began, so a
  // refresh waiting for another's (a bank match behind an unallocation) would write a stale state.
  if (!options.locked) await lockInvoices(books, ids);
  const { rows } = await sql<{ id: string; kind: 'invoice' | 'credit_note'; partner_id: string; total: bigint; payment_state: PaymentState; residual: bigint; receivable: bigint; reversed_total: bigint; unmatched: boolean }>`
    select i.id, i.kind, i.partner_id, i.total, i.payment_state, r.residual, r.receivable, x.reversed_total,
      case when r.residual = 0
            and not (i.kind = 'invoice' and x.reversed_total >= i.total)
            and not (i.kind = 'invoice' and r.receivable > 0 and r.receivable is not distinct from n.amount)
        then exists (
          select 1 from ledger_move_line d
          join ledger_partial p on p.tenant_id = d.tenant_id and p.debit_line_id = d.id and p.undone_at is null
          join ledger_move_line c on c.tenant_id = p.tenant_id and c.id = p.credit_line_id
          join ledger_payment pay on pay.tenant_id = c.tenant_id and pay.id = c.payment_id
          where d.tenant_id = i.tenant_id and d.invoice_id = i.id and not pay.bank_matched)
        else false end as unmatched
    from ledger_invoice i
    cross join lateral (
      select coalesce(sum(l.amount_residual), 0)::bigint as residual, coalesce(sum(l.debit - l.credit), 0)::bigint as receivable
      from ledger_move_line l where l.tenant_id = i.tenant_id and l.invoice_id = i.id and l.receivable) r
    cross join lateral (
      select coalesce(sum(c.total), 0)::bigint as reversed_total
      from ledger_invoice c where c.tenant_id = i.tenant_id and c.origin_invoice_id = i.id and c.state = 'posted') x
    left join unnest(${now.map(([id]) => id)}::uuid[], ${now.map(([, amount]) => amount.toString())}::bigint[]) as n(invoice_id, amount) on n.invoice_id = i.id
    where i.tenant_id = ${books.tenantId} and i.id = any(${ids}::uuid[]) and i.state = 'posted'
    order by i.id`.execute(books.trx);
  // Locked in id order above: two refreshes of the same invoices (a bank match and an unallocation) never deadlock.
  const changes = rows.map((r) => {
    const open = r.kind === 'invoice' ? r.residual : -r.residual;
    let state: PaymentState;
    if (open === r.total) state = 'not_paid';
    else if (open > 0n) state = 'partial';
    else if (r.kind === 'invoice' && r.reversed_total >= r.total) state = 'reversed';
    else if (r.unmatched) state = 'in_payment';
    else state = 'paid';
    return { ...r, open, state };
  });
  await sql`
    update ledger_invoice i set residual = v.residual, payment_state = v.state
    from unnest(${changes.map((c) => c.id)}::uuid[], ${changes.map((c) => c.open.toString())}::bigint[], ${changes.map((c) => c.state)}::text[]) as v(id, residual, state)
    where i.tenant_id = ${books.tenantId} and i.id = v.id`.execute(books.trx);
  const moved = changes.filter((c) => c.state !== c.payment_state);
  await books.api.emitMany(books.trx, books.tenantId, 'invoice.payment_state_changed',
    moved.map((c) => ({ invoiceId: c.id, partnerId: c.partner_id, from: c.payment_state, to: c.state, residual: show(books, c.open) })), {
      actor: books.actor,
      audit: moved.map((c) => ({
        actor: books.actor, action: 'invoice.payment_state_changed', entity: 'invoice', entityId: c.id,
        before: { paymentState: c.payment_state }, after: { paymentState: c.state, residual: show(books, c.open) },
      })),
    });
}

export { today };
