import os from 'node:os';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { addDays, dayOfMonthAfter, endOfMonth } from '../../../core/dates.js';
import { createPool, withTenant, type Db } from '../../../core/db/kysely.js';
import type { Tables } from '../../../core/db/tables.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import type { Books, LedgerApi } from '../../../modules/ledger/context.js';
import { aging } from '../../../modules/ledger/reports/aging.js';
import { ledgerServer, partnerIds } from '../lib/ledger-dataset.js';
import type { LoadResult } from '../lib/load.js';
import { postgresCpuMeter } from '../lib/pgcpu.js';
import type { BenchContext, BenchServer, ResultRow, Size, Workload } from '../lib/types.js';

const RUNS: Record<Size, number> = { S: 9, M: 9, L: 7 };
/** Customers the statement mix goes round (picked uniformly: mostly small customers, as in life). */
const STATEMENT_CUSTOMERS = 1000;

interface AgingBody { asOf: string; rows: Array<{ ref: string; total: string }>; totals: { total: string }; count: number }
interface StatementBody { opening: string; debit: string; credit: string; closing: string; lines: unknown[] }

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Times `runs` sequential GETs (after one unmeasured run); fails on a non-200 or a wrong answer. */
async function timeReport<T>(ctx: BenchContext, db: Db, url: string, headers: Record<string, string>, runs: number, verify: (body: T) => void) {
  const meter = await postgresCpuMeter(db);
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
    verify(JSON.parse(text) as T);
    return ms;
  };
  const first = await once();
  const cpuBefore = await meter?.();
  const serverBefore = process.cpuUsage();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  const server = process.cpuUsage(serverBefore);
  const cpuAfter = await meter?.();
  times.sort((a, b) => a - b);
  ctx.log(`${new URL(url).pathname}${new URL(url).search}: first ${first.toFixed(0)} ms, then ${times.map((t) => t.toFixed(0)).join(' ')} ms (load average ${os.loadavg()[0].toFixed(2)})`);
  return {
    first, p50: percentile(times, 50), max: times.at(-1)!,
    serverCpu: (server.user + server.system) / 1000 / runs,
    databaseCpu: cpuBefore != null && cpuAfter != null ? (cpuAfter - cpuBefore) / 1000 / runs : null,
  };
}

/**
 * With BENCH_EXPLAIN=1: the aging report's own SQL (captured from the ledger's code as it runs
 * in a tenant transaction) under EXPLAIN (ANALYZE, BUFFERS), printed on stderr.
 */
async function explainAging(ctx: BenchContext, server: BenchServer, asOf: string): Promise<void> {
  const captured: CompiledQuery[] = [];
  const pool = createPool(ctx.databaseUrl, 1);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), log: (e) => { if (e.level === 'query') captured.push(e.query); } });
  try {
    const { congno } = server.app;
    const ledger = congno.service('ledger');
    const onBooks = <T>(fn: (books: Books) => Promise<T>) => withTenant(db, server.tenant.id, async (trx) => fn(await ledger.books.open(trx, server.tenant.id, SYSTEM_ACTOR) as Books));
    await onBooks((books) => aging(books, { asOf }));
    const report = captured.find((q) => q.sql.includes('width_bucket'));
    if (!report) return ctx.log('explain: the aging query was not seen');
    const plan = await onBooks((books) => books.trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (analyze, buffers) ${report.sql}`, [...report.parameters])));
    ctx.log(`EXPLAIN ANALYZE of the aging report as of ${asOf}:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  } finally {
    await db.destroy();
  }
}

function loadRows(label: string, r: LoadResult, goals: { p50?: number; p99?: number }): ResultRow[] {
  return [
    { metric: `${label} req/s (avg)`, value: Math.round(r.requestsPerSec), unit: 'req/s' },
    { metric: `${label} latency p50`, value: r.latencyP50, unit: 'ms', goal: goals.p50 ? { atMost: goals.p50 } : undefined },
    { metric: `${label} latency p99`, value: r.latencyP99, unit: 'ms', goal: goals.p99 ? { atMost: goals.p99 } : undefined },
    { metric: `${label} server CPU per request`, value: r.serverCpuPerRequest, unit: 'µs' },
    ...(r.databaseCpuPerRequest === null ? [] : [{ metric: `${label} PostgreSQL CPU per request`, value: r.databaseCpuPerRequest, unit: 'µs' }]),
    { metric: `${label} errors + non-2xx`, value: r.errors + r.timeouts + r.non2xx, unit: '', goal: { atMost: 0 } },
  ];
}

