import { sql, type RawBuilder } from 'kysely';
import { show, today, type Books } from '../context.js';
import { eachPage, type ExportColumn, type Lang, type TableSink } from '../../../core/export.js';
import { big, partnerScope, reportQueries, period, queryDate, type ReportFilter } from './scope.js';

export interface SummaryQuery extends ReportFilter {
  from?: string;
  to?: string;
  sort?: 'ref' | 'closing';
  limit?: number;
  offset?: number;
}

export interface SummaryAmounts { opening: string; debit: string; credit: string; closing: string }
export interface SummaryRow extends SummaryAmounts { partner: string; ref: string; name: string }
export interface SummaryReport { from: string; to: string; rows: SummaryRow[]; totals: SummaryAmounts; count: number; limit: number; offset: number }

type SummarySqlRow = { partner: string | null; ref: string | null; name: string | null; opening: unknown; debit: unknown; credit: unknown; closing: unknown; partners: unknown; is_total: boolean };

async function planSummary(books: Books, q: SummaryQuery) {
  const to = queryDate(q.to, 'to', today(books));
  const from = queryDate(q.from, 'from', `${to.slice(0, 8)}01`);
  period(from, to);
  await reportQueries(books);
  const scope = await partnerScope(books, q);
  const order = q.sort === 'closing' ? sql`closing desc, ref` : sql`ref`;
  return {
    from, to,
    query: (page: { limit: number; offset: number } | null): RawBuilder<unknown> => sql`
      with balance_now as (
        select l.partner_id, sum(l.amount_residual) as balance
        from ledger_move_line l
        where l.tenant_id = ${books.tenantId} and l.receivable and l.amount_residual <> 0 ${scope.on('l.partner_id')}
        group by l.partner_id
      ),
      since as (
        select l.partner_id,
          coalesce(sum(l.debit) filter (where l.date <= ${to}::date), 0) as debit,
          coalesce(sum(l.credit) filter (where l.date <= ${to}::date), 0) as credit,
          coalesce(sum(l.debit - l.credit) filter (where l.date > ${to}::date), 0) as later
        from ledger_move_line l
        where l.tenant_id = ${books.tenantId} and l.receivable and l.date >= ${from}::date ${scope.on('l.partner_id')}
        group by l.partner_id
      ),
      -- Today's balance (Σ residuals = Σ debit − credit) less what was booked after \`to\` is the
      -- closing balance; less the period's movements, the opening balance.
      per_partner as (
        select coalesce(b.partner_id, s.partner_id) as partner_id,
          (coalesce(b.balance, 0) - coalesce(s.later, 0) - coalesce(s.debit, 0) + coalesce(s.credit, 0))::bigint as opening,
          coalesce(s.debit, 0)::bigint as debit, coalesce(s.credit, 0)::bigint as credit
        from balance_now b full join since s on s.partner_id = b.partner_id
      ),
      summed as (
        select p.id as partner, p.ref, p.name, pp.opening, pp.debit, pp.credit, pp.opening + pp.debit - pp.credit as closing
        from per_partner pp join ledger_partner p on p.tenant_id = ${books.tenantId} and p.id = pp.partner_id
        where pp.opening <> 0 or pp.debit <> 0 or pp.credit <> 0
      )
      select * from (
        select partner, ref, name, opening, debit, credit, closing, null::bigint as partners, false as is_total
        from summed order by ${order} ${page ? sql`limit ${page.limit} offset ${page.offset}` : sql``}
      ) page
      union all
      select null, null, null, sum(opening), sum(debit), sum(credit), sum(closing), count(*), true from summed
      order by is_total, ${order}`,
  };
}

function amounts(books: Books, r: SummarySqlRow): SummaryAmounts {
  return { opening: show(books, big(r.opening)), debit: show(books, big(r.debit)), credit: show(books, big(r.credit)), closing: show(books, big(r.closing)) };
}

/**
 * The period summary ("thống kê công nợ đầu kỳ, phát sinh, cuối kỳ"): per partner, the balance
 * before `from`, receivable debits and credits from `from` to `to`, and the balance at `to`.
 */
export async function summary(books: Books, q: SummaryQuery): Promise<SummaryReport> {
  const plan = await planSummary(books, q);
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  const { rows } = await plan.query({ limit, offset }).execute(books.trx) as { rows: SummarySqlRow[] };
  const totals = rows.find((r) => r.is_total)!;
  return {
    from: plan.from, to: plan.to,
    rows: rows.filter((r) => !r.is_total).map((r) => ({ partner: r.partner!, ref: r.ref!, name: r.name!, ...amounts(books, r) })),
    totals: amounts(books, totals), count: Number(big(totals.partners)), limit, offset,
  };
}

export async function exportSummary(books: Books, q: SummaryQuery, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<{ from: string; to: string }> {
  const plan = await planSummary(books, q);
  const page = q.limit !== undefined || q.offset !== undefined ? { limit: q.limit ?? 100, offset: q.offset ?? 0 } : null;
  const vi = lang === 'vi';
  const columns: ExportColumn[] = [
    { header: vi ? 'Mã khách hàng' : 'Partner ref', kind: 'text', width: 16 },
    { header: vi ? 'Tên khách hàng' : 'Partner', kind: 'text', width: 40 },
    { header: vi ? 'Số dư đầu kỳ' : 'Opening balance', kind: 'amount' },
    { header: vi ? 'Phát sinh Nợ' : 'Debit', kind: 'amount' },
    { header: vi ? 'Phát sinh Có' : 'Credit', kind: 'amount' },
    { header: vi ? 'Số dư cuối kỳ' : 'Closing balance', kind: 'amount' },
  ];
  let sink: TableSink | null = null;
  await eachPage<SummarySqlRow>(books.trx, plan.query(page), async (rows) => {
    sink ??= start(columns);
    for (const r of rows) {
      const a = amounts(books, r);
      const cells = [a.opening, a.debit, a.credit, a.closing];
      if (r.is_total) await sink.row([null, vi ? 'Tổng cộng' : 'Total', ...cells], { totals: true });
      else await sink.row([r.ref, r.name, ...cells]);
    }
  });
  sink ??= start(columns);
  await sink.end();
  return { from: plan.from, to: plan.to };
}
