import type { AuditEntry } from '../../core/audit.js';
import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Trx } from '../../core/db/kysely.js';
import { ProblemError, badRequest, conflict, notFound } from '../../core/errors.js';
import { compareDates } from '../../core/dates.js';
import { uuidv7 } from '../../core/ids.js';
import { assertCurrency, money, show, today, type Books } from './context.js';
import { checkDiscounts, computeLine, type LineInput } from './amounts.js';
import { checkDate, resolvePartner } from './partners.js';
import { paymentReference } from './payment-reference.js';
import { allocateInOrder, lockLines, openDebits, refreshInvoices, type OpenLine } from './allocation.js';
import type { Installment, PaymentState } from './tables.js';
import type { InstallmentPlan } from './public.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AuditInput = Omit<AuditEntry, 'module'>;

export interface InvoiceInput {
  partner: string;
  date: string;
  dueDate?: string;
  paymentTerm?: string;
  currency?: string;
  lines: LineInput[];
  post?: boolean;
  einvoice?: { form?: string; series?: string; number?: string };
  notes?: string;
}

export interface InvoiceView {
  id: string; kind: 'invoice' | 'credit_note'; number: string | null; state: 'draft' | 'posted'; paymentState: PaymentState;
  partner: { id: string; ref: string; name: string }; date: string; dueDate: string | null; currency: string;
  paymentReference: string | null; paymentTerm: unknown; discount: { until: string; amount: string } | null;
  untaxed: string; tax: string; total: string; residual: string;
  installments: Array<{ dueDate: string; amount: string; residual: string }>;
  lines: Array<{ description: string; quantity: string; unitPrice: string; taxRate: string; subtotal: string; tax: string }>;
  einvoice: { form: string | null; series: string | null; number: string | null };
  originInvoice: string | null; notes: string | null;
}

/** Takes the next number of each (series, year) given, in one statement (rows locked in the order given). */
async function nextNumbers(books: Books, keys: Array<[string, number]>): Promise<number[]> {
  const { rows } = await sql<{ series: string; year: number; n: number }>`
    insert into ledger_sequence (tenant_id, series, year, next_number)
    select ${books.tenantId}, s, y, 2 from unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::int[]) with ordinality as t(s, y, o) order by o
    on conflict (tenant_id, series, year) do update set next_number = ledger_sequence.next_number + 1
    returning series, year, next_number - 1 as n`.execute(books.trx);
  return keys.map(([series, year]) => rows.find((r) => r.series === series && r.year === year)!.n);
}

export async function createInvoice(books: Books, input: InvoiceInput, kind: 'invoice' | 'credit_note' = 'invoice', originInvoiceId: string | null = null): Promise<InvoiceView> {
  const partner = await resolvePartner(books, input.partner, 'partner');
  assertCurrency(books, input.currency);
  checkDate(input.date, 'date');
  if (input.dueDate !== undefined) {
    checkDate(input.dueDate, 'dueDate');
    if (compareDates(input.dueDate, input.date) < 0) throw badRequest(`dueDate ${input.dueDate} is before the invoice date ${input.date}`, 'dueDate');
    if (input.paymentTerm !== undefined) throw badRequest('give either dueDate or paymentTerm, not both', 'paymentTerm');
  }
  if (input.lines.length === 0) throw badRequest('an invoice needs at least one line', 'lines');
  const lines = input.lines.map((l, i) => computeLine(l, books.currency, i));
  const discounts = checkDiscounts(lines);
  if (discounts) throw badRequest(discounts.message, 'lines');
  const untaxed = lines.reduce((a, l) => a + l.subtotal, 0n);
  const tax = lines.reduce((a, l) => a + l.tax, 0n);
  const total = untaxed + tax;
  if (total <= 0n) throw badRequest('the total must be more than zero', 'lines');
  let paymentTerm = input.paymentTerm;
  if (paymentTerm === undefined && input.dueDate === undefined && kind === 'invoice') {
    paymentTerm = (await (await books.api.ownService().installments.providerFor(books))?.defaultTerm(books, partner.id)) ?? undefined;
  }
  if (paymentTerm !== undefined) await planInstallments(books, paymentTerm, input.date, total); // refuse a bad term now, not at posting

  const requested = paymentTerm !== undefined ? { requested: paymentTerm } : null;
  const row = await books.trx.insertInto('ledger_invoice').values({
    tenant_id: books.tenantId, kind, number: null, partner_id: partner.id, date: input.date, due_date: input.dueDate ?? null,
    currency: books.currency, state: 'draft', payment_reference: null,
    payment_term: JSON.stringify(requested), installments: JSON.stringify(null),
    einvoice_form: input.einvoice?.form ?? null, einvoice_series: input.einvoice?.series ?? null, einvoice_number: input.einvoice?.number ?? null,
    untaxed, tax, total, residual: total, move_id: null, origin_invoice_id: originInvoiceId, notes: input.notes ?? null, posted_at: null,
  }).returning('id').executeTakeFirstOrThrow();
  const lineRows = lines.map((l, i) => ({
    tenant_id: books.tenantId, invoice_id: row.id, position: i + 1, description: l.description, quantity: l.quantity,
    unit_price: l.unitPrice, tax_rate: l.taxRate, subtotal: l.subtotal, tax: l.tax, account_code: books.settings.accounts.revenue,
  }));
  await books.trx.insertInto('ledger_invoice_line').values(lineRows).execute();
  const created = { actor: books.actor, action: `${kind}.created`, entity: 'invoice', entityId: row.id, after: { partner: partner.ref, total: show(books, total) } };
  // Created and posted at once: the draft just written is posted from memory (no second read).
  if (input.post) return postDraft(books, { id: row.id, kind, partner_id: partner.id, date: input.date, due_date: input.dueDate ?? null, total, payment_term: requested }, lineRows, [created]);
  await books.api.audit(books.trx, books.tenantId, created);
  return getInvoice(books, row.id);
}

