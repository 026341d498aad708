import { sql, type RawBuilder } from 'kysely';
import { badRequest } from '../../../core/errors.js';
import { show, today, type Books } from '../context.js';
import { eachPage, type ExportColumn, type Lang, type TableSink } from '../../../core/export.js';
import { openItemsAsOf } from './open-items.js';
import { big, partnerScope, reportQueries, queryDate, type ReportFilter } from './scope.js';

export interface AgingQuery extends ReportFilter {
  asOf?: string;
  /** Upper bounds of the overdue buckets in days, e.g. "30,60,90,120". */
  buckets?: string;
  by?: 'dueDate' | 'invoiceDate';
  sort?: 'total' | 'ref';
  limit?: number;
  offset?: number;
}

export interface AgingRow { partner: string; ref: string; name: string; notDue: string; columns: string[]; total: string }
export interface AgingReport {
  asOf: string; by: 'dueDate' | 'invoiceDate'; buckets: string[];
  rows: AgingRow[];
  totals: { notDue: string; columns: string[]; total: string };
  count: number; limit: number; offset: number;
}

export const DEFAULT_BUCKETS = '30,60,90,120';

/** "30,60,90,120" → bounds and labels "1–30", "31–60", "61–90", "91–120", "121+". */
export function parseBuckets(text: string): { bounds: number[]; labels: string[] } {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length > 20 || parts.some((s) => !/^\d{1,5}$/.test(s))) {
    throw badRequest(`buckets '${text}' must be up to 20 day counts separated by commas, e.g. 30,60,90,120`, 'query.buckets');
  }
  const bounds = parts.map(Number);
  bounds.forEach((b, i) => {
    if (b < 1 || (i > 0 && b <= bounds[i - 1])) throw badRequest(`buckets '${text}' must be increasing whole numbers of days from 1`, 'query.buckets');
  });
  const labels = bounds.map((b, i) => `${i === 0 ? 1 : bounds[i - 1] + 1}–${b}`);
  labels.push(`${bounds.at(-1)! + 1}+`);
  return { bounds, labels };
}

interface AgingPlan {
  asOf: string;
  by: 'dueDate' | 'invoiceDate';
  labels: string[];
  /** The report as one query: a page of partners (or all of them), then one totals row. */
  query(page: { limit: number; offset: number } | null): RawBuilder<unknown>;
}

type AgingSqlRow = { partner: string | null; ref: string | null; name: string | null; total: unknown; partners: unknown; is_total: boolean } & Record<string, unknown>;

async function planAging(books: Books, q: AgingQuery): Promise<AgingPlan> {
  const asOf = queryDate(q.asOf, 'asOf', today(books));
  const { bounds, labels } = parseBuckets(q.buckets ?? DEFAULT_BUCKETS);
  const by = q.by ?? 'dueDate';
  await reportQueries(books);
  const scope = await partnerScope(books, q);
  // width_bucket over [1, b1+1, b2+1, …]: 0 = not due (d ≤ 0), 1 = 1..b1, …, last = beyond the last bound.
  const thresholds = [1, ...bounds.map((b) => b + 1)];
  const day = by === 'dueDate' ? sql`due` : sql`date`;
  const columns = thresholds.map((_, i) => i).concat(thresholds.length);
  const c = (k: number) => sql.ref(`c${k}`);
  const perBucket = sql.join(columns.map((k) => sql`coalesce(sum(amount) filter (where b = ${sql.lit(k)}), 0)::bigint as ${c(k)}`));
  const anyNonZero = sql.join(columns.map((k) => sql`coalesce(sum(amount) filter (where b = ${sql.lit(k)}), 0) <> 0`), sql` or `);
  const list = sql.join(columns.map(c));
  const sums = sql.join(columns.map((k) => sql`sum(${c(k)})`));
  const order = q.sort === 'ref' ? sql`ref` : sql`total desc, ref`;
  return {
    asOf, by, labels,
    query: (page) => sql`
      with items as (${openItemsAsOf(books, asOf, scope)}),
      per_partner as (
        select partner_id, ${perBucket}, sum(amount)::bigint as total
        from (select partner_id, amount, width_bucket(${asOf}::date - ${day}, ${thresholds}::int[]) as b from items) i
        group by partner_id
        having ${anyNonZero}
      ),
      aged as (
        select p.id as partner, p.ref, p.name, ${list}, pp.total
        from per_partner pp join ledger_partner p on p.tenant_id = ${books.tenantId} and p.id = pp.partner_id
      )
      select * from (
        select partner, ref, name, ${list}, total, null::bigint as partners, false as is_total
        from aged order by ${order} ${page ? sql`limit ${page.limit} offset ${page.offset}` : sql``}
      ) page
      union all
      select null, null, null, ${sums}, sum(total), count(*), true from aged
      order by is_total, ${order}`,
  };
}

function amounts(books: Books, row: AgingSqlRow, n: number): { notDue: string; columns: string[]; total: string } {
  return {
    notDue: show(books, big(row.c0)),
    columns: Array.from({ length: n }, (_, i) => show(books, big(row[`c${i + 1}`]))),
    total: show(books, big(row.total)),
  };
}

/** Aged receivables per partner as of a day, a page of partners sorted by total owed, totals over all. */
export async function aging(books: Books, q: AgingQuery): Promise<AgingReport> {
  const plan = await planAging(books, q);
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  const { rows } = await plan.query({ limit, offset }).execute(books.trx) as { rows: AgingSqlRow[] };
  const totalsRow = rows.find((r) => r.is_total)!;
  return {
    asOf: plan.asOf, by: plan.by, buckets: plan.labels,
    rows: rows.filter((r) => !r.is_total).map((r) => ({ partner: r.partner!, ref: r.ref!, name: r.name!, ...amounts(books, r, plan.labels.length) })),
    totals: amounts(books, totalsRow, plan.labels.length),
    count: Number(big(totalsRow.partners)),
    limit, offset,
  };
}

/** Every partner's row (or the page asked for) to a file, through a cursor; a bold totals row last. */
export async function exportAging(books: Books, q: AgingQuery, lang: Lang, start: (columns: ExportColumn[]) => TableSink): Promise<{ asOf: string }> {
  const plan = await planAging(books, q);
  const page = q.limit !== undefined || q.offset !== undefined ? { limit: q.limit ?? 100, offset: q.offset ?? 0 } : null;
  const vi = lang === 'vi';
  const columns: ExportColumn[] = [
    { header: vi ? 'Mã khách hàng' : 'Partner ref', kind: 'text', width: 16 },
    { header: vi ? 'Tên khách hàng' : 'Partner', kind: 'text', width: 40 },
    { header: vi ? 'Chưa đến hạn' : 'Not due', kind: 'amount' },
    ...plan.labels.map((l): ExportColumn => ({ header: vi ? `Quá hạn ${l} ngày` : `${l} days`, kind: 'amount' })),
    { header: vi ? 'Tổng cộng' : 'Total', kind: 'amount' },
  ];
  const cells = (r: AgingSqlRow) => {
    const a = amounts(books, r, plan.labels.length);
    return [a.notDue, ...a.columns, a.total];
  };
  let sink: TableSink | null = null;
  await eachPage<AgingSqlRow>(books.trx, plan.query(page), async (rows) => {
    sink ??= start(columns);
    for (const r of rows) {
      if (r.is_total) await sink.row([null, vi ? 'Tổng cộng' : 'Total', ...cells(r)], { bold: true, totals: true });
      else await sink.row([r.ref, r.name, ...cells(r)]);
    }
  });
  sink ??= start(columns);
  await sink.end();
  return { asOf: plan.asOf };
}
