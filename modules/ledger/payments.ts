import { sql } from 'kysely';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import { compareDates } from '../../core/dates.js';
import { assertCurrency, given, money, show, today, type AmountInput, type Books } from './context.js';
import { checkDate, resolvePartner } from './partners.js';
import { creditLines } from './invoices.js';
import { allocateInOrder, lockInvoices, lockLines, openDebits, refreshInvoices, unallocate, type LockedInvoice, type OpenLine } from './allocation.js';

export interface PaymentInput {
  partner: string;
  date: string;
  /** Decimal string, or a JSON number where exact (core/money.ts decimalText); bigint minor units from a service. */
  amount: AmountInput;
  currency?: string;
  reference?: string;
  journal?: 'bank' | 'cash';
  allocations?: Array<{ invoice: string; amount: AmountInput }>;
}

export interface PaymentView {
  id: string; partner: { id: string; ref: string; name: string }; date: string; amount: string; currency: string;
  reference: string | null; journal: 'bank' | 'cash'; bankMatched: boolean; reversedOn: string | null;
  allocated: string; unallocated: string;
  allocations: Array<{ invoice: string | null; number: string | null; amount: string; date: string }>;
}

async function invoiceForAllocation(books: Books, partnerId: string, idOrNumber: string, field: string) {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrNumber);
  const inv = await books.trx.selectFrom('ledger_invoice').select(['id', 'number', 'partner_id', 'state', 'kind', 'residual'])
    .where('tenant_id', '=', books.tenantId).where(uuid ? 'id' : 'number', '=', idOrNumber).executeTakeFirst();
  if (!inv || inv.partner_id !== partnerId) throw badRequest(`no invoice '${idOrNumber}' of this partner`, field);
  if (inv.state !== 'posted' || inv.kind !== 'invoice') throw badRequest(`'${idOrNumber}' is not a posted invoice`, field);
  return inv;
}

/**
 * Registers a receipt: outstanding receipts (bank) or cash against the partner's receivable, then
 * allocates it — to the invoices given, or oldest due first. What is left stays as the partner's
 * unallocated credit.
 */
