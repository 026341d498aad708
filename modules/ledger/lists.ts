/**
 * The clerk's working lists of invoices (and credit notes), payments and partners: filters, a
 * stable order with cursor paging (core/lists.ts), the count and sums of the whole filtered set,
 * the sales role's scope, and every row of the same filtered list for an export.
 */
import { sql, type RawBuilder } from 'kysely';
import { contains, decodeCursor, encodeCursor, keyset, nameOrRef, type Page, type SortKey } from '../../core/lists.js';
import { badRequest } from '../../core/errors.js';
import { isIsoDate } from '../../core/dates.js';
import { show, today, money, type Books } from './context.js';
import type { PaymentState } from './tables.js';
import { toPartner, type Partner, type PartnerRow } from './partners.js';
import { eachPage, type CellKind, type ExportColumn, type TableSink } from '../../core/export.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkDate(value: string | undefined, field: string): string | undefined {
  if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  return value;
}

async function partnerId(books: Books, idOrRef: string): Promise<string | null> {
  const row = await books.trx.selectFrom('ledger_partner').select('id').where('tenant_id', '=', books.tenantId)
    .where(UUID.test(idOrRef) ? 'id' : 'ref', '=', idOrRef).executeTakeFirst();
  return row?.id ?? null;
}

const NOTHING = sql`false`;

/**
 * The ids of the partners whose name or ref contains `q`: the folding runs once per partner, and
 * a list then keeps its own order and index (a join would fold the name once per invoice).
 */
const partnersNamed = (books: Books, q: string) => sql`select n.id from ledger_partner n where n.tenant_id = ${books.tenantId} and ${nameOrRef(sql`n.name`, sql`n.ref`, q)}`;

// ---- Invoices --------------------------------------------------------------------------------

export const INVOICE_SORTS = ['date', '-date', 'dueDate', '-dueDate', 'number', '-number', 'total', '-total', 'residual', '-residual'] as const;
export type InvoiceSort = typeof INVOICE_SORTS[number];

export interface InvoiceFilter {
  partner?: string; kind?: 'invoice' | 'credit_note'; state?: 'draft' | 'posted'; paymentState?: PaymentState;
  /** true: an invoice (not a credit note), posted, something open, due before today. */
  overdue?: boolean; dateFrom?: string; dateTo?: string; dueFrom?: string; dueTo?: string;
  amountMin?: string | number; amountMax?: string | number; salesperson?: string; currency?: string;
  /** The invoice number contains this (any case). */
  number?: string;
  /** The partner's name or ref contains this, in any case, with or without diacritics. */
  q?: string;
  sort?: InvoiceSort;
}

export interface InvoiceListItem {
  id: string; kind: 'invoice' | 'credit_note'; number: string | null; state: 'draft' | 'posted'; paymentState: PaymentState;
  partner: { id: string; ref: string; name: string }; date: string; dueDate: string | null; currency: string;
  paymentReference: string | null; total: string; residual: string;
  /** Days past the due date as of today while something is open; 0 otherwise. */
  daysOverdue: number;
}

interface InvoiceRow {
  id: string; kind: 'invoice' | 'credit_note'; number: string | null; state: 'draft' | 'posted'; payment_state: PaymentState;
  partner_id: string; ref: string; name: string; date: string; due_date: string | null; currency: string;
  payment_reference: string | null; total: bigint; residual: bigint; sort_value: string | null;
}

function invoiceSort(sort: InvoiceSort): SortKey {
  const desc = sort.startsWith('-');
  const key = {
    date: { key: sql`i.date`, cast: 'date' as const },
    dueDate: { key: sql`coalesce(i.due_date, i.date)`, cast: 'date' as const },
    number: { key: sql`coalesce(i.number, '')`, cast: 'text' as const },
    total: { key: sql`i.total`, cast: 'bigint' as const },
    residual: { key: sql`i.residual`, cast: 'bigint' as const },
  }[sort.replace(/^-/, '') as 'date'];
  return { ...key, desc };
}

