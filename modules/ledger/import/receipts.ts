import { sql } from 'kysely';
import crypto from 'node:crypto';
import { ProblemError } from '../../../core/errors.js';
import { show, type Books } from '../context.js';
import { registerPaymentsInBulk } from '../payments-bulk.js';
import type { PaymentInput } from '../payments.js';
import { layout, readers, type ColumnDef, type RowReader } from './columns.js';
import { readMapping } from './mappings.js';
import { RowErrors, fileProblem } from './errors.js';
import { REF_ALIASES } from './partners.js';
import { readRows, type ImportFormat } from './table.js';
import { fold, parseCellAmount, parseCellDate } from './values.js';
import { chunks } from './write.js';

type Key = 'ref' | 'date' | 'amount' | 'reference' | 'invoice' | 'journal';

export const RECEIPT_COLUMNS: ColumnDef<Key>[] = [
  // 'reference' is the receipt's own text here, not the partner's ref.
  { key: 'ref', label: 'ref', aliases: REF_ALIASES.filter((a) => a !== 'reference') },
  { key: 'date', label: 'date', aliases: ['payment date', 'receipt date', 'ngày', 'ngày thu', 'ngày thanh toán', 'ngày chứng từ', 'ngày CT', 'ngày giao dịch'] },
  { key: 'amount', label: 'amount', aliases: ['amount received', 'số tiền', 'số tiền thu', 'thành tiền', 'giá trị'] },
  { key: 'reference', label: 'reference', aliases: ['payment reference', 'memo', 'description', 'nội dung', 'diễn giải', 'số tham chiếu', 'số chứng từ', 'ghi chú'] },
  { key: 'invoice', label: 'invoice number', aliases: ['invoice', 'invoice no', 'số hóa đơn', 'số HĐ', 'hóa đơn', 'thanh toán cho hóa đơn'] },
  { key: 'journal', label: 'journal', aliases: ['method', 'payment method', 'hình thức', 'hình thức thanh toán', 'sổ', 'phương thức'] },
];

const JOURNALS = new Map<string, 'bank' | 'cash'>([
  ['bank', 'bank'], ['transfer', 'bank'], ['ngan hang', 'bank'], ['chuyen khoan', 'bank'], ['ck', 'bank'], ['tgnh', 'bank'],
  ['cash', 'cash'], ['tien mat', 'cash'], ['tm', 'cash'],
]);

export interface ReceiptImportResult {
  dryRun: boolean;
  rows: number;
  payments: number;
  partners: number;
  total: string;
  ignoredColumns: string[];
}

/** Which column a problem of the ledger's bulk payments (`payments[n].<field>`) is about. */
function columnOf(field: string): Key | null {
  const rest = field.replace(/^payments\[\d+\]\.?/, '');
  if (rest.startsWith('partner')) return 'ref';
  if (rest.startsWith('allocations')) return 'invoice';
  if (rest === 'date' || rest === 'amount' || rest === 'reference' || rest === 'journal') return rest;
  return null;
}

/**
 * A receipt may name the invoice by the number the customer knows: the e-invoice number its
 * invoicing system issued (kept when the invoice was imported), not this ledger's. Such a name is
 * turned into the invoice's id when it is one invoice of the receipt's partner.
 */
async function resolveEInvoiceNumbers(books: Books, inputs: Array<{ reader: RowReader<Key>; input: PaymentInput }>): Promise<void> {
  const named = [...new Set(inputs.flatMap((p) => (p.input.allocations ?? []).map((a) => a.invoice)))];
  if (named.length === 0) return;
  const { rows } = await sql<{ id: string; number: string; einvoice_number: string | null; ref: string }>`
    select i.id, i.number, i.einvoice_number, p.ref from ledger_invoice i join ledger_partner p on p.tenant_id = i.tenant_id and p.id = i.partner_id
    where i.tenant_id = ${books.tenantId} and (i.number = any(${named}::text[]) or i.einvoice_number = any(${named}::text[]))`.execute(books.trx);
  const ours = new Set(rows.map((r) => r.number));
  const byEInvoice = new Map<string, typeof rows>();
  for (const r of rows) if (r.einvoice_number !== null) byEInvoice.set(r.einvoice_number, [...(byEInvoice.get(r.einvoice_number) ?? []), r]);
  for (const p of inputs) {
    for (const a of p.input.allocations ?? []) {
      if (ours.has(a.invoice)) continue;
      const matches = (byEInvoice.get(a.invoice) ?? []).filter((r) => r.ref === p.input.partner);
      if (matches.length === 1) a.invoice = matches[0].id;
      else if (matches.length > 1) {
        p.reader.error('invoice', `'${a.invoice}' is the e-invoice number of ${matches.length} invoices of this partner (${matches.map((m) => m.number).join(', ')}); write this ledger's number`);
      }
    }
  }
}

