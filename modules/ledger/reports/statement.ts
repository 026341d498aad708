import { sql, type RawBuilder } from 'kysely';
import { daysBetween } from '../../../core/dates.js';
import { show, today, type Books } from '../context.js';
import { resolvePartner } from '../partners.js';
import type { MoveKind } from '../tables.js';
import { eachPage, type ExportColumn, type Lang, type TableSink } from '../../../core/export.js';
import { openItemsAsOf } from './open-items.js';
import { big, period, queryDate, type PartnerScope } from './scope.js';

export interface StatementQuery { type?: 'movements' | 'outstanding'; from?: string; to?: string; asOf?: string }

export interface StatementLine {
  date: string; ref: string | null; description: string | null; kind: MoveKind; dueDate: string;
  invoice: string | null; payment: string | null;
  debit: string; credit: string; balance: string;
}
export interface Statement {
  partner: { id: string; ref: string; name: string };
  from: string; to: string;
  opening: string; debit: string; credit: string; closing: string;
  lines: StatementLine[];
}

export interface OutstandingItem {
  date: string; ref: string | null; description: string | null; kind: MoveKind; dueDate: string;
  invoice: string | null; payment: string | null;
  amount: string; residual: string;
  /** Days past the due date on `asOf` (0 when not yet due); null for a credit. */
  daysOverdue: number | null;
}
export interface Outstanding {
  partner: { id: string; ref: string; name: string };
  asOf: string; items: OutstandingItem[]; total: string; overdue: string;
}

type LineRow = {
  date: string; ref: string | null; description: string | null; kind: MoveKind; due: string; invoice_id: string | null; payment_id: string | null;
  debit: bigint; credit: bigint; running: unknown;
};

function firstOfMonth(day: string): string {
  return `${day.slice(0, 8)}01`;
}

async function statementPlan(books: Books, partnerIdOrRef: string, q: StatementQuery) {
  const partner = await resolvePartner(books, partnerIdOrRef);
  const to = queryDate(q.to, 'to', today(books));
  const from = queryDate(q.from, 'from', firstOfMonth(to));
  period(from, to);
  const t = books.tenantId;
  const { rows: [o] } = await sql<{ opening: unknown; debit: unknown; credit: unknown }>`
    select coalesce(sum(debit - credit) filter (where date < ${from}::date), 0) as opening,
           coalesce(sum(debit) filter (where date >= ${from}::date), 0) as debit,
           coalesce(sum(credit) filter (where date >= ${from}::date), 0) as credit
    from ledger_move_line
    where tenant_id = ${t} and partner_id = ${partner.id} and receivable and date <= ${to}::date`.execute(books.trx);
  const opening = big(o.opening);
  // Dated order, then the order the entries were made in (a move's instalments by due date).
  const lines: RawBuilder<unknown> = sql`
    select l.date, m.ref, l.description, m.kind, l.date_maturity as due, l.invoice_id, l.payment_id, l.debit, l.credit,
      sum(l.debit - l.credit) over (order by l.date, m.created_at, m.id, l.date_maturity, l.id rows unbounded preceding) as running
    from ledger_move_line l
    join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    where l.tenant_id = ${t} and l.partner_id = ${partner.id} and l.receivable and l.date between ${from}::date and ${to}::date
    order by l.date, m.created_at, m.id, l.date_maturity, l.id`;
  return {
    partner: { id: partner.id, ref: partner.ref, name: partner.name }, from, to, opening,
    debit: big(o.debit), credit: big(o.credit), lines,
    line: (r: LineRow): StatementLine => ({
      date: r.date, ref: r.ref, description: r.description, kind: r.kind, dueDate: r.due, invoice: r.invoice_id, payment: r.payment_id,
      debit: show(books, r.debit), credit: show(books, r.credit), balance: show(books, opening + big(r.running)),
    }),
  };
}

/** The statement in minor units: what the ledger's service gives other modules (documents). */
export interface StatementMinor {
  partner: { id: string; ref: string; name: string };
  from: string; to: string;
  opening: bigint; debit: bigint; credit: bigint; closing: bigint;
  lines: Array<Omit<StatementLine, 'debit' | 'credit' | 'balance'> & { debit: bigint; credit: bigint; balance: bigint }>;
}

