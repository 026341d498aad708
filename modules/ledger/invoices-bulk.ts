import { groupBy } from '../../core/collections.js';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { ProblemError, type ProblemFieldError } from '../../core/errors.js';
import { MoneyError } from '../../core/money.js';
import { compareDates, isIsoDate } from '../../core/dates.js';
import { show, type Books } from './context.js';
import { checkDiscounts, computeLine, type ComputedLine } from './amounts.js';
import type { InvoiceInput } from './invoices.js';
import { paymentReference } from './payment-reference.js';
import type { Installment } from './tables.js';
import type { InstallmentPlan } from './public.js';

export interface BulkResult { created: number; invoices: Array<{ id: string; number: string; paymentReference: string; total: string }> }

interface Prepared {
  id: string; moveId: string; partnerId: string; input: InvoiceInput; lines: ComputedLine[];
  untaxed: bigint; tax: bigint; total: bigint;
  /** One instalment on the due date, or the payment term's plan. */
  plan: InstallmentPlan;
  number: string; reference: string;
}

const dueDateOf = (p: Prepared): string => p.plan.installments.at(-1)!.dueDate;
const installmentsOf = (books: Books, p: Prepared): Installment[] => p.plan.installments.map((i) => ({ dueDate: i.dueDate, amount: show(books, i.amount) }));

/** Reserves `count` consecutive numbers of a series and returns the first. */
async function reserveNumbers(books: Books, series: string, year: number, count: number): Promise<number> {
  const { rows } = await sql<{ first: number }>`
    insert into ledger_sequence (tenant_id, series, year, next_number) values (${books.tenantId}, ${series}, ${year}, ${count + 1})
    on conflict (tenant_id, series, year) do update set next_number = ledger_sequence.next_number + ${count}
    returning next_number - ${count} as first`.execute(books.trx);
  return rows[0].first;
}

/**
 * Posts up to 500 invoices in one transaction with a handful of set-based statements: all are
 * validated first (every problem listed with its index), then numbered in one block per series
 * and year, and written with multi-row inserts. Same books as posting one by one: one
 * receivable line per instalment (the due date, or the payment term's plan — given, or the
 * partner's default), revenue and output tax, balanced entries, `invoice.posted` for each.
 */