const ledgerReports: Workload = {
  name: 'ledger-reports',
  describe: 'W1 aging as of today for all customers (summary + first 100 rows), W1b the same as of 6 months ago (rebuilt from the allocation history), sequential runs, p50; W2 customer statements for last month at 50 concurrent clients over 1,000 customers picked uniformly, and the largest customer\'s alone.',
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx);
    const m = data.manifest;
    const headers = { authorization: `Bearer ${server.tenant.token}` };
    const rows: ResultRow[] = [];
    const ms = (x: number): number => Math.round(x * 10) / 10;

    // W1: as of today, from the maintained open items.
    const today = m.today;
    const w1 = await timeReport<AgingBody>(ctx, ctx.db, `${server.url}/api/ledger/reports/aging`, headers, RUNS[ctx.size], (b) => {
      if (b.asOf !== today || b.totals.total !== m.totalResidual || b.rows.length !== Math.min(100, b.count)) {
        throw new Error(`aging as of today: asOf ${b.asOf}, total ${b.totals.total}, ${b.rows.length} rows of ${b.count}; expected ${today}, ${m.totalResidual}, the first 100`);
      }
    });
    rows.push(
      { metric: 'W1 aging as of today, all customers (summary + first 100 rows): p50', value: ms(w1.p50), unit: 'ms', goal: ctx.size === 'L' ? { atMost: 1000 } : undefined },
      { metric: 'W1 aging as of today: slowest run / first run', value: ms(w1.max), unit: `ms / ${Math.round(w1.first)} ms` },
      { metric: 'W1 aging as of today: server CPU per report', value: ms(w1.serverCpu), unit: 'ms' },
      ...(w1.databaseCpu === null ? [] : [{ metric: 'W1 aging as of today: PostgreSQL CPU per report', value: ms(w1.databaseCpu), unit: 'ms' }]),
    );

    // W1b: six months ago, rebuilt from the partial reconciliations and their dates.
    const past = dayOfMonthAfter(today, -6, Number(today.slice(8, 10)));
    // Allocations never cross that day (a partial is dated on or after both its lines), so the
    // total owed then is Σ (debit − credit) of the receivable lines dated up to it.
    const expected = String((await sql<{ total: string }>`
      select coalesce(sum(debit - credit), 0)::text as total from ledger_move_line
      where tenant_id = ${server.tenant.id} and receivable and date <= ${past}::date`.execute(ctx.db)).rows[0].total);
    const w1b = await timeReport<AgingBody>(ctx, ctx.db, `${server.url}/api/ledger/reports/aging?asOf=${past}`, headers, RUNS[ctx.size], (b) => {
      if (b.asOf !== past || b.totals.total !== expected) throw new Error(`aging as of ${past}: total ${b.totals.total}, expected ${expected}`);
    });
    rows.push(
      { metric: `W1b aging as of 6 months ago (${past}): p50`, value: ms(w1b.p50), unit: 'ms', goal: ctx.size === 'L' ? { atMost: 3000 } : undefined },
      { metric: 'W1b aging 6 months ago: slowest run / first run', value: ms(w1b.max), unit: `ms / ${Math.round(w1b.first)} ms` },
      { metric: 'W1b aging 6 months ago: server CPU per report', value: ms(w1b.serverCpu), unit: 'ms' },
      ...(w1b.databaseCpu === null ? [] : [{ metric: 'W1b aging 6 months ago: PostgreSQL CPU per report', value: ms(w1b.databaseCpu), unit: 'ms' }]),
    );
    if (process.env.BENCH_EXPLAIN) {
      await explainAging(ctx, server, today);
      await explainAging(ctx, server, past);
    }

    // W2: last month's statement of one customer, over many customers at once.
    const to = addDays(`${today.slice(0, 8)}01`, -1);
    const from = `${to.slice(0, 8)}01`;
    if (endOfMonth(from) !== to) throw new Error(`statement period ${from}..${to} is not a month`);
    const ids = await partnerIds(data);
    const rng = ctx.rng(0x57a7e);
    const picked = ids.length <= STATEMENT_CUSTOMERS ? ids : Array.from({ length: STATEMENT_CUSTOMERS }, () => ids[rng.int(ids.length)]);
    const statementPath = (id: string): string => `/api/ledger/partners/${id}/statement?from=${from}&to=${to}`;
    const top = m.customers[0];
    const check = await fetch(`${server.url}${statementPath(top.id)}`, { headers });
    const body = await check.json() as StatementBody;
    const closing = String((await sql<{ total: string }>`
      select coalesce(sum(debit - credit), 0)::text as total from ledger_move_line
      where tenant_id = ${server.tenant.id} and partner_id = ${top.id} and receivable and date <= ${to}::date`.execute(ctx.db)).rows[0].total);
    if (check.status !== 200 || body.closing !== closing || BigInt(body.opening) + BigInt(body.debit) - BigInt(body.credit) !== BigInt(body.closing)) {
      throw new Error(`statement of ${top.ref} answered ${check.status}: ${JSON.stringify(body).slice(0, 300)}; expected closing ${closing}`);
    }
    const mix = await ctx.load({ url: server.url, headers, requests: picked.map((id) => ({ path: statementPath(id) })) });
    rows.push(...loadRows(`W2 statement ${from}..${to}, ${picked.length} customers`, mix, { p50: 5, p99: 20 }));
    // One client: what a statement costs on its own (at 50 clients, p50 ≈ 50 / throughput).
    const alone = await ctx.load({ url: server.url, headers, connections: 1, requests: picked.map((id) => ({ path: statementPath(id) })) });
    rows.push(...loadRows(`W2 statement ${from}..${to}, 1 client`, alone, {}));
    const largest = await ctx.load({ url: `${server.url}${statementPath(top.id)}`, headers });
    rows.push(...loadRows(`W2 statement of the largest customer (${top.ref}: ${top.invoices} invoices, ${body.lines.length} lines in the month)`, largest, {}));
    return rows;
  },
};

export default ledgerReports;