export async function statementMinor(books: Books, partnerIdOrRef: string, q: StatementQuery): Promise<StatementMinor> {
  const plan = await statementPlan(books, partnerIdOrRef, q);
  const { rows } = await plan.lines.execute(books.trx) as { rows: LineRow[] };
  return {
    partner: plan.partner, from: plan.from, to: plan.to,
    opening: plan.opening, debit: plan.debit, credit: plan.credit, closing: plan.opening + plan.debit - plan.credit,
    lines: rows.map((r) => ({
      date: r.date, ref: r.ref, description: r.description, kind: r.kind, dueDate: r.due, invoice: r.invoice_id, payment: r.payment_id,
      debit: big(r.debit), credit: big(r.credit), balance: plan.opening + big(r.running),
    })),
  };
}

/**
 * The customer statement ("sổ chi tiết công nợ"): balance before `from`, every receivable movement
 * from `from` to `to` with the running balance, and the closing balance.
 */
export async function statement(books: Books, partnerIdOrRef: string, q: StatementQuery): Promise<Statement> {
  const s = await statementMinor(books, partnerIdOrRef, q);
  return {
    partner: s.partner, from: s.from, to: s.to,
    opening: show(books, s.opening), debit: show(books, s.debit), credit: show(books, s.credit), closing: show(books, s.closing),
    lines: s.lines.map((l) => ({ ...l, debit: show(books, l.debit), credit: show(books, l.credit), balance: show(books, l.balance) })),
  };
}

