import { sql, type RawBuilder } from 'kysely';
import { badRequest, notFound } from '../../core/errors.js';
import { isIsoDate } from '../../core/dates.js';
import { formatAmount, parseAmount } from '../../core/money.js';
import { contains, decodeCursor, encodeCursor, fold, folded, keyset, type Page, type SortKey } from '../../core/lists.js';
import { eachPage, type CellKind, type ExportColumn, type TableSink } from '../../core/export.js';
import type { Bank } from './context.js';
import type { MatchState, Suggestion } from './tables.js';

export interface LineView {
  id: string; statementId: string; position: number; date: string; valueDate: string | null; amount: string;
  reference: string | null; counterparty: string | null; counterpartyAccount: string | null; description: string;
  matchState: MatchState; partner: { id: string; ref: string; name: string } | null; rule: string | null; reason: string | null; version: number;
  matches: Array<{ payment: string; amount: string; invoices: Array<{ id: string; number: string; amount: string }> }>;
  suggestions: Array<{ partner: string; rule: string; reason: string; invoices: Array<{ id: string; number: string; residual: string; dueDate: string }> }>;
}

interface Row {
  id: string; statement_id: string; position: number; date: string; value_date: string | null; amount: bigint; reference: string | null;
  counterparty: string | null; counterparty_account: string | null; description: string; match_state: MatchState; partner_id: string | null;
  partner_ref: string | null; partner_name: string | null; match_rule: string | null; match_reason: string | null; suggestion: Suggestion[] | null; version: number;
  matches: Array<{ payment: string; amount: string; invoices: Array<{ id: string; number: string; amount: string }> | null }>;
}

/**
 * Lines with what they matched (payments and the invoices those settled) and, for suggested
 * lines, the candidates. Reads the ledger's tables (a dependency) but never writes them.
 */
export const LINE_SORTS = ['date', '-date', 'amount', '-amount'] as const;
export type LineSort = typeof LINE_SORTS[number];