export async function registerPayment(books: Books, input: PaymentInput): Promise<PaymentView> {
  const partner = await resolvePartner(books, input.partner, 'partner');
  assertCurrency(books, input.currency);
  checkDate(input.date, 'date');
  const amount = money(books, input.amount, 'amount');
  const journal = input.journal ?? 'bank';
  const wanted = (input.allocations ?? []).map((a, i) => ({ ...a, minor: money(books, a.amount, `allocations[${i}].amount`), field: `allocations[${i}].invoice` }));
  const wantedTotal = wanted.reduce((s, a) => s + a.minor, 0n);
  if (wantedTotal > amount) throw badRequest(`allocations total ${show(books, wantedTotal)}, more than the payment's ${given(books, input.amount)}`, 'allocations');

  const { accounts } = books.settings;
  const reference = input.reference ?? null;
  // The move, the payment and both lines in one round trip; the entry's balance is checked at commit.
  const { rows: [created] } = await sql<{ payment_id: string; line_id: string }>`
    with move as (
      insert into ledger_move (tenant_id, kind, journal, date, ref, partner_id)
      values (${books.tenantId}, 'payment', ${journal}, ${input.date}, ${reference}, ${partner.id}) returning id
    ), payment as (
      insert into ledger_payment (tenant_id, partner_id, date, amount, currency, reference, journal, move_id, bank_matched)
      select ${books.tenantId}, ${partner.id}, ${input.date}, ${amount.toString()}::bigint, ${books.currency}, ${reference}, ${journal}, move.id, ${journal === 'cash'} from move
      returning id, move_id
    ), lines as (
      insert into ledger_move_line (tenant_id, move_id, partner_id, date, invoice_id, payment_id, description, account_code, date_maturity, debit, credit, receivable, amount_residual)
      select ${books.tenantId}, payment.move_id, ${partner.id}, ${input.date}::date, null, payment.id, ${reference ?? 'Payment'}, l.account_code, l.date_maturity, l.debit, l.credit, l.receivable, l.residual
      from payment, (values
        (${accounts.receivable}, ${input.date}::date, 0::bigint, ${amount.toString()}::bigint, true, ${(-amount).toString()}::bigint),
        (${journal === 'cash' ? accounts.cash : accounts.outstandingReceipts}, null::date, ${amount.toString()}::bigint, 0::bigint, false, 0::bigint)
      ) as l(account_code, date_maturity, debit, credit, receivable, residual)
      returning id, receivable
    )
    select payment.id as payment_id, (select id from lines where receivable) as line_id from payment`.execute(books.trx);
  const payment = { id: created.payment_id };
  const credit: OpenLine = { id: created.line_id, partner_id: partner.id, date: input.date, date_maturity: input.date, amount_residual: -amount, invoice_id: null, payment_id: payment.id };

  const touched: string[] = [];
  if (wanted.length > 0) {
    const invoices = [];
    for (const a of wanted) invoices.push(await invoiceForAllocation(books, partner.id, a.invoice, a.field));
    if (invoices.length > 1) {
      // Every instalment concerned locked at once in id order: payments naming the same invoices in another order never deadlock.
      await sql`select id from ledger_move_line where tenant_id = ${books.tenantId} and invoice_id = any(${invoices.map((i) => i.id)}::uuid[]) and receivable
        order by id for update`.execute(books.trx);
    }
    for (const [i, a] of wanted.entries()) {
      const inv = invoices[i];
      const debits = await openDebits(books, partner.id, inv.id);
      const open = debits.reduce((s, d) => s + d.amount_residual, 0n);
      if (a.minor > open) throw badRequest(`${a.amount} is more than the ${show(books, open)} open on invoice ${inv.number}`, a.field.replace(/invoice$/, 'amount'));
      touched.push(...(await allocateInOrder(books, credit, debits, a.minor, input.date)).invoiceIds);
    }
  } else {
    const debits = await openDebits(books, partner.id);
    touched.push(...(await allocateInOrder(books, credit, debits, amount, input.date)).invoiceIds);
  }
  const locked = await lockInvoices(books, touched);
  await applyEarlyDiscounts(books, touched.map((id) => [id, input.date]), locked);
  await refreshInvoices(books, touched, undefined, { locked: true });
  await books.api.emit(books.trx, books.tenantId, 'payment.registered', { paymentId: payment.id, partnerId: partner.id, date: input.date, amount: show(books, amount) }, {
    actor: books.actor, audit: { actor: books.actor, action: 'payment.registered', entity: 'payment', entityId: payment.id, after: { partner: partner.ref, amount: given(books, input.amount), date: input.date, reference: input.reference ?? null } },
  });
  return getPayment(books, payment.id);
}

async function paymentRow(books: Books, id: string) {
  const row = await books.trx.selectFrom('ledger_payment as y').innerJoin('ledger_partner as p', (j) => j.onRef('p.tenant_id', '=', 'y.tenant_id').onRef('p.id', '=', 'y.partner_id'))
    .selectAll('y').select(['p.ref', 'p.name', 'p.salesperson_id'])
    .where('y.tenant_id', '=', books.tenantId).where('y.id', '=', id).executeTakeFirst();
  if (!row || (books.visibleSalespeople && !books.visibleSalespeople.includes(row.salesperson_id ?? ''))) throw notFound(`No payment ${id}.`);
  return row;
}

export async function paymentCreditLine(books: Books, paymentId: string): Promise<OpenLine> {
  const { rows } = await sql<OpenLine>`
    select id, partner_id, date, date_maturity, amount_residual, invoice_id, payment_id from ledger_move_line
    where tenant_id = ${books.tenantId} and payment_id = ${paymentId} and receivable`.execute(books.trx);
  return rows[0];
}

/** A payment as stored, amounts in minor units: the view and the ledger's service are both made from it. */
export interface PaymentRecord {
  id: string; partner_id: string; ref: string; name: string; salesperson_id: string | null; date: string; amount: bigint; currency: string;
  reference: string | null; journal: 'bank' | 'cash'; bank_matched: boolean; reversed_on: string | null; unallocated: bigint;
  allocations: Array<{ invoice: string | null; number: string | null; amount: bigint; date: string }>;
}