/** The filter's conditions (without the cursor): the list, its totals and its export share them. */
async function invoiceConditions(books: Books, f: InvoiceFilter): Promise<RawBuilder<unknown>[]> {
  const c: RawBuilder<unknown>[] = [sql`i.tenant_id = ${books.tenantId}`];
  if (f.partner !== undefined) {
    const id = await partnerId(books, f.partner);
    c.push(id ? sql`i.partner_id = ${id}::uuid` : NOTHING);
  }
  if (f.kind) c.push(sql`i.kind = ${f.kind}`);
  if (f.state) c.push(sql`i.state = ${f.state}`);
  if (f.paymentState) c.push(sql`i.payment_state = ${f.paymentState}`);
  const day = today(books);
  const overdue = sql`i.kind = 'invoice' and i.state = 'posted' and i.residual > 0 and coalesce(i.due_date, i.date) < ${day}::date`;
  if (f.overdue === true) c.push(overdue);
  if (f.overdue === false) c.push(sql`not (${overdue})`);
  if (checkDate(f.dateFrom, 'dateFrom')) c.push(sql`i.date >= ${f.dateFrom}::date`);
  if (checkDate(f.dateTo, 'dateTo')) c.push(sql`i.date <= ${f.dateTo}::date`);
  if (checkDate(f.dueFrom, 'dueFrom')) c.push(sql`coalesce(i.due_date, i.date) >= ${f.dueFrom}::date`);
  if (checkDate(f.dueTo, 'dueTo')) c.push(sql`coalesce(i.due_date, i.date) <= ${f.dueTo}::date`);
  if (f.amountMin !== undefined) c.push(sql`i.total >= ${money(books, f.amountMin, 'amountMin', { allowZero: true }).toString()}::bigint`);
  if (f.amountMax !== undefined) c.push(sql`i.total <= ${money(books, f.amountMax, 'amountMax', { allowZero: true }).toString()}::bigint`);
  // Conditions on the partner are subqueries, never the joined row: the totals then read the invoices alone.
  const ofSalespeople = (ids: RawBuilder<unknown>) => sql`i.partner_id in (select sp.id from ledger_partner sp where sp.tenant_id = ${books.tenantId} and sp.salesperson_id = any(${ids}))`;
  if (f.salesperson !== undefined) c.push(UUID.test(f.salesperson) ? ofSalespeople(sql`array[${f.salesperson}::uuid]`) : NOTHING);
  if (f.currency !== undefined) c.push(sql`i.currency = ${f.currency}`);
  if (f.number) c.push(contains(sql`coalesce(i.number, '')`, f.number));
  if (f.q) c.push(sql`i.partner_id in (${partnersNamed(books, f.q)})`);
  if (books.visibleSalespeople) c.push(ofSalespeople(sql`${books.visibleSalespeople}::uuid[]`));
  return c;
}

const INVOICE_FROM = sql`ledger_invoice i join ledger_partner p on p.tenant_id = i.tenant_id and p.id = i.partner_id`;

function invoiceItem(books: Books, r: InvoiceRow, day: string): InvoiceListItem {
  const due = r.due_date ?? r.date;
  const open = r.kind === 'invoice' && r.state === 'posted' && r.residual > 0n && due < day;
  return {
    id: r.id, kind: r.kind, number: r.number, state: r.state, paymentState: r.payment_state,
    partner: { id: r.partner_id, ref: r.ref, name: r.name }, date: r.date, dueDate: r.due_date, currency: r.currency.trim(),
    paymentReference: r.payment_reference, total: show(books, r.total), residual: show(books, r.residual),
    daysOverdue: open ? Math.round((Date.parse(day) - Date.parse(due)) / 86_400_000) : 0,
  };
}

const INVOICE_COLUMNS = sql`i.id, i.kind, i.number, i.state, i.payment_state, i.partner_id, p.ref, p.name, i.date::text as date, i.due_date::text as due_date,
  i.currency, i.payment_reference, i.total, i.residual`;

export async function listInvoices(books: Books, f: InvoiceFilter, limit: number, cursor?: string): Promise<Page<InvoiceListItem>> {
  const sortName = f.sort ?? '-date';
  const sort = invoiceSort(sortName);
  const conditions = await invoiceConditions(books, f);
  const { where, order } = keyset(sort, sql`i.id`, cursor ? decodeCursor(cursor, sortName) : null);
  if (where) conditions.push(where);
  const { rows } = await sql<InvoiceRow>`
    select ${INVOICE_COLUMNS}, (${sort.key})::text as sort_value
    from ${INVOICE_FROM}
    where ${sql.join(conditions, sql` and `)}
    order by ${order}
    limit ${limit + 1}`.execute(books.trx);
  const day = today(books);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => invoiceItem(books, r, day)),
    next: rows.length > limit && last ? encodeCursor({ sort: sortName, value: last.sort_value, id: last.id }) : null,
  };
}

