import { sql } from 'kysely';
import crypto from 'node:crypto';
import { ProblemError } from '../../../core/errors.js';
import { parseAmount } from '../../../core/money.js';
import { show, type Books } from '../context.js';
import { postInvoicesInBulk } from '../invoices-bulk.js';
import type { InvoiceInput } from '../invoices.js';
import { layout, readers, type ColumnDef, type RowReader } from './columns.js';
import { readMapping } from './mappings.js';
import { RowErrors, fileProblem } from './errors.js';
import { REF_ALIASES } from './partners.js';
import { readRows, type ImportFormat } from './table.js';
import { parseCellAmount, parseCellDate, parseCellDecimal } from './values.js';
import { chunks } from './write.js';

type Key = 'ref' | 'document' | 'series' | 'date' | 'dueDate' | 'paymentTerm' | 'description' | 'quantity' | 'unitPrice' | 'taxRate';

export const INVOICE_COLUMNS: ColumnDef<Key>[] = [
  { key: 'ref', label: 'ref', aliases: REF_ALIASES.filter((a) => a !== 'reference') },
  { key: 'document', label: 'invoice number', aliases: ['invoice', 'invoice no', 'document', 'document number', 'số hóa đơn', 'số HĐ', 'hóa đơn'] },
  { key: 'series', label: 'series', aliases: ['invoice series', 'symbol', 'ký hiệu', 'ký hiệu hóa đơn', 'mẫu số'] },
  { key: 'date', label: 'invoice date', aliases: ['date', 'ngày hóa đơn', 'ngày HĐ', 'ngày lập', 'ngày'] },
  { key: 'dueDate', label: 'due date', aliases: ['due', 'hạn thanh toán', 'hạn TT', 'ngày đến hạn'] },
  { key: 'paymentTerm', label: 'payment term', aliases: ['term', 'terms', 'điều khoản thanh toán', 'thời hạn thanh toán'] },
  { key: 'description', label: 'description', aliases: ['item', 'product', 'goods', 'tên hàng', 'tên hàng hóa', 'tên hàng hóa, dịch vụ', 'diễn giải', 'nội dung'] },
  { key: 'quantity', label: 'quantity', aliases: ['qty', 'số lượng', 'SL'] },
  { key: 'unitPrice', label: 'unit price', aliases: ['price', 'đơn giá'] },
  { key: 'taxRate', label: 'tax rate', aliases: ['VAT', 'VAT rate', 'thuế suất', 'thuế suất GTGT', '% thuế', 'TS'] },
];

export interface InvoiceImportResult {
  dryRun: boolean;
  rows: number;
  invoices: number;
  partners: number;
  /** Σ totals, tax included. */
  total: string;
  ignoredColumns: string[];
}

interface Draft { rows: Array<RowReader<Key>>; input: InvoiceInput }

/** Which column (and which of the invoice's rows) a finding of the bulk posting (`invoices[n].<field>`) is about. */
function placeOf(field: string): { key: Key | null; line: number } {
  const rest = field.replace(/^invoices\[\d+\]\.?/, '');
  const line = /^lines\[(\d+)\]\.(\w+)/.exec(rest);
  if (line) return { key: (['description', 'quantity', 'unitPrice', 'taxRate'] as const).find((k) => k === line[2]) ?? null, line: Number(line[1]) };
  const keys: Record<string, Key> = { partner: 'ref', date: 'date', dueDate: 'dueDate', paymentTerm: 'paymentTerm', lines: 'unitPrice' };
  return { key: keys[rest] ?? null, line: 0 };
}

/**
 * Invoices from CSV or XLSX, as an invoicing or e-invoice system exports them: one row per
 * invoice line; the rows of one invoice share its partner and number (a file without numbers has
 * one invoice per row). Each is posted as the bulk posting posts it (numbered in this company's
 * series, with its due date, payment term or the partner's default), the external number kept as
 * its e-invoice number — a number already imported for that partner is refused, so importing a
 * file twice doubles nothing. All or nothing; a dry run does the work and rolls it back.
 */
