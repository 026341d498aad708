import { sql } from 'kysely';
import crypto from 'node:crypto';
import { badRequest } from '../../../core/errors.js';
import { compareDates } from '../../../core/dates.js';
import { show, type Books } from '../context.js';
import { OPENING_COUNTERPART } from '../accounts.js';
import { layout, readers, type ColumnDef, type RowReader } from './columns.js';
import { readMapping } from './mappings.js';
import { RowErrors, fileProblem } from './errors.js';
import { REF_ALIASES } from './partners.js';
import { readRows, type ImportFormat } from './table.js';
import { parseCellAmount, parseCellDate } from './values.js';
import { chunks, json } from './write.js';

type Key = 'ref' | 'document' | 'invoiceDate' | 'dueDate' | 'amount' | 'debit' | 'credit' | 'description';

export const OPENING_COLUMNS: ColumnDef<Key>[] = [
  { key: 'ref', label: 'ref', aliases: REF_ALIASES },
  { key: 'document', label: 'invoice number', aliases: ['invoice', 'invoice no', 'document', 'document ref', 'document number', 'số hóa đơn', 'số HĐ', 'hóa đơn', 'số chứng từ', 'số CT', 'chứng từ'] },
  { key: 'invoiceDate', label: 'invoice date', aliases: ['document date', 'date', 'ngày hóa đơn', 'ngày HĐ', 'ngày chứng từ', 'ngày CT', 'ngày'] },
  { key: 'dueDate', label: 'due date', aliases: ['due', 'maturity', 'maturity date', 'hạn thanh toán', 'hạn TT', 'ngày đến hạn', 'ngày hết hạn', 'hạn trả', 'hạn'] },
  { key: 'amount', label: 'balance', aliases: ['amount', 'opening balance', 'open amount', 'residual', 'amount due', 'số dư', 'số dư đầu kỳ', 'số tiền', 'số tiền còn lại', 'còn phải thu', 'còn nợ', 'công nợ'] },
  { key: 'debit', label: 'debit', aliases: ['debit balance', 'dư nợ', 'dư nợ đầu kỳ', 'dư nợ cuối kỳ', 'số dư nợ'] },
  { key: 'credit', label: 'credit', aliases: ['credit balance', 'dư có', 'dư có đầu kỳ', 'dư có cuối kỳ', 'số dư có'] },
  { key: 'description', label: 'description', aliases: ['memo', 'note', 'notes', 'diễn giải', 'ghi chú', 'nội dung'] },
];

export interface OpeningImportResult {
  dryRun: boolean;
  /** `partner`: one balance per partner at the closing date; `invoice`: one row per open invoice. */
  mode: 'partner' | 'invoice';
  date: string | null;
  rows: number;
  entries: number;
  partners: number;
  /** Receivable opened (debit items) less customer credit (credit items), and each side. */
  total: string; debit: string; credit: string;
  /** Rows with a zero balance: nothing to open. */
  skipped: number;
  ignoredColumns: string[];
}

interface OpenItem { row: number; partnerId: string; ref: string; date: string; dueDate: string; amount: bigint; document: string | null; description: string }

/**
 * Opening balances: each non-zero row becomes a journal entry of kind `opening` (journal
 * `general`): an open item on the receivable account (a debit, or a credit for a customer's
 * credit balance) against the opening-balance counterpart account 4211. Per-partner rows are
 * dated the closing date `date`; per-invoice rows their invoice date, so aging by invoice date
 * and by due date sees them as the invoices they were. A partner is opened once.
 */