/** Count and sums of the whole filtered list. Credit notes count negative in the sums. */
export async function invoiceTotals(books: Books, f: InvoiceFilter): Promise<{ count: number; amount: string; residual: string }> {
  const conditions = await invoiceConditions(books, f);
  const { rows: [t] } = await sql<{ n: number; amount: bigint; residual: bigint }>`
    select count(*)::integer as n,
           coalesce(sum(case when i.kind = 'credit_note' then -i.total else i.total end), 0)::bigint as amount,
           coalesce(sum(case when i.kind = 'credit_note' then -i.residual else i.residual end), 0)::bigint as residual
    from ledger_invoice i
    where ${sql.join(conditions, sql` and `)}`.execute(books.trx);
  return { count: t.n, amount: show(books, BigInt(t.amount)), residual: show(books, BigInt(t.residual)) };
}

/** Every row of the filtered list in its order, for an export (run through a server-side cursor). */
export async function invoiceExportQuery(books: Books, f: InvoiceFilter): Promise<{ query: RawBuilder<unknown>; item: (r: InvoiceRow) => InvoiceListItem }> {
  const sort = invoiceSort(f.sort ?? '-date');
  const conditions = await invoiceConditions(books, f);
  const { order } = keyset(sort, sql`i.id`, null);
  const day = today(books);
  return {
    query: sql`select ${INVOICE_COLUMNS}, null as sort_value from ${INVOICE_FROM} where ${sql.join(conditions, sql` and `)} order by ${order}`,
    item: (r) => invoiceItem(books, r, day),
  };
}

// ---- Payments --------------------------------------------------------------------------------

export const PAYMENT_SORTS = ['date', '-date', 'amount', '-amount'] as const;
export type PaymentSort = typeof PAYMENT_SORTS[number];

export interface PaymentFilter {
  partner?: string; dateFrom?: string; dateTo?: string; amountMin?: string | number; amountMax?: string | number;
  journal?: 'bank' | 'cash'; bankMatched?: boolean; reversed?: boolean;
  /** true: something of the payment is not allocated (the customer's credit). */
  unallocated?: boolean;
  /** The payment's reference contains this (any case). */
  reference?: string;
  q?: string; salesperson?: string; currency?: string;
  sort?: PaymentSort;
}

export interface PaymentListItem {
  id: string; partner: { id: string; ref: string; name: string }; date: string; amount: string; currency: string;
  reference: string | null; journal: 'bank' | 'cash'; bankMatched: boolean; reversedOn: string | null; unallocated: string;
}

interface PaymentRow {
  id: string; partner_id: string; ref: string; name: string; date: string; amount: bigint; currency: string;
  reference: string | null; journal: 'bank' | 'cash'; bank_matched: boolean; reversed_on: string | null; unallocated: bigint; sort_value: string | null;
}

const PAYMENT_FROM = sql`ledger_payment y
  join ledger_partner p on p.tenant_id = y.tenant_id and p.id = y.partner_id
  join ledger_move_line l on l.tenant_id = y.tenant_id and l.payment_id = y.id and l.receivable`;
const PAYMENT_COLUMNS = sql`y.id, y.partner_id, p.ref, p.name, y.date::text as date, y.amount, y.currency, y.reference, y.journal, y.bank_matched,
  y.reversed_on::text as reversed_on, -l.amount_residual as unallocated`;

function paymentSort(sort: PaymentSort): SortKey {
  return { ...(sort.endsWith('date') ? { key: sql`y.date`, cast: 'date' as const } : { key: sql`y.amount`, cast: 'bigint' as const }), desc: sort.startsWith('-') };
}