export async function exportStatement(books: Books, partnerIdOrRef: string, q: StatementQuery, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<{ ref: string; from: string; to: string }> {
  const plan = await statementPlan(books, partnerIdOrRef, q);
  const vi = lang === 'vi';
  const columns: ExportColumn[] = [
    { header: vi ? 'Ngày' : 'Date', kind: 'date' },
    { header: vi ? 'Số chứng từ' : 'Ref', kind: 'text', width: 20 },
    { header: vi ? 'Diễn giải' : 'Description', kind: 'text', width: 40 },
    { header: vi ? 'Hạn thanh toán' : 'Due date', kind: 'date' },
    { header: vi ? 'Phát sinh Nợ' : 'Debit', kind: 'amount' },
    { header: vi ? 'Phát sinh Có' : 'Credit', kind: 'amount' },
    { header: vi ? 'Số dư' : 'Balance', kind: 'amount' },
  ];
  const sink = start(columns);
  await sink.row([plan.from, null, vi ? 'Số dư đầu kỳ' : 'Opening balance', null, null, null, show(books, plan.opening)], { bold: true });
  await eachPage<LineRow>(books.trx, plan.lines, async (rows) => {
    for (const r of rows) {
      const l = plan.line(r);
      await sink.row([l.date, l.ref, l.description, l.dueDate, l.debit, l.credit, l.balance]);
    }
  });
  await sink.row([plan.to, null, vi ? 'Cộng phát sinh và số dư cuối kỳ' : 'Movements and closing balance', null,
    show(books, plan.debit), show(books, plan.credit), show(books, plan.opening + plan.debit - plan.credit)], { bold: true });
  await sink.end();
  return { ref: plan.partner.ref, from: plan.from, to: plan.to };
}

type ItemRow = {
  date: string; ref: string | null; description: string | null; kind: MoveKind; due: string; invoice_id: string | null; payment_id: string | null;
  amount: bigint; residual: unknown;
};

async function outstandingPlan(books: Books, partnerIdOrRef: string, q: StatementQuery) {
  const partner = await resolvePartner(books, partnerIdOrRef);
  const asOf = queryDate(q.asOf, 'asOf', today(books));
  const scope: PartnerScope = { partnerId: partner.id, on: (column) => sql` and ${typeof column === 'string' ? sql.ref(column) : column} = ${partner.id}::uuid` };
  const items: RawBuilder<unknown> = sql`
    select l.date, m.ref, l.description, m.kind, l.date_maturity as due, l.invoice_id, l.payment_id, l.debit - l.credit as amount, o.residual
    from (select line_id, sum(amount) as residual from (${openItemsAsOf(books, asOf, scope)}) i group by line_id having sum(amount) <> 0) o
    join ledger_move_line l on l.tenant_id = ${books.tenantId} and l.id = o.line_id
    join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    order by l.date_maturity, l.date, m.created_at, l.id`;
  return {
    partner: { id: partner.id, ref: partner.ref, name: partner.name }, asOf, items,
    item: (r: ItemRow): OutstandingMinor['items'][number] => {
      const residual = big(r.residual);
      const late = daysBetween(r.due, asOf);
      return {
        date: r.date, ref: r.ref, description: r.description, kind: r.kind, dueDate: r.due, invoice: r.invoice_id, payment: r.payment_id,
        amount: big(r.amount), residual, daysOverdue: residual > 0n ? Math.max(0, late) : null,
      };
    },
  };
}

/** The open items in minor units: what the ledger's service gives other modules (documents). */
export interface OutstandingMinor {
  partner: { id: string; ref: string; name: string };
  asOf: string;
  items: Array<Omit<OutstandingItem, 'amount' | 'residual'> & { amount: bigint; residual: bigint }>;
  total: bigint; overdue: bigint;
}

export async function outstandingMinor(books: Books, partnerIdOrRef: string, q: StatementQuery): Promise<OutstandingMinor> {
  const plan = await outstandingPlan(books, partnerIdOrRef, q);
  const { rows } = await plan.items.execute(books.trx) as { rows: ItemRow[] };
  const items = rows.map(plan.item);
  const total = items.reduce((s, i) => s + i.residual, 0n);
  const overdue = items.reduce((s, i) => s + (i.daysOverdue ? i.residual : 0n), 0n);
  return { partner: plan.partner, asOf: plan.asOf, items, total, overdue };
}

/** What is open on a day, item by item (instalments owed and unallocated credits), with the total. */
export async function outstanding(books: Books, partnerIdOrRef: string, q: StatementQuery): Promise<Outstanding> {
  const o = await outstandingMinor(books, partnerIdOrRef, q);
  return {
    partner: o.partner, asOf: o.asOf,
    items: o.items.map((i) => ({ ...i, amount: show(books, i.amount), residual: show(books, i.residual) })),
    total: show(books, o.total), overdue: show(books, o.overdue),
  };
}

export async function exportOutstanding(books: Books, partnerIdOrRef: string, q: StatementQuery, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<{ ref: string; asOf: string }> {
  const plan = await outstandingPlan(books, partnerIdOrRef, q);
  const vi = lang === 'vi';
  const columns: ExportColumn[] = [
    { header: vi ? 'Ngày' : 'Date', kind: 'date' },
    { header: vi ? 'Số chứng từ' : 'Ref', kind: 'text', width: 20 },
    { header: vi ? 'Diễn giải' : 'Description', kind: 'text', width: 40 },
    { header: vi ? 'Hạn thanh toán' : 'Due date', kind: 'date' },
    { header: vi ? 'Số tiền gốc' : 'Original amount', kind: 'amount' },
    { header: vi ? 'Còn phải thu' : 'Residual', kind: 'amount' },
    { header: vi ? 'Số ngày quá hạn' : 'Days overdue', kind: 'integer' },
  ];
  const sink = start(columns);
  let total = 0n;
  await eachPage<ItemRow>(books.trx, plan.items, async (rows) => {
    for (const r of rows) {
      const i = plan.item(r);
      total += i.residual;
      await sink.row([i.date, i.ref, i.description, i.dueDate, show(books, i.amount), show(books, i.residual), i.daysOverdue]);
    }
  });
  await sink.row([null, null, vi ? 'Tổng cộng' : 'Total', null, null, show(books, total), null], { totals: true });
  await sink.end();
  return { ref: plan.partner.ref, asOf: plan.asOf };
}
