import { sql } from 'kysely';
import { withTenant } from '../../../core/db/kysely.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import type { Books, LedgerApi } from '../../../modules/ledger/context.js';
import type { PaymentInput } from '../../../modules/ledger/payments.js';
import { registerPaymentsInBulk } from '../../../modules/ledger/payments-bulk.js';
import { ledgerServer } from '../lib/ledger-dataset.js';
import type { LoadRequest } from '../lib/load.js';
import { postgresCpuMeter } from '../lib/pgcpu.js';
import type { BenchServer, ResultRow, Size, Workload } from '../lib/types.js';

/** Payments registered through the ledger's bulk service in the batched run (the goal is about 100k). */
const BATCHED: Record<Size, number> = { S: 10_000, M: 50_000, L: 100_000 };
const BATCH = 1000;
const LANES = 2;
const CLIENTS = 32;
const GOAL_PAYMENTS = 100_000;
const GOAL_SECONDS = 5;
const MAX_OPEN_IN_MIX = 100;

interface Customer { id: string; ref: string; open: number }

/** Partners with open invoices, in a fixed order. */
async function customersWithOpenInvoices(db: BenchServer['app']['congno']['db'], tenantId: string): Promise<Customer[]> {
  const { rows } = await sql<{ id: string; ref: string; open: number }>`
    select p.id, p.ref, o.open from ledger_partner p
    join (select partner_id, count(*)::int as open from ledger_move_line
          where tenant_id = ${tenantId} and receivable and amount_residual > 0 group by partner_id) o on o.partner_id = p.id
    where p.tenant_id = ${tenantId}
    order by p.ref`.execute(db);
  return rows;
}

/** The tenant's books through the ledger's service, as another module opens them. */
function ledgerBooks(server: BenchServer) {
  const { congno } = server.app;
  const ledger = congno.service('ledger');
  return async <T>(fn: (books: Books) => Promise<T>): Promise<T> =>
    withTenant(congno.db, server.tenant.id, async (trx) => fn(await ledger.books.open(trx, server.tenant.id, SYSTEM_ACTOR) as Books));
}