async function paymentConditions(books: Books, f: PaymentFilter): Promise<RawBuilder<unknown>[]> {
  const c: RawBuilder<unknown>[] = [sql`y.tenant_id = ${books.tenantId}`];
  if (f.partner !== undefined) {
    const id = await partnerId(books, f.partner);
    c.push(id ? sql`y.partner_id = ${id}::uuid` : NOTHING);
  }
  if (checkDate(f.dateFrom, 'dateFrom')) c.push(sql`y.date >= ${f.dateFrom}::date`);
  if (checkDate(f.dateTo, 'dateTo')) c.push(sql`y.date <= ${f.dateTo}::date`);
  if (f.amountMin !== undefined) c.push(sql`y.amount >= ${money(books, f.amountMin, 'amountMin', { allowZero: true }).toString()}::bigint`);
  if (f.amountMax !== undefined) c.push(sql`y.amount <= ${money(books, f.amountMax, 'amountMax', { allowZero: true }).toString()}::bigint`);
  if (f.journal) c.push(sql`y.journal = ${f.journal}`);
  if (f.bankMatched !== undefined) c.push(sql`y.bank_matched = ${f.bankMatched}`);
  if (f.reversed !== undefined) c.push(f.reversed ? sql`y.reversed_on is not null` : sql`y.reversed_on is null`);
  if (f.unallocated !== undefined) c.push(f.unallocated ? sql`l.amount_residual < 0` : sql`l.amount_residual >= 0`);
  if (f.reference) c.push(contains(sql`coalesce(y.reference, '')`, f.reference));
  if (f.salesperson !== undefined) c.push(UUID.test(f.salesperson) ? sql`p.salesperson_id = ${f.salesperson}::uuid` : NOTHING);
  if (f.currency !== undefined) c.push(sql`y.currency = ${f.currency}`);
  if (f.q) c.push(sql`y.partner_id in (${partnersNamed(books, f.q)})`);
  if (books.visibleSalespeople) c.push(sql`p.salesperson_id = any(${books.visibleSalespeople}::uuid[])`);
  return c;
}

function paymentItem(books: Books, r: PaymentRow): PaymentListItem {
  return {
    id: r.id, partner: { id: r.partner_id, ref: r.ref, name: r.name }, date: r.date, amount: show(books, r.amount), currency: r.currency.trim(),
    reference: r.reference, journal: r.journal, bankMatched: r.bank_matched, reversedOn: r.reversed_on, unallocated: show(books, r.unallocated),
  };
}

export async function listPayments(books: Books, f: PaymentFilter, limit: number, cursor?: string): Promise<Page<PaymentListItem>> {
  const sortName = f.sort ?? '-date';
  const sort = paymentSort(sortName);
  const conditions = await paymentConditions(books, f);
  const { where, order } = keyset(sort, sql`y.id`, cursor ? decodeCursor(cursor, sortName) : null);
  if (where) conditions.push(where);
  const { rows } = await sql<PaymentRow>`
    select ${PAYMENT_COLUMNS}, (${sort.key})::text as sort_value
    from ${PAYMENT_FROM}
    where ${sql.join(conditions, sql` and `)}
    order by ${order}
    limit ${limit + 1}`.execute(books.trx);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => paymentItem(books, r)),
    next: rows.length > limit && last ? encodeCursor({ sort: sortName, value: last.sort_value, id: last.id }) : null,
  };
}

export async function paymentTotals(books: Books, f: PaymentFilter): Promise<{ count: number; amount: string; unallocated: string }> {
  const conditions = await paymentConditions(books, f);
  const { rows: [t] } = await sql<{ n: number; amount: bigint; unallocated: bigint }>`
    select count(*)::integer as n, coalesce(sum(y.amount), 0)::bigint as amount, coalesce(sum(-l.amount_residual), 0)::bigint as unallocated
    from ${PAYMENT_FROM}
    where ${sql.join(conditions, sql` and `)}`.execute(books.trx);
  return { count: t.n, amount: show(books, BigInt(t.amount)), unallocated: show(books, BigInt(t.unallocated)) };
}

export async function paymentExportQuery(books: Books, f: PaymentFilter): Promise<{ query: RawBuilder<unknown>; item: (r: PaymentRow) => PaymentListItem }> {
  const sort = paymentSort(f.sort ?? '-date');
  const conditions = await paymentConditions(books, f);
  const { order } = keyset(sort, sql`y.id`, null);
  return {
    query: sql`select ${PAYMENT_COLUMNS}, null as sort_value from ${PAYMENT_FROM} where ${sql.join(conditions, sql` and `)} order by ${order}`,
    item: (r) => paymentItem(books, r),
  };
}

// ---- Partners --------------------------------------------------------------------------------

export const PARTNER_SORTS = ['name', '-name', 'ref', '-ref', 'balance', '-balance', 'overdue', '-overdue'] as const;
export type PartnerSort = typeof PARTNER_SORTS[number];

