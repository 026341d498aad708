import { groupBy } from '../../core/collections.js';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { ProblemError, type ProblemFieldError } from '../../core/errors.js';
import { MoneyError } from '../../core/money.js';
import { compareDates, isIsoDate } from '../../core/dates.js';
import { show, type Books } from './context.js';
import { computeLine, type ComputedLine } from './amounts.js';
import type { InvoiceInput } from './invoices.js';
import { paymentReference } from './payment-reference.js';
import type { Installment } from './tables.js';

export interface BulkResult { created: number; invoices: Array<{ id: string; number: string; paymentReference: string; total: string }> }

interface Prepared {
  id: string; moveId: string; partnerId: string; input: InvoiceInput; lines: ComputedLine[];
  untaxed: bigint; tax: bigint; total: bigint; dueDate: string; number: string; reference: string;
}

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
 * receivable line per invoice (its due date), revenue and output tax, balanced entries,
 * `invoice.posted` for each. Payment terms are not taken here — give dueDate.
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
  inputs.forEach((input, n) => {
    const at = `invoices[${n}]`;
    try {
      const partnerId = partners.get(input.partner);
      if (!partnerId) throw new MoneyError(`no partner '${input.partner}'`, 'partner');
      if (input.currency !== undefined && input.currency !== books.currency) throw new MoneyError(`currency '${input.currency}' is not ${books.currency}`, 'currency');
      if (input.paymentTerm !== undefined) throw new MoneyError('payment terms are not taken in bulk; give dueDate', 'paymentTerm');
      if (!isIsoDate(input.date)) throw new MoneyError(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
      const dueDate = input.dueDate ?? input.date;
      if (!isIsoDate(dueDate) || compareDates(dueDate, input.date) < 0) throw new MoneyError(`dueDate '${dueDate}' is not a date on or after ${input.date}`, 'dueDate');
      const lines = input.lines.map((l, i) => computeLine(l, books.currency, i));
      const untaxed = lines.reduce((a, l) => a + l.subtotal, 0n);
      const tax = lines.reduce((a, l) => a + l.tax, 0n);
      if (untaxed + tax <= 0n) throw new MoneyError('the total must be more than zero', 'lines');
      prepared.push({ id: crypto.randomUUID(), moveId: crypto.randomUUID(), partnerId, input, lines, untaxed, tax, total: untaxed + tax, dueDate, number: '', reference: '' });
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({ field: `${at}.${err.field ?? ''}`.replace(/\.$/, ''), message: err.message });
    }
  });
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
    tenant_id: t, id: p.id, kind: 'invoice' as const, number: p.number, partner_id: p.partnerId, date: p.input.date, due_date: p.dueDate,
    currency: books.currency, state: 'posted' as const, payment_reference: p.reference, payment_term: JSON.stringify(null),
    installments: JSON.stringify([{ dueDate: p.dueDate, amount: show(books, p.total) }] satisfies Installment[]),
    einvoice_form: p.input.einvoice?.form ?? null, einvoice_series: p.input.einvoice?.series ?? null, einvoice_number: p.input.einvoice?.number ?? null,
    untaxed: p.untaxed, tax: p.tax, total: p.total, residual: p.total, move_id: p.moveId, origin_invoice_id: null, notes: p.input.notes ?? null, posted_at: now,
  }))).execute();
  await books.trx.insertInto('ledger_invoice_line').values(prepared.flatMap((p) => p.lines.map((l, i) => ({
    tenant_id: t, invoice_id: p.id, position: i + 1, description: l.description, quantity: l.quantity, unit_price: l.unitPrice,
    tax_rate: l.taxRate, subtotal: l.subtotal, tax: l.tax, account_code: accounts.revenue,
  })))).execute();
  await books.trx.insertInto('ledger_move_line').values(prepared.flatMap((p) => {
    const base = { tenant_id: t, move_id: p.moveId, date: p.input.date, partner_id: p.partnerId, payment_id: null, invoice_id: p.id, description: p.number };
    const out = [
      { ...base, account_code: accounts.receivable, date_maturity: p.dueDate, debit: p.total, credit: 0n, receivable: true, amount_residual: p.total },
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
    installments: [{ dueDate: p.dueDate, amount: show(books, p.total) }],
  })), { actor: books.actor });
  return { created: prepared.length, invoices: prepared.map((p) => ({ id: p.id, number: p.number, paymentReference: p.reference, total: show(books, p.total) })) };
}
