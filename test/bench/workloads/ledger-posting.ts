import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import { ledgerServer } from '../lib/ledger-dataset.js';
import type { LoadRequest, LoadResult } from '../lib/load.js';
import type { BenchContext, ResultRow, Size, Workload } from '../lib/types.js';

/** Invoices posted one by one over REST (S keeps CI short; the goals are rates). */
const SINGLE: Record<Size, number> = { S: 300, M: 10_000, L: 10_000 };
/** Invoices posted in bulk, 500 a request. */
const BULK: Record<Size, number> = { S: 1000, M: 10_000, L: 10_000 };
const PER_BULK = 500;
const CLIENTS = 32;
const BULK_CLIENTS = 4;

const GOODS = [['Nước giải khát thùng 24 lon', '180000'], ['Cà phê rang xay 1kg', '240000'], ['Giấy in A4 thùng 5 ram', '390000'], ['Dịch vụ vận chuyển', '1500000']] as const;

/** A realistic invoice: two lines, VAT 8 % and 10 %, one due date. */
function invoiceBody(ctx: BenchContext, partner: string, today: string, i: number) {
  const [a, b] = [GOODS[i % GOODS.length], GOODS[(i + 1) % GOODS.length]];
  return {
    partner, date: today, dueDate: addDays(today, 30),
    lines: [
      { description: a[0], quantity: String(1 + (i % 12)), unitPrice: a[1], taxRate: '10' },
      { description: b[0], quantity: String(1 + (i % 5)), unitPrice: b[1], taxRate: '8' },
    ],
  };
}

async function invoicesOfYear(ctx: BenchContext, tenantId: string, year: number): Promise<{ invoices: number; next: number }> {
  const { rows: [r] } = await sql<{ invoices: number; next: number }>`
    select (select count(*)::int from ledger_invoice where tenant_id = ${tenantId} and number like ${`INV/${year}/%`}) as invoices,
           (select next_number from ledger_sequence where tenant_id = ${tenantId} and series = 'INV' and year = ${year}) as next`.execute(ctx.db);
  return r;
}

function rateRows(label: string, r: LoadResult, count: number, goal: number | undefined): ResultRow[] {
  return [
    { metric: `${label}: invoices/s`, value: Math.round(count / r.seconds), unit: 'invoices/s', goal: goal ? { atLeast: goal } : undefined },
    { metric: `${label}: latency p50 / p99`, value: r.latencyP50, unit: `ms / ${r.latencyP99} ms` },
    { metric: `${label}: server CPU per invoice`, value: Math.round((r.serverCpuPerRequest * r.requests) / count), unit: 'µs' },
    ...(r.databaseCpuPerRequest === null ? [] : [{ metric: `${label}: PostgreSQL CPU per invoice`, value: Math.round((r.databaseCpuPerRequest * r.requests) / count), unit: 'µs' }]),
    { metric: `${label}: errors + non-2xx`, value: r.errors + r.timeouts + r.non2xx, unit: '', goal: { atMost: 0 } },
  ];
}

const ledgerPosting: Workload = {
  name: 'ledger-posting',
  describe: 'W3: invoices posted on the loaded books through the REST API — POST /api/ledger/invoices with post: true at 32 concurrent clients (each: gap-free number, payment reference, journal entry, audit, event), and POST /api/ledger/invoices/bulk with 500 invoices a request at 4 clients.',
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx);
    const headers = { authorization: `Bearer ${server.tenant.token}` };
    const today = data.manifest.today;
    const year = Number(today.slice(0, 4));
    const refs = Array.from({ length: Math.min(1000, data.manifest.rows.ledger_partner) }, (_, i) => `KH${String(1 + ((i * 7919) % data.manifest.rows.ledger_partner)).padStart(6, '0')}`);

    const first = await fetch(`${server.url}/api/ledger/invoices`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...invoiceBody(ctx, refs[0], today, 0), post: true }) });
    const posted = await first.json() as { state: string; number: string; total: string };
    if (first.status !== 201 || posted.state !== 'posted' || posted.total !== '457200') throw new Error(`POST /api/ledger/invoices answered ${first.status}: ${JSON.stringify(posted).slice(0, 300)}`);

    const before = await invoicesOfYear(ctx, server.tenant.id, year);
    const single = await ctx.load({
      url: server.url, headers, connections: CLIENTS, amount: SINGLE[ctx.size],
      requests: refs.map((ref, i): LoadRequest => ({ method: 'POST', path: '/api/ledger/invoices', body: { ...invoiceBody(ctx, ref, today, i), post: true } })),
    });
    const bulkRequests = refs.slice(0, 20).map((_, k): LoadRequest => ({
      method: 'POST', path: '/api/ledger/invoices/bulk',
      body: { invoices: Array.from({ length: PER_BULK }, (_, i) => invoiceBody(ctx, refs[(k * PER_BULK + i) % refs.length], today, i)) },
    }));
    const bulk = await ctx.load({ url: server.url, headers, connections: Math.min(BULK_CLIENTS, BULK[ctx.size] / PER_BULK), amount: BULK[ctx.size] / PER_BULK, requests: bulkRequests });

    // Every posting got its number, none twice, none skipped.
    const after = await invoicesOfYear(ctx, server.tenant.id, year);
    if (after.invoices !== after.next - 1 || after.invoices - before.invoices < SINGLE[ctx.size] + BULK[ctx.size]) {
      throw new Error(`INV/${year}: ${after.invoices} invoices numbered up to ${after.next - 1} (${after.invoices - before.invoices} new)`);
    }
    return [
      ...rateRows(`W3 POST /invoices (post: true), ${CLIENTS} clients, ${SINGLE[ctx.size]} invoices`, single, single.requests, 1250),
      ...rateRows(`W3 POST /invoices/bulk (${PER_BULK} a request), ${Math.min(BULK_CLIENTS, BULK[ctx.size] / PER_BULK)} clients, ${BULK[ctx.size]} invoices`, bulk, bulk.requests * PER_BULK, 10_000),
      { metric: `W3 bulk: time for ${BULK[ctx.size]} invoices`, value: bulk.seconds, unit: 's', goal: { atMost: BULK[ctx.size] / 10_000 } },
    ];
  },
};

export default ledgerPosting;
