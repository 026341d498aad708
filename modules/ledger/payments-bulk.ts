import { groupBy } from '../../core/collections.js';
import { sql } from 'kysely';
import { ProblemError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import { MoneyError, parseAmount } from '../../core/money.js';
import { isIsoDate } from '../../core/dates.js';
import { given, money, show, type AmountInput, type Books } from './context.js';
import { byOldestDue, refreshInvoices, type OpenLine } from './allocation.js';
import { applyEarlyDiscounts, type PaymentInput } from './payments.js';

export interface BulkPaymentResult {
  created: number;
  /** `invoices`: the invoices each payment was allocated to (not part of the route's answer). */
  payments: Array<{ id: string; partner: string; amount: string; allocated: string; unallocated: string; invoices: string[] }>;
}

export interface BulkPaymentOptions {
  /** Receipts already confirmed by bank statement lines: their invoices are `paid`, not `in_payment`. */
  bankMatched?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface InvoiceRow { id: string; number: string | null; partner_id: string; state: string; kind: string }

/** An allocation asked for: `amount` of the invoice's open instalments, oldest due first. */
interface Wanted { at: number; invoice: InvoiceRow; amount: bigint; given: AmountInput; field: string }

interface Prepared {
  /** New rows' ids: time-ordered (uuidv7), so thousands of them are appended to their indexes, not scattered. */
  n: number; id: string; moveId: string; lineId: string; counterpartLineId: string; partnerId: string; input: PaymentInput; amount: bigint; journal: 'bank' | 'cash';
  /** The invoices named, or null: oldest due first. */
  wanted: Wanted[] | null;
  applied: bigint;
  invoices: string[];
}

interface Part { debit: OpenLine; payment: Prepared; amount: bigint; date: string }

/** A problem with payment `n` (with its allocation `at`, -1 for the payment's own fields); `field` is relative to the payment. */
interface Problem { n: number; at: number; field: string; message: string }

/**
 * Registers up to 1,000 payments in one transaction with a handful of set-based statements,
 * each allocated exactly as one payment at a time would be (in the order given, so two payments
 * of one customer settle its invoices one after the other): to the invoices named, or oldest due
 * first. All are validated first (every problem listed with its index), nothing is written unless
 * all are good. With `bankMatched` the receipts are confirmed by the bank at once, as
 * setBankMatched would confirm them one by one.
 */
export async function registerPaymentsInBulk(books: Books, inputs: PaymentInput[], options: BulkPaymentOptions = {}): Promise<BulkPaymentResult> {
  const problems: Problem[] = [];
  const partners = await partnersNamed(books, inputs);
  const invoiceOf = await invoicesNamed(books, inputs);
  const prepared = inputs.map((input, n) => prepare(books, input, n, partners, invoiceOf, problems)).filter((p): p is Prepared => p !== null);

  // The open instalments these payments may settle, locked in id order like a single payment
  // locks them (bulk and single payments of a customer wait for each other, never deadlock): every
  // one of a customer paid oldest due first, only the named invoices' for explicit allocations (a
  // bank statement names them; locking all of a large customer's open items would cost more than
  // the payment).
  const oldestFirstPartners = [...new Set(prepared.filter((p) => p.wanted === null).map((p) => p.partnerId))];
  const namedInvoices = [...new Set(prepared.flatMap((p) => (p.wanted ?? []).map((a) => a.invoice.id)))];
  // Each partner and invoice of the lists is looked up by index, however long the list: `offset 0`
  // keeps the lateral lookups from being flattened into a join, which the planner turns into a
  // scan of every open item for a list of 20,000 invoices (at 1M open items, 2-5 s instead of 1).
  const { rows: open } = await sql<OpenLine>`
    select l.id, l.partner_id, l.date, l.date_maturity, l.amount_residual, l.invoice_id, l.payment_id
    from ledger_move_line l
    where l.tenant_id = ${books.tenantId} and l.receivable and l.amount_residual > 0
      and l.id in (select o.id from unnest(${oldestFirstPartners}::uuid[]) as p(id)
                   cross join lateral (select o.id from ledger_move_line o
                                       where o.tenant_id = ${books.tenantId} and o.partner_id = p.id and o.receivable and o.amount_residual > 0 offset 0) o
                   union all
                   select o.id from unnest(${namedInvoices}::uuid[]) as i(id)
                   cross join lateral (select o.id from ledger_move_line o
                                       where o.tenant_id = ${books.tenantId} and o.invoice_id = i.id and o.receivable and o.amount_residual > 0 offset 0) o)
    order by l.id
    for update of l`.execute(books.trx);
  const queues = groupBy(open, (line) => line.partner_id);
  for (const q of queues.values()) q.sort(byOldestDue);
  const discounts = await discountsOf(books, open);

  // Payments with other problems are allocated too, as far as they can be, so that an allocation
  // more than is open is reported in the same answer.
  const parts: Part[] = [];
  const discounted: Array<[string, string]> = [];
  for (const p of prepared) {
    const queue = queues.get(p.partnerId) ?? [];
    const first = parts.length;
    if (p.wanted === null) p.applied = settle(p, queue, p.amount, parts);
    else for (const a of p.wanted) p.applied += settleInvoice(books, p, a, queue, parts, problems);
    p.invoices = [...new Set(parts.slice(first).map((x) => x.debit.invoice_id).filter((x): x is string => x !== null))];
    discounted.push(...settleDiscounts(p, queue, discounts));
    queues.set(p.partnerId, queue.filter((l) => l.amount_residual > 0n));
  }
  if (problems.length > 0) throw refusal(problems);

  await write(books, prepared, parts, options);
  const touched = [...new Set(parts.map((x) => x.debit.invoice_id).filter((x): x is string => x !== null))];
  await applyEarlyDiscounts(books, discounted);
  // What matched payments (bank confirmed, or cash) settled per invoice: an invoice settled by them alone is paid.
  const settledNow = new Map<string, bigint>();
  for (const x of parts) {
    if (x.debit.invoice_id && (options.bankMatched || x.payment.journal === 'cash')) settledNow.set(x.debit.invoice_id, (settledNow.get(x.debit.invoice_id) ?? 0n) + x.amount);
  }
  await refreshInvoices(books, touched, settledNow);
  await announce(books, prepared, parts, options);
  return {
    created: prepared.length,
    payments: prepared.map((p) => ({ id: p.id, partner: p.partnerId, amount: show(books, p.amount), allocated: show(books, p.applied), unallocated: show(books, p.amount - p.applied), invoices: p.invoices })),
  };
}

/** The partners named (by ref or id) that this user may see. */
async function partnersNamed(books: Books, inputs: PaymentInput[]): Promise<Map<string, string>> {
  const keys = [...new Set(inputs.map((i) => i.partner))];
  // Ids and refs apart, so both are looked up by index (id::text would read every partner).
  const ids = keys.filter((k) => UUID.test(k)).map((k) => k.toLowerCase());
  const { rows } = await sql<{ id: string; ref: string; salesperson_id: string | null }>`
    select id, ref, salesperson_id from ledger_partner
    where tenant_id = ${books.tenantId} and (ref = any(${keys}::text[]) or id = any(${ids}::uuid[]))`.execute(books.trx);
  const partners = new Map<string, string>();
  for (const p of rows) {
    if (books.visibleSalespeople && !books.visibleSalespeople.includes(p.salesperson_id ?? '')) continue;
    partners.set(p.ref, p.id);
    partners.set(p.id, p.id);
  }
  return partners;
}

/** Every invoice the allocations name, by id or number (as a single payment reads them), in one query. */
async function invoicesNamed(books: Books, inputs: PaymentInput[]): Promise<(idOrNumber: string) => InvoiceRow | undefined> {
  const named = [...new Set(inputs.flatMap((i) => (i.allocations ?? []).map((a) => a.invoice)))];
  const ids = named.filter((x) => UUID.test(x)).map((x) => x.toLowerCase());
  const numbers = named.filter((x) => !UUID.test(x));
  if (ids.length === 0 && numbers.length === 0) return () => undefined;
  const { rows } = await sql<InvoiceRow>`
    select id, number, partner_id, state, kind from ledger_invoice
    where tenant_id = ${books.tenantId} and (id = any(${ids}::uuid[]) or number = any(${numbers}::text[]))`.execute(books.trx);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byNumber = new Map(rows.map((r) => [r.number, r]));
  return (idOrNumber) => (UUID.test(idOrNumber) ? byId.get(idOrNumber.toLowerCase()) : byNumber.get(idOrNumber));
}

/** Checks one payment; returns it ready to allocate unless its partner is unknown. */
function prepare(books: Books, input: PaymentInput, n: number, partners: Map<string, string>, invoiceOf: (idOrNumber: string) => InvoiceRow | undefined, problems: Problem[]): Prepared | null {
  const attempt = <T>(check: () => T, at = -1): T | undefined => {
    try {
      return check();
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      problems.push({ n, at, field: err.field ?? '', message: err.message });
      return undefined;
    }
  };
  const partnerId = partners.get(input.partner);
  const amount = attempt(() => {
    if (!partnerId) throw new MoneyError(`no partner '${input.partner}'`, 'partner');
    if (input.currency !== undefined && input.currency !== books.currency) throw new MoneyError(`currency '${input.currency}' is not ${books.currency}`, 'currency');
    if (!isIsoDate(input.date)) throw new MoneyError(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
    return money(books, input.amount, 'amount');
  });
  if (!partnerId) return null;

  // No allocations, or an empty list: oldest due first, as a single payment reads it.
  let wanted: Wanted[] | null = null;
  if (input.allocations !== undefined && input.allocations.length > 0) {
    wanted = [];
    let total = 0n;
    for (const [j, a] of input.allocations.entries()) {
      const field = `allocations[${j}]`;
      const invoice = attempt(() => invoiceFor(invoiceOf, partnerId, a.invoice, `${field}.invoice`), j);
      const minor = attempt(() => money(books, a.amount, `${field}.amount`), j);
      total += minor ?? 0n;
      if (minor !== undefined && invoice) wanted.push({ at: j, invoice, amount: minor, given: a.amount, field });
    }
    if (amount !== undefined && total > amount) problems.push({ n, at: input.allocations.length, field: 'allocations', message: `allocations total ${show(books, total)}, more than the payment's ${given(books, input.amount)}` });
  }
  return {
    n, id: uuidv7(), moveId: uuidv7(), lineId: uuidv7(), counterpartLineId: uuidv7(), partnerId, input, amount: amount ?? 0n,
    journal: input.journal ?? 'bank', wanted, applied: 0n, invoices: [],
  };
}

function invoiceFor(invoiceOf: (idOrNumber: string) => InvoiceRow | undefined, partnerId: string, idOrNumber: string, field: string): InvoiceRow {
  const inv = invoiceOf(idOrNumber);
  if (!inv || inv.partner_id !== partnerId) throw new MoneyError(`no invoice '${idOrNumber}' of this partner`, field);
  if (inv.state !== 'posted' || inv.kind !== 'invoice') throw new MoneyError(`'${idOrNumber}' is not a posted invoice`, field);
  return inv;
}

/** Early-payment discounts of the invoices these instalments belong to. */
async function discountsOf(books: Books, open: OpenLine[]): Promise<Map<string, { until: string; amount: bigint }>> {
  const { rows } = await sql<{ id: string; until: string; amount: string }>`
    select id, payment_term->'discount'->>'until' as until, payment_term->'discount'->>'amount' as amount from ledger_invoice
    where tenant_id = ${books.tenantId} and id = any(${[...new Set(open.map((l) => l.invoice_id).filter((x): x is string => x !== null))]}::uuid[])
      and payment_term->'discount' is not null`.execute(books.trx);
  return new Map(rows.map((d) => [d.id, { until: d.until, amount: parseAmount(d.amount, books.currency, { field: 'discount', allowZero: true }) }]));
}

/** Applies the payment to open instalments in the order given, up to `limit`: allocateInOrder, in memory. */
function settle(p: Prepared, debits: OpenLine[], limit: bigint, parts: Part[]): bigint {
  let applied = 0n;
  for (const debit of debits) {
    if (applied === limit) break;
    const amount = debit.amount_residual < limit - applied ? debit.amount_residual : limit - applied;
    if (amount <= 0n) continue;
    parts.push({ debit, payment: p, amount, date: [p.input.date, debit.date].sort().at(-1)! });
    debit.amount_residual -= amount;
    applied += amount;
  }
  return applied;
}

/** One allocation named: never more than the invoice still has open, after the payments before it. */
function settleInvoice(books: Books, p: Prepared, a: Wanted, queue: OpenLine[], parts: Part[], problems: Problem[]): bigint {
  const debits = queue.filter((l) => l.invoice_id === a.invoice.id && l.amount_residual > 0n);
  const open = debits.reduce((s, l) => s + l.amount_residual, 0n);
  if (a.amount > open) {
    problems.push({ n: p.n, at: a.at, field: `${a.field}.amount`, message: `${given(books, a.given)} is more than the ${show(books, open)} open on invoice ${a.invoice.number}` });
    return 0n;
  }
  return settle(p, debits, a.amount, parts);
}

/**
 * A payment that leaves exactly an invoice's early-payment discount open, in time, settles it
 * (applyEarlyDiscounts books it after the allocations), so the next payment of the customer goes
 * to the next invoice. Returns the (invoice, payment date) pairs to book.
 */
function settleDiscounts(p: Prepared, queue: OpenLine[], discounts: Map<string, { until: string; amount: bigint }>): Array<[string, string]> {
  const settled: Array<[string, string]> = [];
  for (const invoiceId of p.invoices) {
    const discount = discounts.get(invoiceId);
    if (!discount || discount.amount === 0n || p.input.date > discount.until) continue;
    const lines = queue.filter((l) => l.invoice_id === invoiceId);
    if (lines.reduce((a, l) => a + l.amount_residual, 0n) !== discount.amount) continue;
    settled.push([invoiceId, p.input.date]);
    for (const l of lines) l.amount_residual = 0n;
  }
  return settled;
}

function refusal(problems: Problem[]): ProblemError {
  // In the order of the request, though some are found only while allocating.
  const errors = problems.sort((a, b) => a.n - b.n || a.at - b.at).map((p) => ({ field: `payments[${p.n}].${p.field}`.replace(/\.$/, ''), message: p.message }));
  return new ProblemError(400, 'validation', 'The request is not valid', errors.slice(0, 20).map((e) => `${e.field}: ${e.message}`).join('; '), errors[0].field, errors);
}

/** The moves, payments, lines and partials, in a few multi-row statements. */
async function write(books: Books, prepared: Prepared[], parts: Part[], options: BulkPaymentOptions): Promise<void> {
  const t = books.tenantId;
  const { accounts } = books.settings;
  // One array per column (unnest): the statements stay small whatever the number of payments.
  const col = <T>(f: (p: Prepared) => T) => prepared.map(f);
  await sql`
    with payment as (
      select * from unnest(${col((p) => p.id)}::uuid[], ${col((p) => p.moveId)}::uuid[], ${col((p) => p.lineId)}::uuid[], ${col((p) => p.counterpartLineId)}::uuid[], ${col((p) => p.partnerId)}::uuid[],
                           ${col((p) => p.input.date)}::date[], ${col((p) => p.amount.toString())}::bigint[], ${col((p) => (p.amount - p.applied).toString())}::bigint[],
                           ${col((p) => p.input.reference ?? null)}::text[], ${col((p) => p.journal)}::text[])
        as t(id, move_id, line_id, counterpart_line_id, partner_id, date, amount, unallocated, reference, journal)
    ), moves as (
      insert into ledger_move (tenant_id, id, kind, journal, date, ref, partner_id)
      select ${t}, move_id, 'payment', journal, date, reference, partner_id from payment
    ), payments as (
      insert into ledger_payment (tenant_id, id, partner_id, date, amount, currency, reference, journal, move_id, bank_matched)
      select ${t}, id, partner_id, date, amount, ${books.currency}, reference, journal, move_id, journal = 'cash' or ${options.bankMatched === true} from payment
    )
    -- The receivable line is written with what stays unallocated: the partials below account for the rest.
    insert into ledger_move_line (tenant_id, id, move_id, partner_id, date, invoice_id, payment_id, description, account_code, date_maturity, debit, credit, receivable, amount_residual)
    select ${t}::uuid, line_id, move_id, partner_id, date, null::uuid, id, coalesce(reference, 'Payment'), ${accounts.receivable}, date, 0::bigint, amount, true, -unallocated from payment
    union all
    select ${t}::uuid, counterpart_line_id, move_id, partner_id, date, null::uuid, id, coalesce(reference, 'Payment'),
      case when journal = 'cash' then ${accounts.cash} else ${accounts.outstandingReceipts} end, null::date, amount, 0::bigint, false, 0::bigint from payment`.execute(books.trx);
  if (parts.length === 0) return;
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

/**
 * Audit rows and events, as the single services write them. A cash receipt is matched when it is
 * registered, so (as setBankMatched does for it) only bank receipts are reported as bank-matched.
 */
async function announce(books: Books, prepared: Prepared[], parts: Part[], options: BulkPaymentOptions): Promise<void> {
  const t = books.tenantId;
  const allocated = parts.map((x) => ({ partnerId: x.debit.partner_id, debitLineId: x.debit.id, creditLineId: x.payment.lineId, invoiceId: x.debit.invoice_id, amount: show(books, x.amount), date: x.date }));
  const confirmed = options.bankMatched ? prepared.filter((p) => p.journal === 'bank') : [];
  await books.api.audit(books.trx, t, [
    ...prepared.map((p) => ({ actor: books.actor, action: 'payment.registered', entity: 'payment', entityId: p.id, after: { partner: p.input.partner, amount: given(books, p.input.amount), date: p.input.date, reference: p.input.reference ?? null, bulk: true } })),
    ...allocated.map((after) => ({ actor: books.actor, action: 'payment.allocated', entity: 'move_line', entityId: after.creditLineId, after })),
    ...confirmed.map((p) => ({ actor: books.actor, action: 'payment.bank_matched', entity: 'payment', entityId: p.id })),
  ]);
  await books.api.emitMany(books.trx, t, 'payment.allocated', allocated, { actor: books.actor });
  await books.api.emitMany(books.trx, t, 'payment.registered', prepared.map((p) => ({ paymentId: p.id, partnerId: p.partnerId, date: p.input.date, amount: show(books, p.amount) })), { actor: books.actor });
  await books.api.emitMany(books.trx, t, 'payment.reconciled', confirmed.map((p) => ({ paymentId: p.id, partnerId: p.partnerId, invoiceIds: p.invoices })), { actor: books.actor });
}