export interface PartnerFilter {
  /** The ref, exactly. */
  ref?: string;
  /** Part of the name, any case (kept for clients of the first version; `q` also ignores diacritics). */
  name?: string;
  q?: string; salesperson?: string; group?: string;
  /** true: something is overdue today. */
  overdue?: boolean;
  sort?: PartnerSort;
}

/** Partners with their balance and overdue as of today, filtered; the keyset runs over the result. */
function partnerBase(books: Books, f: PartnerFilter): RawBuilder<unknown> {
  const c: RawBuilder<unknown>[] = [sql`p.tenant_id = ${books.tenantId}`];
  if (f.ref) c.push(sql`p.ref = ${f.ref}`);
  if (f.name) c.push(contains(sql`p.name`, f.name));
  if (f.q) c.push(nameOrRef(sql`p.name`, sql`p.ref`, f.q));
  if (f.salesperson !== undefined) c.push(UUID.test(f.salesperson) ? sql`p.salesperson_id = ${f.salesperson}::uuid` : NOTHING);
  if (f.group) c.push(sql`p.group_code = ${f.group}`);
  if (books.visibleSalespeople) c.push(sql`p.salesperson_id = any(${books.visibleSalespeople}::uuid[])`);
  const day = today(books);
  return sql`
    select p.*, coalesce(b.balance, 0)::bigint as balance, coalesce(b.overdue, 0)::bigint as overdue
    from ledger_partner p
    left join lateral (
      select sum(l.amount_residual) as balance,
             sum(l.amount_residual) filter (where l.amount_residual > 0 and l.date_maturity < ${day}::date) as overdue
      from ledger_move_line l
      where l.tenant_id = p.tenant_id and l.partner_id = p.id and l.receivable and l.amount_residual <> 0
    ) b on true
    where ${sql.join(c, sql` and `)}`;
}

function partnerSort(sort: PartnerSort): SortKey {
  const name = sort.replace(/^-/, '') as 'name' | 'ref' | 'balance' | 'overdue';
  return { key: sql.ref(`x.${name}`) as unknown as RawBuilder<unknown>, cast: name === 'balance' || name === 'overdue' ? 'bigint' : 'text', desc: sort.startsWith('-') };
}

const overdueOnly = (f: PartnerFilter) => (f.overdue === true ? sql`x.overdue > 0` : f.overdue === false ? sql`x.overdue <= 0` : null);

export async function listPartnersPage(books: Books, f: PartnerFilter, limit: number, cursor?: string): Promise<Page<Partner>> {
  const sortName = f.sort ?? 'name';
  const sort = partnerSort(sortName);
  const { where, order } = keyset(sort, sql`x.id`, cursor ? decodeCursor(cursor, sortName) : null);
  const outer = [overdueOnly(f), where].filter((c): c is RawBuilder<unknown> => c !== null);
  const { rows } = await sql<PartnerRow & { balance: bigint; overdue: bigint; sort_value: string }>`
    select x.*, (${sort.key})::text as sort_value from (${partnerBase(books, f)}) x
    ${outer.length ? sql`where ${sql.join(outer, sql` and `)}` : sql``}
    order by ${order}
    limit ${limit + 1}`.execute(books.trx);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => toPartner(books, r, [], { balance: r.balance, overdue: r.overdue })),
    next: rows.length > limit && last ? encodeCursor({ sort: sortName, value: last.sort_value, id: last.id }) : null,
  };
}

/** Count, Σ balances and Σ overdue of the filtered partners. */
export async function partnerTotals(books: Books, f: PartnerFilter): Promise<{ count: number; amount: string; overdue: string }> {
  const only = overdueOnly(f);
  const { rows: [t] } = await sql<{ n: number; amount: bigint; overdue: bigint }>`
    select count(*)::integer as n, coalesce(sum(x.balance), 0)::bigint as amount, coalesce(sum(x.overdue), 0)::bigint as overdue
    from (${partnerBase(books, f)}) x ${only ? sql`where ${only}` : sql``}`.execute(books.trx);
  return { count: t.n, amount: show(books, BigInt(t.amount)), overdue: show(books, BigInt(t.overdue)) };
}

// ---- Files -----------------------------------------------------------------------------------

type Lang = 'vi' | 'en';
type Start = (columns: ExportColumn[]) => TableSink;