async function planInstallments(books: Books, term: string, date: string, total: bigint): Promise<InstallmentPlan> {
  const provider = await books.api.ownService().installments.providerFor(books);
  if (!provider) throw badRequest('payment terms need the payment-terms module, which is not enabled for this company; give a dueDate instead', 'paymentTerm');
  const plan = await provider.plan(books, term, date, total);
  const sum = plan.installments.reduce((a, i) => a + i.amount, 0n);
  if (sum !== total) throw new Error(`payment term ${term} split ${total} into instalments summing to ${sum}`);
  return plan;
}

/**
 * Posts a draft: gap-free number per series and year, a payment reference, and one journal entry
 * with one receivable line per instalment (due date) against revenue and output tax.
 */
export async function postInvoice(books: Books, id: string): Promise<InvoiceView> {
  const inv = await books.trx.selectFrom('ledger_invoice').selectAll().where('tenant_id', '=', books.tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!inv) throw notFound(`No invoice ${id}.`);
  await resolvePartner(books, inv.partner_id);
  if (inv.state !== 'draft') throw conflict(`Invoice ${inv.number} is already posted.`, 'invoice-posted');
  const lines = await books.trx.selectFrom('ledger_invoice_line').selectAll().where('tenant_id', '=', books.tenantId).where('invoice_id', '=', id).orderBy('position').execute();
  return postDraft(books, inv, lines, []);
}

interface Draft { id: string; kind: 'invoice' | 'credit_note'; partner_id: string; date: string; due_date: string | null; total: bigint; payment_term: unknown }