/** The worklist's filters (GET /lines). */
export interface LineFilter {
  state?: MatchState;
  statement?: string;
  /** The bank account: its number or id. */
  account?: string;
  /** The partner the line is matched or assigned to: id or ref. */
  partner?: string;
  dateFrom?: string; dateTo?: string;
  /** Signed: money in is positive. */
  amountMin?: string | number; amountMax?: string | number;
  direction?: 'in' | 'out';
  /** The reference, description or payer contains this — any case, with or without diacritics. */
  q?: string;
  sort?: LineSort;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function lineConditions(bank: Bank, f: LineFilter): RawBuilder<unknown>[] {
  const c: RawBuilder<unknown>[] = [];
  const day = (value: string | undefined, field: string) => {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
    return value;
  };
  const amount = (value: string | number, field: string) => {
    const negative = typeof value === 'string' && value.startsWith('-');
    return parseAmount(value, bank.books.currency, { field, allowZero: true, allowNegative: negative }).toString();
  };
  if (f.state) c.push(sql`l.match_state = ${f.state}`);
  if (f.statement !== undefined) c.push(UUID.test(f.statement) ? sql`l.statement_id = ${f.statement}::uuid` : sql`false`);
  if (f.account !== undefined) {
    c.push(sql`l.statement_id in (select s.id from bank_reconciliation_statement s join bank_reconciliation_account a on a.tenant_id = s.tenant_id and a.id = s.bank_account_id
      where s.tenant_id = ${bank.tenantId} and ${UUID.test(f.account) ? sql`a.id = ${f.account}::uuid` : sql`a.number = ${f.account.replace(/[\s-]/g, '')}`})`);
  }
  if (f.partner !== undefined) c.push(UUID.test(f.partner) ? sql`l.partner_id = ${f.partner}::uuid` : sql`p.ref = ${f.partner}`);
  if (day(f.dateFrom, 'dateFrom')) c.push(sql`l.date >= ${f.dateFrom}::date`);
  if (day(f.dateTo, 'dateTo')) c.push(sql`l.date <= ${f.dateTo}::date`);
  if (f.amountMin !== undefined) c.push(sql`l.amount >= ${amount(f.amountMin, 'amountMin')}::bigint`);
  if (f.amountMax !== undefined) c.push(sql`l.amount <= ${amount(f.amountMax, 'amountMax')}::bigint`);
  if (f.direction) c.push(f.direction === 'in' ? sql`l.amount > 0` : sql`l.amount < 0`);
  if (f.q) {
    const text = fold(f.q);
    c.push(sql`(strpos(${folded(sql`coalesce(l.reference, '')`)}, ${text}) > 0 or strpos(${folded(sql`l.description`)}, ${text}) > 0
      or strpos(${folded(sql`coalesce(l.counterparty, '')`)}, ${text}) > 0 or ${contains(sql`coalesce(l.counterparty_account, '')`, f.q)})`);
  }
  return c;
}

function lineSort(sort: LineSort): SortKey {
  return { ...(sort.endsWith('date') ? { key: sql`l.date`, cast: 'date' as const } : { key: sql`l.amount`, cast: 'bigint' as const }), desc: sort.startsWith('-') };
}

const LINE_FROM = sql`bank_reconciliation_line l left join ledger_partner p on p.tenant_id = l.tenant_id and p.id = l.partner_id`;
const scope = (bank: Bank) => (bank.visibleSalespeople ? [sql`p.salesperson_id = any(${bank.visibleSalespeople}::uuid[])`] : []);

/** The worklist: lines filtered and sorted (default: oldest first), a page at a time. */
export async function lineList(bank: Bank, f: LineFilter, limit: number, cursor?: string): Promise<Page<LineView>> {
  const sortName = f.sort ?? 'date';
  const sort = lineSort(sortName);
  const { where, order } = keyset(sort, sql`l.id`, cursor ? decodeCursor(cursor, sortName) : null);
  const conditions = [sql`l.tenant_id = ${bank.tenantId}`, ...lineConditions(bank, f), ...scope(bank), ...(where ? [where] : [])];
  const { rows } = await sql<{ id: string; sort_value: string }>`
    select l.id, (${sort.key})::text as sort_value from ${LINE_FROM}
    where ${sql.join(conditions, sql` and `)} order by ${order} limit ${limit + 1}`.execute(bank.trx);
  const shown = rows.slice(0, limit);
  const views = new Map((await listLines(bank, { lineIds: shown.map((r) => r.id) })).map((v) => [v.id, v]));
  const last = shown.at(-1);
  return {
    items: shown.map((r) => views.get(r.id)!),
    next: rows.length > limit && last ? encodeCursor({ sort: sortName, value: last.sort_value, id: last.id }) : null,
  };
}

/** Count and Σ amounts (signed) of the filtered lines. */
export async function lineTotals(bank: Bank, f: LineFilter): Promise<{ count: number; amount: string }> {
  const conditions = [sql`l.tenant_id = ${bank.tenantId}`, ...lineConditions(bank, f), ...scope(bank)];
  const { rows: [t] } = await sql<{ n: number; amount: bigint }>`
    select count(*)::integer as n, coalesce(sum(l.amount), 0)::bigint as amount from ${LINE_FROM} where ${sql.join(conditions, sql` and `)}`.execute(bank.trx);
  return { count: t.n, amount: formatAmount(BigInt(t.amount), bank.books.currency) };
}

export async function listLines(bank: Bank, filter: { statementId?: string; lineId?: string; lineIds?: string[]; state?: MatchState; limit?: number; offset?: number }): Promise<LineView[]> {
  if (filter.lineIds?.length === 0) return [];
  const { rows } = await sql<Row>`
    select l.id, l.statement_id, l.position, l.date, l.value_date, l.amount, l.reference, l.counterparty, l.counterparty_account, l.description,
      l.match_state, l.partner_id, p.ref as partner_ref, p.name as partner_name, l.match_rule, l.match_reason, l.suggestion, l.version,
      coalesce((
        select json_agg(json_build_object('payment', m.payment_id, 'amount', m.amount::text, 'invoices', (
          select json_agg(json_build_object('id', i.id, 'number', i.number, 'amount', a.amount::text) order by i.number)
          from ledger_move_line c
          join ledger_partial a on a.tenant_id = c.tenant_id and a.credit_line_id = c.id and a.undone_at is null
          join ledger_move_line d on d.tenant_id = a.tenant_id and d.id = a.debit_line_id
          join ledger_invoice i on i.tenant_id = d.tenant_id and i.id = d.invoice_id
          where c.tenant_id = m.tenant_id and c.payment_id = m.payment_id and c.receivable and c.credit > 0)) order by m.matched_at)
        from bank_reconciliation_match m where m.tenant_id = l.tenant_id and m.line_id = l.id and m.undone_at is null), '[]') as matches
    from bank_reconciliation_line l
    left join ledger_partner p on p.tenant_id = l.tenant_id and p.id = l.partner_id
    where l.tenant_id = ${bank.tenantId}
      ${filter.statementId ? sql`and l.statement_id = ${filter.statementId}` : sql``}
      ${filter.lineId ? sql`and l.id = ${filter.lineId}` : sql``}
      ${filter.lineIds ? sql`and l.id = any(${filter.lineIds}::uuid[])` : sql``}
      ${filter.state ? sql`and l.match_state = ${filter.state}` : sql``}
      ${bank.visibleSalespeople ? sql`and p.salesperson_id = any(${bank.visibleSalespeople}::uuid[])` : sql``}
    order by l.date, l.statement_id, l.position
    limit ${filter.limit ?? 1000} offset ${filter.offset ?? 0}`.execute(bank.trx);
  if (bank.visibleSalespeople) await keepVisibleSuggestions(bank, rows, bank.visibleSalespeople);
  const suggested = [...new Set(rows.flatMap((r) => (r.suggestion ?? []).flatMap((s) => s.invoiceIds)))];
  const invoices = new Map<string, { id: string; number: string; residual: bigint; due_date: string }>();
  if (suggested.length > 0) {
    const { rows: found } = await sql<{ id: string; number: string; residual: bigint; due_date: string }>`
      select id, number, residual, due_date from ledger_invoice where tenant_id = ${bank.tenantId} and id = any(${suggested}::uuid[])`.execute(bank.trx);
    for (const i of found) invoices.set(i.id, i);
  }
  const { currency } = bank.books;
  return rows.map((r) => ({
    id: r.id, statementId: r.statement_id, position: r.position, date: r.date, valueDate: r.value_date, amount: formatAmount(r.amount, currency),
    reference: r.reference, counterparty: r.counterparty, counterpartyAccount: r.counterparty_account, description: r.description,
    matchState: r.match_state, partner: r.partner_id ? { id: r.partner_id, ref: r.partner_ref!, name: r.partner_name! } : null,
    rule: r.match_rule, reason: r.match_reason, version: r.version,
    matches: r.matches.map((m) => ({ payment: m.payment, amount: formatAmount(BigInt(m.amount), currency), invoices: (m.invoices ?? []).map((i) => ({ ...i, amount: formatAmount(BigInt(i.amount), currency) })) })),
    suggestions: (r.suggestion ?? []).map((s) => ({
      partner: s.partnerId, rule: s.rule, reason: s.reason,
      invoices: s.invoiceIds.map((id) => invoices.get(id)).filter((i) => i !== undefined).map((i) => ({ id: i.id, number: i.number, residual: formatAmount(i.residual, currency), dueDate: i.due_date })),
    })),
  }));
}

/** A salesperson sees no suggestion that names another salesperson's partner. */
async function keepVisibleSuggestions(bank: Bank, rows: Row[], salespeople: string[]): Promise<void> {
  const named = [...new Set(rows.flatMap((r) => (r.suggestion ?? []).map((s) => s.partnerId)))];
  if (named.length === 0) return;
  const { rows: visible } = await sql<{ id: string }>`
    select id from ledger_partner where tenant_id = ${bank.tenantId} and id = any(${named}::uuid[]) and salesperson_id = any(${salespeople}::uuid[])`.execute(bank.trx);
  const ids = new Set(visible.map((p) => p.id));
  for (const r of rows) if (r.suggestion) r.suggestion = r.suggestion.filter((s) => ids.has(s.partnerId));
}

export async function getLine(bank: Bank, id: string): Promise<LineView> {
  const [line] = await listLines(bank, { lineId: id, limit: 1 });
  if (!line) throw notFound(`No bank statement line ${id}.`);
  return line;
}

export interface AccountView {
  id: string; number: string; currency: string; name: string | null;
  /** Freshness: the newest statement's closing date and how many lines wait for a clerk. */
  lastStatementDate: string | null; statements: number; unmatchedLines: number; suggestedLines: number;
}

export async function listAccounts(bank: Bank): Promise<AccountView[]> {
  const { rows } = await sql<{ id: string; number: string; currency: string; name: string | null; last: string | null; statements: number; unmatched: number; suggested: number }>`
    select a.id, a.number, a.currency, a.name,
      (select max(coalesce(s.closing_date, s.opening_date)) from bank_reconciliation_statement s where s.tenant_id = a.tenant_id and s.bank_account_id = a.id) as last,
      (select count(*)::int from bank_reconciliation_statement s where s.tenant_id = a.tenant_id and s.bank_account_id = a.id) as statements,
      (select count(*)::int from bank_reconciliation_line l where l.tenant_id = a.tenant_id and l.bank_account_id = a.id and l.match_state = 'unmatched' and l.amount > 0) as unmatched,
      (select count(*)::int from bank_reconciliation_line l where l.tenant_id = a.tenant_id and l.bank_account_id = a.id and l.match_state = 'suggested') as suggested
    from bank_reconciliation_account a where a.tenant_id = ${bank.tenantId} order by a.number`.execute(bank.trx);
  return rows.map((r) => ({ id: r.id, number: r.number, currency: r.currency.trim(), name: r.name, lastStatementDate: r.last, statements: r.statements, unmatchedLines: r.unmatched, suggestedLines: r.suggested }));
}

const LINE_HEADERS = {
  vi: ['Ngày', 'Ngày hiệu lực', 'Số tiền', 'Số tham chiếu', 'Người chuyển', 'Tài khoản đối ứng', 'Nội dung', 'Trạng thái', 'Mã khách hàng', 'Khách hàng', 'Quy tắc', 'Lý do'],
  en: ['Date', 'Value date', 'Amount', 'Reference', 'Counterparty', 'Counterparty account', 'Description', 'Match state', 'Partner ref', 'Partner', 'Rule', 'Reason'],
};
const LINE_KINDS: CellKind[] = ['date', 'date', 'amount', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];

/** Every line of the filtered worklist, in its order, as a file. */
export async function exportLines(bank: Bank, f: LineFilter, lang: 'vi' | 'en', start: (columns: ExportColumn[]) => TableSink): Promise<void> {
  const sort = lineSort(f.sort ?? 'date');
  const { order } = keyset(sort, sql`l.id`, null);
  const conditions = [sql`l.tenant_id = ${bank.tenantId}`, ...lineConditions(bank, f), ...scope(bank)];
  const sink = start(LINE_HEADERS[lang].map((header, i) => ({ header, kind: LINE_KINDS[i] })));
  const { currency } = bank.books;
  await eachPage<{ date: string; value_date: string | null; amount: bigint; reference: string | null; counterparty: string | null; counterparty_account: string | null; description: string; match_state: string; ref: string | null; name: string | null; match_rule: string | null; match_reason: string | null }>(
    bank.trx,
    sql`select l.date::text as date, l.value_date::text as value_date, l.amount, l.reference, l.counterparty, l.counterparty_account, l.description, l.match_state,
          p.ref, p.name, l.match_rule, l.match_reason
        from ${LINE_FROM} where ${sql.join(conditions, sql` and `)} order by ${order}`,
    async (rows) => {
      for (const r of rows) {
        await sink.row([r.date, r.value_date, formatAmount(r.amount, currency), r.reference, r.counterparty, r.counterparty_account, r.description, r.match_state, r.ref, r.name, r.match_rule, r.match_reason]);
      }
    },
  );
  await sink.end();
}