const INVOICE_HEADERS: Record<Lang, string[]> = {
  vi: ['Loại', 'Số hoá đơn', 'Trạng thái', 'Thanh toán', 'Mã khách hàng', 'Khách hàng', 'Ngày', 'Hạn thanh toán', 'Tiền tệ', 'Mã thanh toán', 'Tổng cộng', 'Còn phải thu', 'Số ngày quá hạn'],
  en: ['Kind', 'Number', 'State', 'Payment state', 'Partner ref', 'Partner', 'Date', 'Due date', 'Currency', 'Payment reference', 'Total', 'Residual', 'Days overdue'],
};
const INVOICE_KINDS: CellKind[] = ['text', 'text', 'text', 'text', 'text', 'text', 'date', 'date', 'text', 'text', 'amount', 'amount', 'integer'];

/** The filtered invoice list, every row, in its order, as a file. */
export async function exportInvoices(books: Books, f: InvoiceFilter, lang: Lang, start: Start): Promise<void> {
  const { query, item } = await invoiceExportQuery(books, f);
  const sink = start(INVOICE_HEADERS[lang].map((header, i) => ({ header, kind: INVOICE_KINDS[i] })));
  await eachPage<InvoiceRow>(books.trx, query, async (rows) => {
    for (const r of rows) {
      const x = item(r);
      await sink.row([x.kind, x.number, x.state, x.paymentState, x.partner.ref, x.partner.name, x.date, x.dueDate, x.currency, x.paymentReference, x.total, x.residual, x.daysOverdue]);
    }
  });
  await sink.end();
}

const PAYMENT_HEADERS: Record<Lang, string[]> = {
  vi: ['Ngày', 'Mã khách hàng', 'Khách hàng', 'Số tiền', 'Tiền tệ', 'Nội dung', 'Sổ', 'Đã đối chiếu ngân hàng', 'Ngày huỷ', 'Chưa phân bổ'],
  en: ['Date', 'Partner ref', 'Partner', 'Amount', 'Currency', 'Reference', 'Journal', 'Bank matched', 'Reversed on', 'Unallocated'],
};
const PAYMENT_KINDS: CellKind[] = ['date', 'text', 'text', 'amount', 'text', 'text', 'text', 'text', 'date', 'amount'];

export async function exportPayments(books: Books, f: PaymentFilter, lang: Lang, start: Start): Promise<void> {
  const { query, item } = await paymentExportQuery(books, f);
  const sink = start(PAYMENT_HEADERS[lang].map((header, i) => ({ header, kind: PAYMENT_KINDS[i] })));
  const yes = lang === 'vi' ? 'có' : 'yes';
  const no = lang === 'vi' ? 'không' : 'no';
  await eachPage<PaymentRow>(books.trx, query, async (rows) => {
    for (const r of rows) {
      const x = item(r);
      await sink.row([x.date, x.partner.ref, x.partner.name, x.amount, x.currency, x.reference, x.journal, x.bankMatched ? yes : no, x.reversedOn, x.unallocated]);
    }
  });
  await sink.end();
}

const PARTNER_HEADERS: Record<Lang, string[]> = {
  vi: ['Mã khách hàng', 'Tên', 'Email', 'Điện thoại', 'Mã số thuế', 'Nhóm', 'Hạn mức nợ', 'Tín nhiệm', 'Số dư', 'Quá hạn'],
  en: ['Ref', 'Name', 'Email', 'Phone', 'Tax code', 'Group', 'Credit limit', 'Trust', 'Balance', 'Overdue'],
};
const PARTNER_KINDS: CellKind[] = ['text', 'text', 'text', 'text', 'text', 'text', 'amount', 'text', 'amount', 'amount'];

export async function exportPartners(books: Books, f: PartnerFilter, lang: Lang, start: Start): Promise<void> {
  const sort = partnerSort(f.sort ?? 'name');
  const { order } = keyset(sort, sql`x.id`, null);
  const only = overdueOnly(f);
  const sink = start(PARTNER_HEADERS[lang].map((header, i) => ({ header, kind: PARTNER_KINDS[i] })));
  await eachPage<PartnerRow & { balance: bigint; overdue: bigint }>(books.trx, sql`select x.* from (${partnerBase(books, f)}) x ${only ? sql`where ${only}` : sql``} order by ${order}`, async (rows) => {
    for (const r of rows) {
      const p = toPartner(books, r, [], { balance: r.balance, overdue: r.overdue });
      await sink.row([p.ref, p.name, p.email, p.phone, p.taxCode, p.group, p.creditLimit, p.trust, p.balance, p.overdue]);
    }
  });
  await sink.end();
}
