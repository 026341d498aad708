import { sql } from 'kysely';
import { daysBetween } from '../../../core/dates.js';
import { divideRounded } from '../../../core/money.js';
import { show, today, type Books } from '../context.js';
import type { ExportColumn, Lang, TableSink } from '../../../core/export.js';
import { big, partnerScope, reportQueries, period, queryDate, type ReportFilter } from './scope.js';

export interface DsoQuery extends ReportFilter { from?: string; to?: string; groupBy?: 'salesperson' }

export interface DsoFigures {
  /** Receivables at `to`: Σ (debit − credit) of receivable lines dated on or before it. */
  receivables: string;
  /** Posted invoices minus posted credit notes dated in the period, totals including tax. */
  creditSales: string;
  /** Days sales outstanding, one decimal, half-up; null when there were no credit sales. */
  dso: string | null;
}
export interface DsoReport extends DsoFigures {
  from: string; to: string; days: number; formula: string;
  rows?: Array<DsoFigures & { salesperson: string | null; name: string | null }>;
}

export const DSO_FORMULA =
  'DSO = receivables ÷ credit sales × days. receivables = balance of the receivable account at `to` ' +
  '(Σ debit − credit of receivable lines dated ≤ to, unallocated credits included); credit sales = Σ totals ' +
  'including tax of posted invoices dated from `from` to `to` minus Σ totals of posted credit notes dated in ' +
  'that period (their receivable lines); days = to − from + 1. Computed on integers and rounded half-up to ' +
  '0.1 day; null when credit sales are zero or negative.';

/** receivables × days ÷ sales to one decimal, on integers only (half-up). */
export function dsoValue(receivables: bigint, sales: bigint, days: number): string | null {
  if (sales <= 0n) return null;
  const tenths = divideRounded(receivables * BigInt(days) * 10n, sales, 'half-up');
  const sign = tenths < 0n ? '-' : '';
  const abs = tenths < 0n ? -tenths : tenths;
  return `${sign}${abs / 10n}.${abs % 10n}`;
}

/** Days sales outstanding for the period, for the whole company and, if asked, per salesperson. */
export async function dso(books: Books, q: DsoQuery): Promise<DsoReport> {
  const to = queryDate(q.to, 'to', today(books));
  const from = queryDate(q.from, 'from', `${to.slice(0, 8)}01`);
  period(from, to);
  const days = daysBetween(from, to) + 1;
  await reportQueries(books);
  const scope = await partnerScope(books, q);
  const t = books.tenantId;
  const { rows } = await sql<{ salesperson: string | null; name: string | null; receivables: unknown; sales: unknown }>`
    with balance_now as (
      select l.partner_id, sum(l.amount_residual) as amount
      from ledger_move_line l
      where l.tenant_id = ${t} and l.receivable and l.amount_residual <> 0 ${scope.on('l.partner_id')}
      group by l.partner_id
    ),
    -- Receivable lines from \`from\` on: invoices' (debit) and credit notes' (credit) lines in the
    -- period are the credit sales; everything after \`to\` is taken off today's balance.
    since as (
      select l.partner_id,
        coalesce(sum(l.debit - l.credit) filter (where l.invoice_id is not null and l.date <= ${to}::date), 0) as sales,
        coalesce(sum(l.debit - l.credit) filter (where l.date > ${to}::date), 0) as later
      from ledger_move_line l
      where l.tenant_id = ${t} and l.receivable and l.date >= ${from}::date ${scope.on('l.partner_id')}
      group by l.partner_id
    ),
    per_partner as (
      select coalesce(b.partner_id, s.partner_id) as partner_id, coalesce(b.amount, 0) - coalesce(s.later, 0) as receivables, coalesce(s.sales, 0) as sales
      from balance_now b full join since s on s.partner_id = b.partner_id
    )
    select p.salesperson_id as salesperson, u.name, sum(pp.receivables) as receivables, sum(pp.sales) as sales
    from per_partner pp
    join ledger_partner p on p.tenant_id = ${t} and p.id = pp.partner_id
    left join core_user u on u.tenant_id = p.tenant_id and u.id = p.salesperson_id
    group by p.salesperson_id, u.name
    order by u.name nulls last, p.salesperson_id`.execute(books.trx);
  const figures = (receivables: bigint, sales: bigint): DsoFigures => ({
    receivables: show(books, receivables), creditSales: show(books, sales), dso: dsoValue(receivables, sales, days),
  });
  const receivables = rows.reduce((s, r) => s + big(r.receivables), 0n);
  const sales = rows.reduce((s, r) => s + big(r.sales), 0n);
  return {
    from, to, days, formula: DSO_FORMULA, ...figures(receivables, sales),
    ...(q.groupBy === 'salesperson'
      ? { rows: rows.map((r) => ({ salesperson: r.salesperson, name: r.name, ...figures(big(r.receivables), big(r.sales)) })) }
      : {}),
  };
}

export async function exportDso(books: Books, q: DsoQuery, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<{ from: string; to: string }> {
  const report = await dso(books, { ...q, groupBy: 'salesperson' });
  const vi = lang === 'vi';
  const sink = start([
    { header: vi ? 'Nhân viên kinh doanh' : 'Salesperson', kind: 'text', width: 30 },
    { header: vi ? 'Phải thu cuối kỳ' : 'Receivables', kind: 'amount' },
    { header: vi ? 'Doanh số bán chịu' : 'Credit sales', kind: 'amount' },
    { header: vi ? 'Số ngày' : 'Days', kind: 'integer' },
    { header: 'DSO', kind: 'decimal' },
  ]);
  const none = vi ? '(chưa phân công)' : '(none)';
  if (q.groupBy === 'salesperson') {
    for (const r of report.rows ?? []) await sink.row([r.name ?? (r.salesperson ?? none), r.receivables, r.creditSales, report.days, r.dso]);
  }
  await sink.row([vi ? 'Toàn công ty' : 'Company', report.receivables, report.creditSales, report.days, report.dso], { bold: true });
  await sink.end();
  return { from: report.from, to: report.to };
}
