import { sql } from 'kysely';
import { badRequest } from '../../core/errors.js';
import { show, today, type Books } from './books.js';
import type { PaymentState } from './schema.js';

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
  return rows.sort((a, b) => (a.date_maturity < b.date_maturity ? -1 : a.date_maturity > b.date_maturity ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : 1));
}

/**
 * Applies `amount` of a credit line (payment, credit note, write-off) to a debit line (an
 * instalment). Both must be locked by the caller. The residuals move together, so the partner's
 * balance never changes; the partial row keeps the date for balances as of any past day.
 */
export async function allocate(books: Books, debit: OpenLine, credit: OpenLine, amount: bigint, date: string): Promise<void> {
  if (amount <= 0n) return;
  if (debit.partner_id !== credit.partner_id) throw badRequest('a payment or credit can only be applied to the same partner\'s invoices', 'partner');
  if (amount > debit.amount_residual) throw badRequest(`cannot apply ${show(books, amount)}: only ${show(books, debit.amount_residual)} is open on that instalment`, 'amount');
  if (amount > -credit.amount_residual) throw badRequest(`cannot apply ${show(books, amount)}: only ${show(books, -credit.amount_residual)} of the credit is unallocated`, 'amount');
  const onDate = [date, debit.date, credit.date].sort().at(-1)!;
  await books.trx.insertInto('ledger_partial').values({
    tenant_id: books.tenantId, debit_line_id: debit.id, credit_line_id: credit.id, amount, date: onDate, undone_at: null, undone_on: null,
    partner_id: debit.partner_id, debit_date: debit.date, debit_due: debit.date_maturity, credit_date: credit.date, credit_due: credit.date_maturity,
  }).execute();
  await sql`
    update ledger_move_line set amount_residual = amount_residual + case when id = ${debit.id}::uuid then ${-amount}::bigint else ${amount}::bigint end
    where tenant_id = ${books.tenantId} and id in (${debit.id}::uuid, ${credit.id}::uuid)`.execute(books.trx);
  debit.amount_residual -= amount;
  credit.amount_residual += amount;
  const payload = { partnerId: debit.partner_id, debitLineId: debit.id, creditLineId: credit.id, invoiceId: debit.invoice_id, amount: show(books, amount), date: onDate };
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'payment.allocated', entity: 'move_line', entityId: credit.id, after: payload });
  await books.api.emit(books.trx, books.tenantId, 'payment.allocated', payload, { actor: books.actor });
}

/** Applies a credit line to open debit lines in the order given, as far as it goes. Returns the amount applied. */
export async function allocateInOrder(books: Books, credit: OpenLine, debits: OpenLine[], limit: bigint, date: string): Promise<bigint> {
  let applied = 0n;
  for (const debit of debits) {
    const room = -credit.amount_residual;
    const amount = [limit - applied, debit.amount_residual, room].reduce((a, b) => (b < a ? b : a));
    if (amount <= 0n) break;
    await allocate(books, debit, credit, amount, date);
    applied += amount;
  }
  return applied;
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
    await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'payment.unallocated', entity: 'move_line', entityId: creditLineId, before: payload });
    await books.api.emit(books.trx, books.tenantId, 'payment.unallocated', payload, { actor: books.actor });
    total += r.amount;
  }
  return { amount: total, invoiceIds: [...new Set(rows.map((r) => r.invoice_id).filter((x): x is string => !!x))] };
}

/**
 * Recomputes residual and payment state of invoices (and credit notes) from their lines:
 * not_paid → partial → in_payment (settled, but by a payment not yet matched to a bank line) →
 * paid; `reversed` when credit notes of its own cancelled it. Emits the changes.
 */
export async function refreshInvoices(books: Books, invoiceIds: string[]): Promise<void> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return;
  const { rows } = await sql<{ id: string; kind: 'invoice' | 'credit_note'; partner_id: string; total: bigint; payment_state: PaymentState; residual: bigint; reversed_total: bigint; unmatched: boolean }>`
    select i.id, i.kind, i.partner_id, i.total, i.payment_state,
      coalesce((select sum(l.amount_residual) from ledger_move_line l where l.tenant_id = i.tenant_id and l.invoice_id = i.id and l.receivable), 0)::bigint as residual,
      coalesce((select sum(c.total) from ledger_invoice c where c.tenant_id = i.tenant_id and c.origin_invoice_id = i.id and c.state = 'posted'), 0)::bigint as reversed_total,
      exists (
        select 1 from ledger_move_line d
        join ledger_partial p on p.tenant_id = d.tenant_id and p.debit_line_id = d.id and p.undone_at is null
        join ledger_move_line c on c.tenant_id = p.tenant_id and c.id = p.credit_line_id
        join ledger_payment pay on pay.tenant_id = c.tenant_id and pay.id = c.payment_id
        where d.tenant_id = i.tenant_id and d.invoice_id = i.id and not pay.bank_matched
      ) as unmatched
    from ledger_invoice i
    where i.tenant_id = ${books.tenantId} and i.id = any(${ids}::uuid[]) and i.state = 'posted'`.execute(books.trx);
  for (const r of rows) {
    const open = r.kind === 'invoice' ? r.residual : -r.residual;
    let state: PaymentState;
    if (open === r.total) state = 'not_paid';
    else if (open > 0n) state = 'partial';
    else if (r.kind === 'invoice' && r.reversed_total >= r.total) state = 'reversed';
    else if (r.unmatched) state = 'in_payment';
    else state = 'paid';
    await books.trx.updateTable('ledger_invoice').set({ residual: open, payment_state: state })
      .where('tenant_id', '=', books.tenantId).where('id', '=', r.id).execute();
    if (state !== r.payment_state) {
      await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'invoice.payment_state_changed', entity: 'invoice', entityId: r.id, before: { paymentState: r.payment_state }, after: { paymentState: state, residual: show(books, open) } });
      await books.api.emit(books.trx, books.tenantId, 'invoice.payment_state_changed', { invoiceId: r.id, partnerId: r.partner_id, from: r.payment_state, to: state, residual: show(books, open) }, { actor: books.actor });
    }
  }
}

export { today };