export async function paymentRecord(books: Books, id: string): Promise<PaymentRecord> {
  const { rows: [row] } = await sql<Omit<PaymentRecord, 'allocations'> & { allocations: Array<{ invoice: string | null; number: string | null; amount: string; date: string }> }>`
    select y.id, y.partner_id, p.ref, p.name, p.salesperson_id, y.date, y.amount, y.currency, y.reference, y.journal, y.bank_matched, y.reversed_on,
      -l.amount_residual as unallocated,
      coalesce((
        select json_agg(json_build_object('invoice', d.invoice_id, 'number', i.number, 'amount', a.amount::text, 'date', a.date)
                        order by d.date_maturity, d.date, a.created_at, a.id)
        from ledger_partial a
        join ledger_move_line d on d.tenant_id = a.tenant_id and d.id = a.debit_line_id
        left join ledger_invoice i on i.tenant_id = d.tenant_id and i.id = d.invoice_id
        where a.tenant_id = l.tenant_id and a.credit_line_id = l.id and a.undone_at is null), '[]') as allocations
    from ledger_payment y
    join ledger_partner p on p.tenant_id = y.tenant_id and p.id = y.partner_id
    join ledger_move_line l on l.tenant_id = y.tenant_id and l.payment_id = y.id and l.receivable
    where y.tenant_id = ${books.tenantId} and y.id = ${id}`.execute(books.trx);
  if (!row || (books.visibleSalespeople && !books.visibleSalespeople.includes(row.salesperson_id ?? ''))) throw notFound(`No payment ${id}.`);
  return { ...row, currency: row.currency.trim(), allocations: row.allocations.map((a) => ({ ...a, amount: BigInt(a.amount) })) };
}

export async function getPayment(books: Books, id: string): Promise<PaymentView> {
  const row = await paymentRecord(books, id);
  return {
    id: row.id, partner: { id: row.partner_id, ref: row.ref, name: row.name }, date: row.date, amount: show(books, row.amount), currency: row.currency,
    reference: row.reference, journal: row.journal, bankMatched: row.bank_matched, reversedOn: row.reversed_on,
    allocated: show(books, row.amount - row.unallocated), unallocated: show(books, row.unallocated),
    allocations: row.allocations.map((a) => ({ invoice: a.invoice, number: a.number, amount: show(books, a.amount), date: a.date })),
  };
}

/** Undoes a payment's allocations (all, or those on one invoice) as of `date`; audited and reversible. */
export async function unallocatePayment(books: Books, paymentId: string, input: { invoice?: string; date?: string }): Promise<PaymentView> {
  const row = await paymentRow(books, paymentId);
  if (row.reversed_on) throw conflict(`Payment ${paymentId} was reversed on ${row.reversed_on}; nothing of it can be unallocated.`, 'payment-reversed');
  const line = await paymentCreditLine(books, paymentId);
  const date = input.date ? checkDate(input.date, 'date') : today(books);
  let invoiceId: string | null = null;
  if (input.invoice) invoiceId = (await invoiceForAllocation(books, row.partner_id, input.invoice, 'invoice')).id;
  const undone = await unallocate(books, line.id, invoiceId, date);
  if (undone.amount === 0n) throw conflict('Nothing is allocated from this payment' + (input.invoice ? ` to invoice ${input.invoice}` : '') + '.', 'nothing-allocated');
  await refreshInvoices(books, undone.invoiceIds);
  return getPayment(books, paymentId);
}

/**
 * Cancels a payment (a receipt entered by mistake, a bank match undone): its allocations are
 * undone as of `date`, and a reversal entry (receivable against outstanding receipts or cash)
 * settles its credit line, so it is neither open credit nor money in the bank any more.
 */