const ledgerPayments: Workload = {
  name: 'ledger-payments',
  describe: 'W7: payments allocated oldest due first on the loaded books — batched: the ledger\'s bulk payments service (registerPaymentsInBulk, the code behind POST /payments/bulk) called with 1,000 payments a transaction, 2 transactions at a time on disjoint customers; and POST /api/ledger/payments at 32 concurrent clients over 1,000 customers with open invoices (customers with more than 100 open instalments are left out of both mixes); and one payment of the largest customer, timed alone.',
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx);
    const headers = { authorization: `Bearer ${server.tenant.token}` };
    const today = data.manifest.today;
    const tenantId = server.tenant.id;
    const onBooks = ledgerBooks(server);
    const customers = await customersWithOpenInvoices(ctx.db, tenantId);
    // The mixes leave out the few customers with more than 100 open instalments: one payment of
    // theirs costs a query per open invoice (timed on its own below) and would swamp the rate.
    const typical = customers.filter((c) => c.open <= MAX_OPEN_IN_MIX);
    const rng = ctx.rng(0x9a1d);
    const rows: ResultRow[] = [];
    const allocated = async (): Promise<bigint> => BigInt((await sql<{ n: string }>`
      select count(*)::text as n from ledger_partial where tenant_id = ${tenantId} and undone_at is null`.execute(ctx.db)).rows[0].n);

    // Batched: the service, 1,000 payments a transaction; customers split between the lanes so
    // two transactions never wait on the same customer's lines.
    const count = BATCHED[ctx.size];
    const payments: PaymentInput[] = Array.from({ length: count }, (_, i) => {
      const c = typical[rng.int(typical.length)];
      return { partner: c.id, date: today, amount: String(200_000 + 1000 * rng.int(2000)), reference: `UNC-B${String(i + 1).padStart(6, '0')}` };
    });
    const lanes = Array.from({ length: LANES }, () => [] as PaymentInput[]);
    for (const p of payments) lanes[parseInt(p.partner.slice(0, 8), 16) % LANES].push(p);
    const partialsBefore = await allocated();
    const meter = await postgresCpuMeter(ctx.db);
    const dbCpu0 = await meter?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(lanes.map(async (lane) => {
      for (let i = 0; i < lane.length; i += BATCH) {
        await onBooks(async (books) => {
          await registerPaymentsInBulk(books, lane.slice(i, i + BATCH));
        });
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const dbCpu1 = await meter?.();
    const allocations = Number((await allocated()) - partialsBefore);
    if (allocations === 0) throw new Error(`${count} payments made no allocation`);
    const rate = count / seconds;
    rows.push(
      { metric: `W7 batched (bulk service, ${BATCH} a transaction, ${LANES} at a time; customers with ≤ ${MAX_OPEN_IN_MIX} open instalments): ${count} payments, ${allocations} allocations: payments/s`, value: Math.round(rate), unit: 'payments/s', goal: { atLeast: GOAL_PAYMENTS / GOAL_SECONDS } },
      { metric: count === GOAL_PAYMENTS ? `W7 batched: ${count} payments` : `W7 batched: ${GOAL_PAYMENTS} payments at that rate (extrapolated from ${count})`, value: Math.round((GOAL_PAYMENTS / rate) * 10) / 10, unit: 's', goal: { atMost: GOAL_SECONDS } },
      { metric: 'W7 batched: server CPU per payment', value: Math.round((cpu.user + cpu.system) / count), unit: 'µs' },
      ...(dbCpu0 != null && dbCpu1 != null ? [{ metric: 'W7 batched: PostgreSQL CPU per payment', value: Math.round((dbCpu1 - dbCpu0) / count), unit: 'µs' }] : []),
    );

    // REST, one payment a request, oldest due first.
    const mix = Array.from({ length: 1000 }, (_, i): LoadRequest => {
      const c = typical[(i * 7919) % typical.length];
      return { method: 'POST', path: '/api/ledger/payments', body: { partner: c.id, date: today, amount: String(100_000 + 1000 * (i % 500)), reference: `UNC-R${i}` } };
    });
    const rest = await ctx.load({ url: server.url, headers, connections: CLIENTS, requests: mix });
    rows.push(
      { metric: `W7 POST /payments, ${CLIENTS} clients, 1000 customers (≤ ${MAX_OPEN_IN_MIX} open instalments each): payments/s`, value: Math.round(rest.requests / rest.seconds), unit: 'payments/s', goal: { atLeast: 1000 } },
      { metric: 'W7 POST /payments: latency p50 / p99', value: rest.latencyP50, unit: `ms / ${rest.latencyP99} ms` },
      { metric: 'W7 POST /payments: server CPU per payment', value: rest.serverCpuPerRequest, unit: 'µs' },
      ...(rest.databaseCpuPerRequest === null ? [] : [{ metric: 'W7 POST /payments: PostgreSQL CPU per payment', value: rest.databaseCpuPerRequest, unit: 'µs' }]),
      { metric: 'W7 POST /payments: errors + non-2xx', value: rest.errors + rest.timeouts + rest.non2xx, unit: '', goal: { atMost: 0 } },
    );

    // One payment of the largest customer against one of a customer with few open invoices.
    const largest = customers.reduce((a, b) => (b.open > a.open ? b : a));
    const small = customers.find((c) => c.open === 1) ?? customers[0];
    // At L the largest customer's payment takes long enough that one run tells it.
    const runs = ctx.size === 'L' ? 1 : 3;
    const timeOne = async (c: Customer, n: number): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/ledger/payments`, {
          method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ partner: c.id, date: today, amount: '100000', reference: `UNC-ONE-${n}-${i}` }),
        });
        if (res.status !== 201) throw new Error(`POST /payments for ${c.ref} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        times.push(performance.now() - t);
      }
      return Math.round(times.sort((a, b) => a - b)[Math.floor(runs / 2)] * 10) / 10;
    };
    rows.push(
      { metric: `W7 one payment of 100,000 of the largest customer (${largest.ref}, ${largest.open} open instalments), median of ${runs}`, value: await timeOne(largest, 1), unit: 'ms' },
      { metric: `W7 one payment of 100,000 of a customer with 1 open instalment (${small.ref}), median of ${runs}`, value: await timeOne(small, 2), unit: 'ms' },
    );
    return rows;
  },
};

export default ledgerPayments;