export async function importInvoices(books: Books, body: Buffer, format: ImportFormat, dryRun: boolean): Promise<InvoiceImportResult> {
  const errors = new RowErrors();
  const sheet = layout(await readRows(body, format), INVOICE_COLUMNS, 'ref', errors, (await readMapping(books, 'invoices')).columns);
  if (!sheet) throw errors.problem();
  for (const key of ['date', 'description', 'unitPrice'] as const) {
    if (!sheet.columns.has(key)) {
      const def = INVOICE_COLUMNS.find((d) => d.key === key)!;
      errors.add(sheet.headerRow, def.label, null, `the ${def.label} column is missing (also read: ${def.aliases.slice(0, 4).join(', ')})`);
    }
  }
  if (errors.any) throw errors.problem();
  if (sheet.rows.length === 0) throw fileProblem('the file has no rows under its header', sheet.headerRow);
  const rows = readers(sheet, INVOICE_COLUMNS, errors);

  const drafts = new Map<string, Draft>();
  for (const r of rows) {
    const ref = r.text('ref');
    if (!ref) { r.error('ref', "ref is empty: every row needs the partner's ref"); continue; }
    const document = r.text('document');
    const date = r.parse('date', (c) => parseCellDate(c.text));
    if (!r.cell('date')) r.error('date', 'the invoice date is empty');
    const dueDate = r.parse('dueDate', (c) => parseCellDate(c.text));
    const description = r.text('description');
    if (!description) r.error('description', 'the description is empty');
    const quantity = r.cell('quantity') ? r.parse('quantity', (c) => parseCellDecimal(c, 6, 'quantity')) : '1';
    const unitPrice = r.parse('unitPrice', (c) => parseCellAmount(c, books.currency, { allowNegative: true }));
    if (!r.cell('unitPrice')) r.error('unitPrice', 'the unit price is empty');
    const taxRate = r.cell('taxRate') ? r.parse('taxRate', (c) => parseCellDecimal(c, 4, 'tax rate')) : '0';
    if (!date || !description || quantity === undefined || unitPrice === undefined || taxRate === undefined) continue;
    const line = { description, quantity, unitPrice: show(books, unitPrice), taxRate };
    const key = document ? `${ref}\u0000${document}` : `row ${r.row.row}`;
    const seen = drafts.get(key);
    if (seen) {
      if (seen.input.date !== date) r.error('date', `invoice ${document} is dated ${seen.input.date} on row ${seen.rows[0].row.row}`);
      seen.rows.push(r);
      seen.input.lines.push(line);
      continue;
    }
    const term = r.text('paymentTerm');
    drafts.set(key, {
      rows: [r],
      input: {
        partner: ref, date, lines: [line], post: true,
        ...(dueDate ? { dueDate } : {}), ...(term ? { paymentTerm: term } : {}),
        ...(document ? { einvoice: { number: document, ...(r.text('series') ? { series: r.text('series') } : {}) } } : {}),
      },
    });
  }
  if (errors.any) throw errors.problem();
  const list = [...drafts.values()];

  // An external number already in the books for that partner: imported before.
  const numbered = list.filter((d) => d.input.einvoice?.number);
  if (numbered.length > 0) {
    const { rows: found } = await sql<{ ref: string; einvoice_number: string; number: string }>`
      select p.ref, i.einvoice_number, i.number from ledger_invoice i join ledger_partner p on p.tenant_id = i.tenant_id and p.id = i.partner_id
      where i.tenant_id = ${books.tenantId} and (p.ref, i.einvoice_number) in (select * from unnest(${numbered.map((d) => d.input.partner)}::text[], ${numbered.map((d) => d.input.einvoice!.number!)}::text[]))`.execute(books.trx);
    const known = new Map(found.map((f) => [`${f.ref}\u0000${f.einvoice_number}`, f.number]));
    for (const d of numbered) {
      const was = known.get(`${d.input.partner}\u0000${d.input.einvoice!.number}`);
      if (was) d.rows[0].error('document', `invoice ${d.input.einvoice!.number} of '${d.input.partner}' was imported before (${was}); nothing is posted twice`);
    }
    if (errors.any) throw errors.problem();
  }

  if (dryRun) await sql`savepoint invoices_dry_run`.execute(books.trx);
  let start = 0;
  let total = 0n;
  try {
    for (const part of chunks(list, 500)) {
      const posted = await postInvoicesInBulk(books, part.map((d) => d.input));
      for (const p of posted.invoices) total += parseAmount(p.total, books.currency);
      start += part.length;
    }
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status !== 400 || !err.errors) throw err;
    for (const e of err.errors) {
      const draft = list[start + Number(/^invoices\[(\d+)\]/.exec(e.field)?.[1] ?? -1)];
      const { key, line } = placeOf(e.field);
      const row = draft?.rows[line] ?? draft?.rows[0];
      if (row) row.error(key, e.message.replace(/^lines\[\d+\]\.\w+ /, ''));
      else errors.add(0, null, null, e.message);
    }
    throw errors.problem();
  }
  if (dryRun) await sql`rollback to savepoint invoices_dry_run`.execute(books.trx);
  const result: InvoiceImportResult = {
    dryRun, rows: rows.length, invoices: list.length, partners: new Set(list.map((d) => d.input.partner)).size, total: show(books, total), ignoredColumns: sheet.ignored,
  };
  if (!dryRun) await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'invoices.imported', entity: 'import', entityId: crypto.randomUUID(), after: { format, ...result } });
  return result;
}