export async function reversePayment(books: Books, paymentId: string, input: { date?: string; reason?: string } = {}): Promise<PaymentView> {
  const row = await paymentRow(books, paymentId);
  if (row.reversed_on) throw conflict(`Payment ${paymentId} was already reversed on ${row.reversed_on}.`, 'payment-reversed');
  const date = input.date ? checkDate(input.date, 'date') : [row.date, today(books)].sort().at(-1)!;
  if (compareDates(date, row.date) < 0) throw badRequest(`date ${date} is before the payment date ${row.date}`, 'date');
  const line = await paymentCreditLine(books, paymentId);
  const undone = await unallocate(books, line.id, null, date);
  const credit = (await lockLines(books, [line.id])).get(line.id)!;
  const { accounts } = books.settings;
  const move = await books.trx.insertInto('ledger_move').values({
    tenant_id: books.tenantId, kind: 'payment', journal: row.journal, date, ref: `Reversal of ${row.reference ?? 'payment'}`, partner_id: row.partner_id, reversal_of: row.move_id,
  }).returning('id').executeTakeFirstOrThrow();
  const base = { tenant_id: books.tenantId, move_id: move.id, partner_id: row.partner_id, date, invoice_id: null, payment_id: paymentId, description: input.reason ?? `Reversal of ${row.reference ?? 'payment'}` };
  const [debitLine] = await books.trx.insertInto('ledger_move_line').values([
    { ...base, account_code: accounts.receivable, date_maturity: date, debit: row.amount, credit: 0n, receivable: true, amount_residual: row.amount },
    { ...base, account_code: row.journal === 'cash' ? accounts.cash : accounts.outstandingReceipts, date_maturity: null, debit: 0n, credit: row.amount, receivable: false, amount_residual: 0n },
  ]).returning('id').execute();
  const debit: OpenLine = { id: debitLine.id, partner_id: row.partner_id, date, date_maturity: date, amount_residual: row.amount, invoice_id: null, payment_id: paymentId };
  await allocateInOrder(books, credit, [debit], row.amount, date);
  await books.trx.updateTable('ledger_payment').set({ reversed_on: date, bank_matched: false }).where('tenant_id', '=', books.tenantId).where('id', '=', paymentId).execute();
  await refreshInvoices(books, undone.invoiceIds);
  await books.api.emit(books.trx, books.tenantId, 'payment.reversed', { paymentId, partnerId: row.partner_id, date, amount: show(books, row.amount), invoiceIds: undone.invoiceIds }, {
    actor: books.actor, audit: { actor: books.actor, action: 'payment.reversed', entity: 'payment', entityId: paymentId, after: { date, reason: input.reason ?? null, invoices: undone.invoiceIds } },
  });
  return getPayment(books, paymentId);
}

/** Applies existing credit (a payment's unallocated amount, or an open credit note) to an invoice. */
export async function allocateCredit(books: Books, input: { payment?: string; creditNote?: string; invoice: string; amount?: AmountInput; date?: string }): Promise<{ allocated: string; invoice: string }> {
  if ((input.payment === undefined) === (input.creditNote === undefined)) throw badRequest('give either payment or creditNote', 'payment');
  let credit: OpenLine | undefined;
  let partnerId: string;
  let touched: string[] = [];
  if (input.payment) {
    const row = await paymentRow(books, input.payment);
    partnerId = row.partner_id;
    credit = await paymentCreditLine(books, row.id);
  } else {
    const cn = await books.trx.selectFrom('ledger_invoice').select(['id', 'partner_id', 'kind', 'state']).where('tenant_id', '=', books.tenantId).where('id', '=', input.creditNote!).executeTakeFirst();
    if (!cn || cn.kind !== 'credit_note' || cn.state !== 'posted') throw badRequest(`no posted credit note ${input.creditNote}`, 'creditNote');
    await resolvePartner(books, cn.partner_id);
    partnerId = cn.partner_id;
    credit = (await creditLines(books, cn.id))[0];
    touched = [cn.id];
  }
  const inv = await invoiceForAllocation(books, partnerId, input.invoice, 'invoice');
  const date = input.date ? checkDate(input.date, 'date') : today(books);
  const locked = (await lockLines(books, [credit.id])).get(credit.id)!;
  const debits = await openDebits(books, partnerId, inv.id);
  const open = debits.reduce((s, d) => s + d.amount_residual, 0n);
  const available = -locked.amount_residual;
  const amount = input.amount !== undefined ? money(books, input.amount, 'amount') : (open < available ? open : available);
  if (amount <= 0n) throw conflict('Nothing to allocate: the credit is used up or the invoice is settled.', 'nothing-to-allocate');
  if (amount > available) throw badRequest(`only ${show(books, available)} of the credit is unallocated`, 'amount');
  if (amount > open) throw badRequest(`only ${show(books, open)} is open on invoice ${inv.number}`, 'amount');
  await allocateInOrder(books, locked, debits, amount, date);
  await refreshInvoices(books, [inv.id, ...touched]);
  return { allocated: show(books, amount), invoice: inv.id };
}