export async function postInvoicesInBulk(books: Books, inputs: InvoiceInput[]): Promise<BulkResult> {
  const errors: ProblemFieldError[] = [];
  const refs = [...new Set(inputs.map((i) => i.partner))];
  const partnerRows = await sql<{ id: string; ref: string; salesperson_id: string | null }>`
    select id, ref, salesperson_id from ledger_partner
    where tenant_id = ${books.tenantId} and (ref = any(${refs}::text[]) or id::text = any(${refs}::text[]))`.execute(books.trx);
  const partners = new Map<string, string>();
  for (const p of partnerRows.rows) {
    if (books.visibleSalespeople && !books.visibleSalespeople.includes(p.salesperson_id ?? '')) continue;
    partners.set(p.ref, p.id);
    partners.set(p.id, p.id);
  }

  const prepared: Prepared[] = [];
  const provider = await books.api.ownService().installments.providerFor(books);
  for (const [n, input] of inputs.entries()) {
    const at = `invoices[${n}]`;
    try {
      const partnerId = partners.get(input.partner);
      if (!partnerId) throw new MoneyError(`no partner '${input.partner}'`, 'partner');
      if (input.currency !== undefined && input.currency !== books.currency) throw new MoneyError(`currency '${input.currency}' is not ${books.currency}`, 'currency');
      if (!isIsoDate(input.date)) throw new MoneyError(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
      if (input.dueDate !== undefined && input.paymentTerm !== undefined) throw new MoneyError('give either dueDate or paymentTerm, not both', 'paymentTerm');
      if (input.dueDate !== undefined && (!isIsoDate(input.dueDate) || compareDates(input.dueDate, input.date) < 0)) throw new MoneyError(`dueDate '${input.dueDate}' is not a date on or after ${input.date}`, 'dueDate');
      const lines = input.lines.map((l, i) => computeLine(l, books.currency, i));
      const discounts = checkDiscounts(lines);
      if (discounts) throw discounts;
      const untaxed = lines.reduce((a, l) => a + l.subtotal, 0n);
      const tax = lines.reduce((a, l) => a + l.tax, 0n);
      const total = untaxed + tax;
      if (total <= 0n) throw new MoneyError('the total must be more than zero', 'lines');
      const term = input.paymentTerm ?? (input.dueDate === undefined ? await provider?.defaultTerm(books, partnerId) ?? undefined : undefined);
      let plan: InstallmentPlan = { installments: [{ dueDate: input.dueDate ?? input.date, amount: total }], term: { id: '', name: '' } };
      if (term !== undefined) {
        if (!provider) throw new MoneyError('payment terms need the payment-terms module, which is not enabled for this company; give a dueDate instead', 'paymentTerm');
        plan = await provider.plan(books, term, input.date, total);
        const sum = plan.installments.reduce((a, i) => a + i.amount, 0n);
        if (sum !== total) throw new Error(`payment term ${term} split ${total} into instalments summing to ${sum}`);
      }
      prepared.push({ id: crypto.randomUUID(), moveId: crypto.randomUUID(), partnerId, input, lines, untaxed, tax, total, plan, number: '', reference: '' });
    } catch (err) {
      // A bad term is the provider's 400 naming paymentTerm; other problems are this invoice's fields.
      if (err instanceof ProblemError && err.status === 400) errors.push({ field: `${at}.${err.field ?? 'paymentTerm'}`, message: err.detail ?? err.message });
      else if (err instanceof MoneyError) errors.push({ field: `${at}.${err.field ?? ''}`.replace(/\.$/, ''), message: err.message });
      else throw err;
    }
  }
  if (errors.length > 0) {
    throw new ProblemError(400, 'validation', 'The request is not valid', errors.slice(0, 20).map((e) => `${e.field}: ${e.message}`).join('; '), errors[0].field, errors);
  }

  // Numbers: one block per year, in the order given; payment references: one block.
  const years = groupBy(prepared, (p) => Number(p.input.date.slice(0, 4)));
  const series = books.settings.invoiceSeries;
  for (const [year, list] of [...years].sort((a, b) => a[0] - b[0])) {
    const first = await reserveNumbers(books, series, year, list.length);
    list.forEach((p, i) => { p.number = `${series}/${year}/${String(first + i).padStart(5, '0')}`; });
  }
  const firstRef = await reserveNumbers(books, 'PAYREF', 0, prepared.length);
  prepared.forEach((p, i) => { p.reference = paymentReference(books.settings.paymentReferencePrefix, firstRef + i); });

  const t = books.tenantId;
  const { accounts } = books.settings;
  const now = new Date();
  await books.trx.insertInto('ledger_move').values(prepared.map((p) => ({
    tenant_id: t, id: p.moveId, kind: 'invoice' as const, journal: 'sales' as const, date: p.input.date, ref: p.number, partner_id: p.partnerId, reversal_of: null,
  }))).execute();
  await books.trx.insertInto('ledger_invoice').values(prepared.map((p) => ({
    tenant_id: t, id: p.id, kind: 'invoice' as const, number: p.number, partner_id: p.partnerId, date: p.input.date, due_date: dueDateOf(p),
    currency: books.currency, state: 'posted' as const, payment_reference: p.reference,
    payment_term: JSON.stringify(p.plan.term.id ? { ...p.plan.term, ...(p.plan.discount ? { discount: { until: p.plan.discount.until, amount: show(books, p.plan.discount.amount) } } : {}) } : null),
    installments: JSON.stringify(installmentsOf(books, p)),
    einvoice_form: p.input.einvoice?.form ?? null, einvoice_series: p.input.einvoice?.series ?? null, einvoice_number: p.input.einvoice?.number ?? null,
    untaxed: p.untaxed, tax: p.tax, total: p.total, residual: p.total, move_id: p.moveId, origin_invoice_id: null, notes: p.input.notes ?? null, posted_at: now,
  }))).execute();
  await books.trx.insertInto('ledger_invoice_line').values(prepared.flatMap((p) => p.lines.map((l, i) => ({
    tenant_id: t, invoice_id: p.id, position: i + 1, description: l.description, quantity: l.quantity, unit_price: l.unitPrice,
    tax_rate: l.taxRate, subtotal: l.subtotal, tax: l.tax, account_code: accounts.revenue,
  })))).execute();
  await books.trx.insertInto('ledger_move_line').values(prepared.flatMap((p) => {
    const base = { tenant_id: t, move_id: p.moveId, date: p.input.date, partner_id: p.partnerId, payment_id: null, invoice_id: p.id, description: p.number };
    const many = p.plan.installments.length > 1;
    const out = [
      ...p.plan.installments.map((i, k) => ({
        ...base, account_code: accounts.receivable, date_maturity: i.dueDate, debit: i.amount, credit: 0n, receivable: true, amount_residual: i.amount,
        description: many ? `${p.number} (${k + 1}/${p.plan.installments.length})` : p.number,
      })),
      { ...base, account_code: accounts.revenue, date_maturity: null, debit: 0n, credit: p.untaxed, receivable: false, amount_residual: 0n },
    ];
    if (p.tax > 0n) out.push({ ...base, account_code: accounts.outputTax, date_maturity: null, debit: 0n, credit: p.tax, receivable: false, amount_residual: 0n, description: `${p.number} VAT` });
    return out.filter((l) => l.debit > 0n || l.credit > 0n);
  })).execute();

  await books.api.audit(books.trx, books.tenantId, prepared.map((p) => ({
    actor: books.actor, action: 'invoice.posted', entity: 'invoice', entityId: p.id, after: { number: p.number, total: show(books, p.total), bulk: true },
  })));
  await books.api.emitMany(books.trx, books.tenantId, 'invoice.posted', prepared.map((p) => ({
    invoiceId: p.id, number: p.number, partnerId: p.partnerId, kind: 'invoice' as const, date: p.input.date, total: show(books, p.total),
    installments: installmentsOf(books, p),
  })), { actor: books.actor });
  return { created: prepared.length, invoices: prepared.map((p) => ({ id: p.id, number: p.number, paymentReference: p.reference, total: show(books, p.total) })) };
}