async function postDraft(books: Books, inv: Draft, lines: Array<{ account_code: string; subtotal: bigint; tax: bigint }>, audits: AuditInput[]): Promise<InvoiceView> {
  const id = inv.id;
  const isInvoice = inv.kind === 'invoice';

  const requestedTerm = (inv.payment_term as { requested?: string } | null)?.requested;
  let plan: InstallmentPlan = { installments: [{ dueDate: inv.due_date ?? inv.date, amount: inv.total }], term: { id: '', name: '' } };
  if (isInvoice && requestedTerm !== undefined) plan = await planInstallments(books, requestedTerm, inv.date, inv.total);
  if (!isInvoice) plan = { installments: [{ dueDate: inv.date, amount: inv.total }], term: { id: '', name: '' } };

  const year = Number(inv.date.slice(0, 4));
  const series = isInvoice ? books.settings.invoiceSeries : books.settings.creditNoteSeries;
  const [n, refNumber] = await nextNumbers(books, isInvoice ? [[series, year], ['PAYREF', 0]] : [[series, year]]);
  const number = `${series}/${year}/${String(n).padStart(5, '0')}`;
  const reference = isInvoice ? paymentReference(books.settings.paymentReferencePrefix, refNumber) : null;

  // From the number on, the series' row stays locked until commit and every posting of the
  // company waits for it: the entry, its lines and the invoice's new state go in one statement.
  const moveId = uuidv7();
  const { accounts } = books.settings;
  const side = (amount: bigint, debitSide: boolean) => (debitSide ? { debit: amount, credit: 0n } : { debit: 0n, credit: amount });
  const receivables = plan.installments.map((i, n) => ({
    account_code: accounts.receivable, date_maturity: i.dueDate as string | null, ...side(i.amount, isInvoice), receivable: true,
    amount_residual: isInvoice ? i.amount : -i.amount,
    description: plan.installments.length > 1 ? `${number} (${n + 1}/${plan.installments.length})` : number,
  }));
  const byAccount = new Map<string, bigint>();
  for (const l of lines) byAccount.set(l.account_code, (byAccount.get(l.account_code) ?? 0n) + l.subtotal);
  const revenue = [...byAccount].filter(([, amount]) => amount > 0n).map(([code, amount]) => ({
    account_code: code, date_maturity: null, ...side(amount, !isInvoice), receivable: false, amount_residual: 0n, description: number,
  }));
  const taxTotal = lines.reduce((a, l) => a + l.tax, 0n);
  const taxes = taxTotal > 0n ? [{ account_code: accounts.outputTax, date_maturity: null, ...side(taxTotal, !isInvoice), receivable: false, amount_residual: 0n, description: `${number} VAT` }] : [];
  const entry = [...receivables, ...revenue, ...taxes];
  const installments: Installment[] = plan.installments.map((i) => ({ dueDate: i.dueDate, amount: show(books, i.amount) }));
  const term = plan.term.id ? { ...plan.term, ...(plan.discount ? { discount: { until: plan.discount.until, amount: show(books, plan.discount.amount) } } : {}) } : null;
  await sql`
    with move as (
      insert into ledger_move (tenant_id, id, kind, journal, date, ref, partner_id)
      values (${books.tenantId}, ${moveId}, ${inv.kind}, 'sales', ${inv.date}::date, ${number}, ${inv.partner_id})
    ), entry as (
      insert into ledger_move_line (tenant_id, move_id, date, partner_id, payment_id, invoice_id, account_code, date_maturity, debit, credit, receivable, amount_residual, description)
      select ${books.tenantId}, ${moveId}, ${inv.date}::date, ${inv.partner_id}, null, ${id}, a, m, d, c, r, o, t
      from unnest(${entry.map((l) => l.account_code)}::text[], ${entry.map((l) => l.date_maturity)}::date[], ${entry.map((l) => l.debit.toString())}::bigint[],
                  ${entry.map((l) => l.credit.toString())}::bigint[], ${entry.map((l) => l.receivable)}::boolean[], ${entry.map((l) => l.amount_residual.toString())}::bigint[],
                  ${entry.map((l) => l.description)}::text[]) as x(a, m, d, c, r, o, t)
    )
    update ledger_invoice set state = 'posted', number = ${number}, move_id = ${moveId}, payment_reference = ${reference}, posted_at = ${new Date()},
      due_date = ${plan.installments.at(-1)!.dueDate}::date, installments = ${JSON.stringify(installments)}::jsonb, payment_term = ${JSON.stringify(term)}::jsonb
    where tenant_id = ${books.tenantId} and id = ${id}`.execute(books.trx);
  await books.api.emit(books.trx, books.tenantId, 'invoice.posted', {
    invoiceId: id, number, partnerId: inv.partner_id, kind: inv.kind, date: inv.date, total: show(books, inv.total), installments,
  }, { actor: books.actor, audit: [...audits, { actor: books.actor, action: `${inv.kind}.posted`, entity: 'invoice', entityId: id, after: { number, total: show(books, inv.total), installments } }] });
  return getInvoice(books, id);
}

export interface ReverseInput { date?: string; reason?: string; lines?: LineInput[] }

/**
 * Reverses a posted invoice by a credit note (posted entries are never edited): the whole invoice,
 * or the given lines for a partial credit. The credit note is applied to what is still open on
 * the invoice; any excess stays as the customer's credit.
 */