/** Writes off a small residual (up to the `writeOffLimit` setting) to the write-off account. */
export async function writeOff(books: Books, invoiceId: string, input: { amount?: AmountInput; date?: string; reason?: string }): Promise<void> {
  const inv = await books.trx.selectFrom('ledger_invoice').select(['id', 'number', 'partner_id', 'state', 'kind', 'date']).where('tenant_id', '=', books.tenantId).where('id', '=', invoiceId).executeTakeFirst();
  if (!inv) throw notFound(`No invoice ${invoiceId}.`);
  await resolvePartner(books, inv.partner_id);
  if (inv.state !== 'posted' || inv.kind !== 'invoice') throw badRequest('only a posted invoice can be written off', 'id');
  const date = input.date ? checkDate(input.date, 'date') : today(books);
  if (compareDates(date, inv.date) < 0) throw badRequest(`date ${date} is before the invoice date ${inv.date}`, 'date');
  const debits = await openDebits(books, inv.partner_id, inv.id);
  const open = debits.reduce((s, d) => s + d.amount_residual, 0n);
  const amount = input.amount !== undefined ? money(books, input.amount, 'amount') : open;
  if (amount <= 0n || open === 0n) throw conflict(`Invoice ${inv.number} has nothing open to write off.`, 'nothing-open');
  if (amount > open) throw badRequest(`only ${show(books, open)} is open on invoice ${inv.number}`, 'amount');
  const limit = money(books, books.settings.writeOffLimit, 'writeOffLimit', { allowZero: true });
  if (amount > limit) throw badRequest(`${show(books, amount)} is more than the write-off limit of ${show(books, limit)} (setting writeOffLimit)`, 'amount');
  const move = await books.trx.insertInto('ledger_move').values({
    tenant_id: books.tenantId, kind: 'write_off', journal: 'general', date, ref: `Write-off ${inv.number}`, partner_id: inv.partner_id, reversal_of: null,
  }).returning('id').executeTakeFirstOrThrow();
  const base = { tenant_id: books.tenantId, move_id: move.id, partner_id: inv.partner_id, date, invoice_id: null, payment_id: null, description: input.reason ?? `Write-off ${inv.number}` };
  const [line] = await books.trx.insertInto('ledger_move_line').values([
    { ...base, account_code: books.settings.accounts.receivable, date_maturity: date, debit: 0n, credit: amount, receivable: true, amount_residual: -amount },
    { ...base, account_code: books.settings.accounts.writeOff, date_maturity: null, debit: amount, credit: 0n, receivable: false, amount_residual: 0n },
  ]).returning('id').execute();
  const credit: OpenLine = { id: line.id, partner_id: inv.partner_id, date, date_maturity: date, amount_residual: -amount, invoice_id: null, payment_id: null };
  await allocateInOrder(books, credit, debits, amount, date);
  await refreshInvoices(books, [inv.id]);
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'invoice.written_off', entity: 'invoice', entityId: inv.id, after: { amount: show(books, amount), date, reason: input.reason ?? null } });
}

/**
 * Marks a payment as matched (or no longer matched) to a bank statement line: its invoices move
 * between `in_payment` and `paid`. The bank-reconciliation module calls this (service `payments`).
 */