/**
 * Receipts (payments received) from CSV or XLSX, one per row: the partner by ref, the date, the
 * amount, optionally the text of the transfer, the invoice it pays (by number or e-invoice
 * number; otherwise oldest due first, the rest kept as the customer's credit) and bank or cash. Every row is checked,
 * then all are registered through the ledger's bulk payments (the same allocation, events and
 * audit as one by one) in the request's one transaction: any problem, and nothing is written.
 * A dry run does the same work and rolls it back, so what it reports is what an import would do.
 */
export async function importReceipts(books: Books, body: Buffer, format: ImportFormat, dryRun: boolean): Promise<ReceiptImportResult> {
  const errors = new RowErrors();
  const sheet = layout(await readRows(body, format), RECEIPT_COLUMNS, 'ref', errors, (await readMapping(books, 'receipts')).columns);
  if (!sheet) throw errors.problem();
  for (const key of ['date', 'amount'] as const) {
    if (!sheet.columns.has(key)) {
      const def = RECEIPT_COLUMNS.find((d) => d.key === key)!;
      errors.add(sheet.headerRow, def.label, null, `the ${def.label} column is missing (also read: ${def.aliases.slice(0, 4).join(', ')})`);
    }
  }
  if (errors.any) throw errors.problem();
  if (sheet.rows.length === 0) throw fileProblem('the file has no rows under its header', sheet.headerRow);
  const rows = readers(sheet, RECEIPT_COLUMNS, errors);

  const inputs: Array<{ reader: RowReader<Key>; input: PaymentInput; amount: bigint }> = [];
  for (const r of rows) {
    const ref = r.text('ref');
    if (!ref) r.error('ref', "ref is empty: every row needs the partner's ref");
    const date = r.parse('date', (c) => parseCellDate(c.text));
    if (!r.cell('date')) r.error('date', 'the date is empty');
    const amount = r.parse('amount', (c) => parseCellAmount(c, books.currency));
    if (!r.cell('amount')) r.error('amount', 'the amount is empty');
    else if (amount === 0n) r.error('amount', 'a receipt of zero receives nothing');
    let journal: 'bank' | 'cash' | undefined;
    const said = r.text('journal');
    if (said !== undefined) {
      journal = JOURNALS.get(fold(said));
      if (!journal) r.error('journal', `'${said}' is not bank or cash (ngân hàng / chuyển khoản, tiền mặt)`);
    }
    if (!ref || !date || amount === undefined || amount === 0n) continue;
    const invoice = r.text('invoice');
    inputs.push({
      reader: r, amount,
      input: {
        partner: ref, date, amount, reference: r.text('reference')?.slice(0, 500), journal: journal ?? 'bank',
        ...(invoice ? { allocations: [{ invoice, amount }] } : {}),
      },
    });
  }
  if (errors.any) throw errors.problem();
  await resolveEInvoiceNumbers(books, inputs);
  if (errors.any) throw errors.problem();

  if (dryRun) await sql`savepoint receipts_dry_run`.execute(books.trx);
  let start = 0;
  try {
    for (const part of chunks(inputs, 1_000)) {
      await registerPaymentsInBulk(books, part.map((p) => p.input));
      start += part.length;
    }
  } catch (err) {
    if (!(err instanceof ProblemError) || err.status !== 400 || !err.errors) throw err;
    // The ledger's findings are about payments[n] of one call: said of the file's row and column.
    for (const e of err.errors) {
      const n = Number(/^payments\[(\d+)\]/.exec(e.field)?.[1] ?? -1);
      const row = inputs[start + n]?.reader;
      if (row) row.error(columnOf(e.field), e.message);
      else errors.add(0, null, null, e.message);
    }
    throw errors.problem();
  }
  if (dryRun) await sql`rollback to savepoint receipts_dry_run`.execute(books.trx);

  const total = inputs.reduce((s, p) => s + p.amount, 0n);
  const result: ReceiptImportResult = {
    dryRun, rows: rows.length, payments: inputs.length, partners: new Set(inputs.map((p) => p.input.partner)).size, total: show(books, total), ignoredColumns: sheet.ignored,
  };
  if (!dryRun) await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'receipts.imported', entity: 'import', entityId: crypto.randomUUID(), after: { format, ...result } });
  return result;
}