export async function reverseInvoice(books: Books, id: string, input: ReverseInput): Promise<{ invoice: InvoiceView; creditNote: InvoiceView }> {
  // Its lines before the invoice row, in the order payments take them: a reversal racing a payment never deadlocks.
  await lockLines(books, (await creditLines(books, id)).map((l) => l.id));
  const inv = await books.trx.selectFrom('ledger_invoice').selectAll().where('tenant_id', '=', books.tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!inv) throw notFound(`No invoice ${id}.`);
  await resolvePartner(books, inv.partner_id);
  if (inv.kind !== 'invoice') throw badRequest('only invoices can be reversed; a credit note is itself a reversal', 'id');
  if (inv.state !== 'posted') throw conflict('A draft is not reversed: change or delete it instead.', 'invoice-draft');
  const date = input.date ? checkDate(input.date, 'date') : [inv.date, today(books)].sort().at(-1)!;
  if (compareDates(date, inv.date) < 0) throw badRequest(`date ${date} is before the invoice date ${inv.date}`, 'date');
  const already = await books.trx.selectFrom('ledger_invoice').select(sql<bigint>`coalesce(sum(total), 0)::bigint`.as('sum'))
    .where('tenant_id', '=', books.tenantId).where('origin_invoice_id', '=', id).where('state', '=', 'posted').executeTakeFirstOrThrow();
  const lines = input.lines ?? (await books.trx.selectFrom('ledger_invoice_line').selectAll().where('tenant_id', '=', books.tenantId).where('invoice_id', '=', id).orderBy('position').execute())
    .map((l) => ({ description: l.description, quantity: l.quantity, unitPrice: show(books, l.unit_price), taxRate: l.tax_rate }));
  const credit = lines.map((l, i) => computeLine(l, books.currency, i)).reduce((a, l) => a + l.subtotal + l.tax, 0n);
  if (already.sum + credit > inv.total) {
    throw badRequest(`credit notes would total ${show(books, already.sum + credit)}, more than the invoice's ${show(books, inv.total)}`, input.lines ? 'lines' : 'id');
  }
  const creditNote = await createInvoice(books, {
    partner: inv.partner_id, date, lines, post: true, notes: input.reason ?? `Reversal of ${inv.number}`,
  }, 'credit_note', id);
  const creditLine = (await creditLines(books, creditNote.id))[0];
  const debits = await openDebits(books, inv.partner_id, id);
  const locked = await lockLines(books, [creditLine.id]);
  await allocateInOrder(books, locked.get(creditLine.id)!, debits, credit, date);
  await refreshInvoices(books, [id, creditNote.id]);
  await books.api.emit(books.trx, books.tenantId, 'invoice.reversed', { invoiceId: id, creditNoteId: creditNote.id, amount: show(books, credit) }, {
    actor: books.actor, audit: { actor: books.actor, action: 'invoice.reversed', entity: 'invoice', entityId: id, after: { creditNote: creditNote.number, amount: show(books, credit) } },
  });
  return { invoice: await getInvoice(books, id), creditNote: await getInvoice(books, creditNote.id) };
}

export async function creditLines(books: Books, invoiceId: string): Promise<OpenLine[]> {
  const { rows } = await sql<OpenLine>`
    select id, partner_id, date, date_maturity, amount_residual, invoice_id, payment_id from ledger_move_line
    where tenant_id = ${books.tenantId} and invoice_id = ${invoiceId} and receivable order by date_maturity, id`.execute(books.trx);
  return rows;
}