export async function importOpeningBalances(books: Books, body: Buffer, format: ImportFormat, closingDate: string | undefined, dryRun: boolean): Promise<OpeningImportResult> {
  const errors = new RowErrors();
  const sheet = layout(await readRows(body, format), OPENING_COLUMNS, 'ref', errors, (await readMapping(books, 'opening-balances')).columns);
  if (!sheet) throw errors.problem();
  const mode = sheet.columns.has('document') ? 'invoice' : 'partner';
  if (mode === 'partner' && !closingDate) {
    throw badRequest('date (the closing date the balances are at, YYYY-MM-DD) is required for per-partner balances; per-invoice files (with an invoice number column) are dated by their invoice dates', 'query.date');
  }
  const header = (k: Key) => sheet.columns.get(k)?.header ?? OPENING_COLUMNS.find((d) => d.key === k)!.label;
  const split = sheet.columns.has('debit') || sheet.columns.has('credit');
  if (split && sheet.columns.has('amount')) {
    errors.add(sheet.headerRow, header('amount'), null, `give either one '${header('amount')}' column (negative = customer credit) or '${header('debit')}'/'${header('credit')}' columns, not both`);
  }
  if (!split && !sheet.columns.has('amount')) errors.add(sheet.headerRow, 'balance', null, 'the balance column is missing (balance / số dư, or debit and credit / dư nợ and dư có)');
  if (mode === 'invoice' && !sheet.columns.has('invoiceDate')) errors.add(sheet.headerRow, 'invoice date', null, 'the invoice date column is missing (a file with invoice numbers opens each invoice on its date)');
  if (errors.any) throw errors.problem();
  if (sheet.rows.length === 0) throw fileProblem('the file has no rows under its header', sheet.headerRow);
  const rows = readers(sheet, OPENING_COLUMNS, errors);

  const refs = [...new Set(rows.map((r) => r.text('ref')).filter((x): x is string => !!x))];
  const partners = new Map<string, string>();
  for (const part of chunks(refs, 10_000)) {
    // Locked: two imports for the same partners run one after the other, so the second sees the first's entries.
    const { rows: found } = await sql<{ id: string; ref: string }>`
      select id, ref from ledger_partner where tenant_id = ${books.tenantId} and ref = any(${part}::text[])
      order by id ${dryRun ? sql`` : sql`for no key update`}`.execute(books.trx);
    for (const p of found) partners.set(p.ref, p.id);
  }
  const opened = new Map<string, string>();
  if (partners.size > 0) {
    const { rows: found } = await sql<{ partner_id: string; date: string }>`
      select partner_id, min(date) as date from ledger_move
      where tenant_id = ${books.tenantId} and kind = 'opening' and partner_id = any(${[...partners.values()]}::uuid[])
      group by partner_id`.execute(books.trx);
    for (const o of found) opened.set(o.partner_id, o.date);
  }

  const items: OpenItem[] = [];
  const firstRowOf = new Map<string, number>();
  let skipped = 0;
  for (const r of rows) {
    const amount = readAmount(r, split, books.currency);
    if (amount === 0n) { skipped++; continue; } // opens nothing: not checked further
    const ref = r.text('ref');
    if (!ref) { r.error('ref', 'ref is empty: every row needs the partner\'s ref'); continue; }
    const partnerId = partners.get(ref);
    if (!partnerId) r.error('ref', `no partner '${ref}'; import or create the partner first`);
    else if (opened.has(partnerId)) r.error('ref', `partner '${ref}' already has an opening balance (entry of ${opened.get(partnerId)}); a partner is opened once`);

    const document = r.text('document');
    const key = mode === 'invoice' ? `${ref}\u0000${document ?? ''}` : ref;
    const seen = firstRowOf.get(key);
    if (seen !== undefined) r.error(mode === 'invoice' ? 'document' : 'ref', mode === 'invoice' ? `invoice '${document}' of '${ref}' is already on row ${seen}` : `partner '${ref}' is already on row ${seen}`);
    else firstRowOf.set(key, r.row.row);

    let date = closingDate ?? '';
    if (mode === 'invoice') {
      if (!document) r.error('document', 'the invoice number is empty');
      const invoiceDate = r.parse('invoiceDate', (c) => parseCellDate(c.text));
      if (!r.cell('invoiceDate')) r.error('invoiceDate', 'the invoice date is empty');
      if (invoiceDate && closingDate && compareDates(invoiceDate, closingDate) > 0) r.error('invoiceDate', `invoice date ${invoiceDate} is after the closing date ${closingDate}`);
      date = invoiceDate ?? '';
    }
    const dueDate = r.parse('dueDate', (c) => parseCellDate(c.text));
    if (dueDate && mode === 'invoice' && date && compareDates(dueDate, date) < 0) r.error('dueDate', `due date ${dueDate} is before the invoice date ${date}`);
    if (!partnerId || amount === undefined || !date) continue;
    const description = r.text('description') ?? (document ? `Opening balance: ${document}` : `Opening balance at ${date}`);
    items.push({ row: r.row.row, partnerId, ref, date, dueDate: dueDate ?? date, amount, document: document ?? null, description });
  }
  if (errors.any) throw errors.problem();

  const debit = items.reduce((s, i) => s + (i.amount > 0n ? i.amount : 0n), 0n);
  const credit = items.reduce((s, i) => s + (i.amount < 0n ? -i.amount : 0n), 0n);
  const result: OpeningImportResult = {
    dryRun, mode, date: closingDate ?? null, rows: rows.length, entries: items.length, partners: new Set(items.map((i) => i.partnerId)).size,
    total: show(books, debit - credit), debit: show(books, debit), credit: show(books, credit), skipped, ignoredColumns: sheet.ignored,
  };
  if (dryRun || items.length === 0) return result;

  await books.trx.insertInto('ledger_account').values({ tenant_id: books.tenantId, ...OPENING_COUNTERPART })
    .onConflict((oc) => oc.columns(['tenant_id', 'code']).doNothing()).execute();
  const receivable = books.settings.accounts.receivable;
  const moves = items.map((i) => ({ ...i, id: crypto.randomUUID() }));
  for (const part of chunks(moves, 5_000)) {
    await sql`
      insert into ledger_move (tenant_id, id, kind, journal, date, ref, partner_id)
      select ${books.tenantId}::uuid, v.id, 'opening', 'general', v.date, v.ref, v.partner_id
      from jsonb_to_recordset(${json(part.map((m) => ({ id: m.id, date: m.date, ref: m.document ?? `OPENING ${m.date}`, partner_id: m.partnerId })))}::jsonb)
        as v(id uuid, date date, ref text, partner_id uuid)`.execute(books.trx);
    const lines = part.flatMap((m) => {
      const positive = m.amount > 0n ? m.amount : -m.amount;
      const base = { move_id: m.id, partner_id: m.partnerId, date: m.date, description: m.description };
      return [
        { ...base, account_code: receivable, date_maturity: m.dueDate, debit: m.amount > 0n ? positive : 0n, credit: m.amount < 0n ? positive : 0n, receivable: true, amount_residual: m.amount },
        { ...base, account_code: OPENING_COUNTERPART.code, date_maturity: null, debit: m.amount < 0n ? positive : 0n, credit: m.amount > 0n ? positive : 0n, receivable: false, amount_residual: 0n },
      ];
    });
    await sql`
      insert into ledger_move_line (tenant_id, move_id, account_code, partner_id, date, date_maturity, debit, credit, receivable, amount_residual, description)
      select ${books.tenantId}::uuid, v.move_id, v.account_code, v.partner_id, v.date, v.date_maturity, v.debit, v.credit, v.receivable, v.amount_residual, v.description
      from jsonb_to_recordset(${json(lines)}::jsonb)
        as v(move_id uuid, account_code text, partner_id uuid, date date, date_maturity date, debit bigint, credit bigint, receivable boolean, amount_residual bigint, description text)`.execute(books.trx);
  }
  const entries = moves.map((m) => ({
    actor: books.actor, action: 'opening_balance.imported', entity: 'move', entityId: m.id,
    after: { partner: m.ref, date: m.date, dueDate: m.dueDate, amount: show(books, m.amount), document: m.document, row: m.row },
  }));
  for (const part of chunks(entries, 2_000)) await books.api.audit(books.trx, books.tenantId, part);
  // Like a posted invoice, so an incremental follow-up run (or any module) sees the imported books.
  for (const part of chunks(moves, 5_000)) {
    await books.api.emitMany(books.trx, books.tenantId, 'opening_balance.imported', part.map((m) => ({
      moveId: m.id, partnerId: m.partnerId, date: m.date, dueDate: m.dueDate, amount: show(books, m.amount), document: m.document,
    })), { actor: books.actor });
  }
  await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'opening_balances.imported', entity: 'import', entityId: crypto.randomUUID(), after: { format, ...result } });
  return result;
}

function readAmount(r: RowReader<Key>, split: boolean, currency: string): bigint | undefined {
  if (!split) {
    if (!r.cell('amount')) { r.error('amount', 'the balance is empty (write 0 when nothing is open)'); return undefined; }
    return r.parse('amount', (c) => parseCellAmount(c, currency, { allowNegative: true }));
  }
  const debit = r.parse('debit', (c) => parseCellAmount(c, currency));
  const credit = r.parse('credit', (c) => parseCellAmount(c, currency));
  if ((r.cell('debit') && debit === undefined) || (r.cell('credit') && credit === undefined)) return undefined;
  return (debit ?? 0n) - (credit ?? 0n);
}