export async function setBankMatched(books: Books, paymentId: string, matched: boolean): Promise<void> {
  const row = await paymentRow(books, paymentId);
  if (matched && row.reversed_on) throw conflict(`Payment ${paymentId} was reversed on ${row.reversed_on}; it cannot be matched to a bank line.`, 'payment-reversed');
  if (row.bank_matched === matched) return;
  await books.trx.updateTable('ledger_payment').set({ bank_matched: matched }).where('tenant_id', '=', books.tenantId).where('id', '=', paymentId).execute();
  const { rows } = await sql<{ invoice_id: string }>`
    select distinct d.invoice_id from ledger_partial p
    join ledger_move_line c on c.tenant_id = p.tenant_id and c.id = p.credit_line_id
    join ledger_move_line d on d.tenant_id = p.tenant_id and d.id = p.debit_line_id
    where p.tenant_id = ${books.tenantId} and c.payment_id = ${paymentId} and p.undone_at is null and d.invoice_id is not null`.execute(books.trx);
  const invoiceIds = rows.map((r) => r.invoice_id);
  await refreshInvoices(books, invoiceIds);
  const entry = { actor: books.actor, action: matched ? 'payment.bank_matched' : 'payment.bank_unmatched', entity: 'payment', entityId: paymentId };
  if (matched) await books.api.emit(books.trx, books.tenantId, 'payment.reconciled', { paymentId, partnerId: row.partner_id, invoiceIds }, { actor: books.actor, audit: entry });
  else await books.api.audit(books.trx, books.tenantId, entry);
}

/**
 * Early-payment discount (from the invoice's payment term): when what is still open on the
 * invoice is exactly the discount and the payment came by the deadline, the discount is booked to
 * its own account (payment discounts, 635) and settles the invoice.
 */
/** Early-payment discounts for the invoices payments just touched (invoice id, payment date). */
export async function applyEarlyDiscounts(books: Books, touched: Array<[string, string]>, locked?: LockedInvoice[]): Promise<void> {
  if (touched.length === 0) return;
  const invoices = locked ?? await lockInvoices(books, touched.map(([id]) => id));
  for (const inv of invoices) {
    if (!inv.discount) continue;
    for (const [id, paymentDate] of touched) {
      if (id === inv.id && compareDates(paymentDate, inv.discount.until) <= 0) await applyEarlyDiscount(books, inv, inv.discount, paymentDate);
    }
  }
}

async function applyEarlyDiscount(books: Books, inv: { id: string; number: string; partner_id: string }, discount: { until: string; amount: string }, paymentDate: string): Promise<void> {
  const amount = money(books, discount.amount, 'discount', { allowZero: true });
  const debits = await openDebits(books, inv.partner_id, inv.id);
  const open = debits.reduce((s, d) => s + d.amount_residual, 0n);
  if (amount === 0n || open !== amount) return;
  const move = await books.trx.insertInto('ledger_move').values({
    tenant_id: books.tenantId, kind: 'write_off', journal: 'general', date: paymentDate, ref: `Early-payment discount ${inv.number}`, partner_id: inv.partner_id, reversal_of: null,
  }).returning('id').executeTakeFirstOrThrow();
  const base = { tenant_id: books.tenantId, move_id: move.id, partner_id: inv.partner_id, date: paymentDate, invoice_id: null, payment_id: null, description: `Early-payment discount ${inv.number}` };
  const [line] = await books.trx.insertInto('ledger_move_line').values([
    { ...base, account_code: books.settings.accounts.receivable, date_maturity: paymentDate, debit: 0n, credit: amount, receivable: true, amount_residual: -amount },
    { ...base, account_code: books.settings.accounts.paymentDiscount, date_maturity: null, debit: amount, credit: 0n, receivable: false, amount_residual: 0n },
  ]).returning('id').execute();
  const credit: OpenLine = { id: line.id, partner_id: inv.partner_id, date: paymentDate, date_maturity: paymentDate, amount_residual: -amount, invoice_id: null, payment_id: null };
  await allocateInOrder(books, credit, debits, amount, paymentDate);
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'invoice.discount_granted', entity: 'invoice', entityId: inv.id, after: { amount: discount.amount, until: discount.until, paymentDate } });
}