/** numeric(20, 6) reads back as "2.500000": show it as given ("2.5"). */
function plainDecimal(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

/** An invoice's id from its id or its number (a credit note's too); a 404 when neither is one. */
export async function invoiceIdOf(books: Books, idOrNumber: string): Promise<string> {
  if (UUID.test(idOrNumber)) return idOrNumber;
  const row = await books.trx.selectFrom('ledger_invoice').select('id').where('tenant_id', '=', books.tenantId).where('number', '=', idOrNumber).executeTakeFirst();
  if (!row) throw notFound(`No invoice ${idOrNumber}.`);
  return row.id;
}

/** An invoice as the API shows it, read in one statement (its lines and open instalments as JSON, amounts as text). */
export async function getInvoice(books: Books, id: string): Promise<InvoiceView> {
  const inv = await books.trx.selectFrom('ledger_invoice as i').innerJoin('ledger_partner as p', (j) => j.onRef('p.tenant_id', '=', 'i.tenant_id').onRef('p.id', '=', 'i.partner_id'))
    .selectAll('i').select(['p.ref as partner_ref', 'p.name as partner_name', 'p.salesperson_id'])
    .select((eb) => [
      jsonArrayFrom(eb.selectFrom('ledger_invoice_line as l')
        .select(['l.description', sql<string>`l.quantity::text`.as('quantity'), sql<string>`l.unit_price::text`.as('unit_price'),
          sql<string>`l.tax_rate::text`.as('tax_rate'), sql<string>`l.subtotal::text`.as('subtotal'), sql<string>`l.tax::text`.as('tax')])
        .whereRef('l.tenant_id', '=', 'i.tenant_id').whereRef('l.invoice_id', '=', 'i.id').orderBy('l.position')).as('line_rows'),
      jsonArrayFrom(eb.selectFrom('ledger_move_line as m')
        .select([sql<string>`m.date_maturity`.as('date_maturity'), sql<string>`m.amount_residual::text`.as('amount_residual')]) // a receivable line always has its due date
        .whereRef('m.tenant_id', '=', 'i.tenant_id').whereRef('m.invoice_id', '=', 'i.id').where('m.receivable', '=', true)
        .orderBy('m.date_maturity').orderBy('m.id')).as('receivable_rows'),
    ])
    .where('i.tenant_id', '=', books.tenantId).where('i.id', '=', id).executeTakeFirst();
  if (!inv || (books.visibleSalespeople && !books.visibleSalespeople.includes(inv.salesperson_id ?? ''))) throw notFound(`No invoice ${id}.`);
  const lines = inv.line_rows;
  const receivables = inv.state === 'posted' ? inv.receivable_rows.map((l) => ({ date_maturity: l.date_maturity, amount_residual: BigInt(l.amount_residual) })) : [];
  const sign = inv.kind === 'invoice' ? 1n : -1n;
  const term = inv.payment_term as { discount?: { until: string; amount: string } } | null;
  return {
    id: inv.id, kind: inv.kind, number: inv.number, state: inv.state, paymentState: inv.payment_state,
    partner: { id: inv.partner_id, ref: inv.partner_ref, name: inv.partner_name }, date: inv.date, dueDate: inv.due_date, currency: inv.currency.trim(),
    paymentReference: inv.payment_reference, paymentTerm: inv.payment_term, discount: term?.discount ?? null,
    untaxed: show(books, inv.untaxed), tax: show(books, inv.tax), total: show(books, inv.total), residual: show(books, inv.residual),
    installments: inv.state === 'posted'
      ? receivables.map((l) => {
        const amount = (inv.installments ?? []).find((i) => i.dueDate === l.date_maturity)?.amount;
        return { dueDate: l.date_maturity, amount: amount ?? show(books, sign * l.amount_residual), residual: show(books, sign * l.amount_residual) };
      })
      : [{ dueDate: inv.due_date ?? inv.date, amount: show(books, inv.total), residual: show(books, inv.total) }],
    lines: lines.map((l) => ({ description: l.description, quantity: plainDecimal(l.quantity), unitPrice: show(books, BigInt(l.unit_price)), taxRate: plainDecimal(l.tax_rate), subtotal: show(books, BigInt(l.subtotal)), tax: show(books, BigInt(l.tax)) })),
    einvoice: { form: inv.einvoice_form, series: inv.einvoice_series, number: inv.einvoice_number },
    originInvoice: inv.origin_invoice_id, notes: inv.notes,
  };
}

export async function deleteDraft(books: Books, id: string): Promise<void> {
  const inv = await books.trx.selectFrom('ledger_invoice').select(['state', 'partner_id']).where('tenant_id', '=', books.tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!inv) throw notFound(`No invoice ${id}.`);
  await resolvePartner(books, inv.partner_id);
  if (inv.state !== 'draft') throw new ProblemError(409, 'invoice-posted', 'Conflict', 'A posted invoice cannot be deleted; reverse it with a credit note.');
  await books.trx.deleteFrom('ledger_invoice').where('tenant_id', '=', books.tenantId).where('id', '=', id).execute();
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'invoice.draft_deleted', entity: 'invoice', entityId: id });
}

export { money };
