import { sql } from 'kysely';
import { withTenant } from '../../../core/db/kysely.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import type { Books, LedgerApi } from '../../../modules/ledger/context.js';
import type { PaymentInput } from '../../../modules/ledger/payments.js';
import { registerPaymentsInBulk } from '../../../modules/ledger/payments-bulk.js';
import { prepared, runFloor } from '../lib/floor.js';
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

/**
 * The rows of one payment allocated oldest due first, in one statement: the partner's open lines
 * locked (as the ledger locks them), the entry with its payment and two lines, the allocation, the
 * debit line's and the invoice's residuals, three audit rows and three events.
 */
const writePayment = prepared('floor_payment', `
  with locked as (
    select id, amount_residual, invoice_id, date, date_maturity from ledger_move_line
    where tenant_id = $1 and partner_id = $2::uuid and receivable and amount_residual > 0 order by id for update),
  oldest as (select *, least($4::bigint, amount_residual) as amount from locked order by date_maturity, id limit 1),
  move as (
    insert into ledger_move (tenant_id, kind, journal, date, ref, partner_id) values ($1, 'payment', 'bank', $3::date, $5, $2::uuid) returning id),
  payment as (
    insert into ledger_payment (tenant_id, partner_id, date, amount, currency, reference, journal, move_id)
    select $1, $2::uuid, $3::date, $4::bigint, 'VND', $5, 'bank', move.id from move returning id, move_id),
  lines as (
    insert into ledger_move_line (tenant_id, move_id, partner_id, date, payment_id, description, account_code, date_maturity, debit, credit, receivable, amount_residual)
    select $1, payment.move_id, $2::uuid, $3::date, payment.id, 'Payment', l.account, l.maturity, l.debit, l.credit, l.receivable, l.residual
    from payment, (values ('131', $3::date, 0::bigint, $4::bigint, true, coalesce((select amount from oldest), 0) - $4::bigint), ('1121', null, $4::bigint, 0::bigint, false, 0::bigint))
      as l(account, maturity, debit, credit, receivable, residual)
    returning id, receivable),
  partial as (
    insert into ledger_partial (tenant_id, debit_line_id, credit_line_id, amount, date, partner_id, debit_date, debit_due, credit_date, credit_due)
    select $1, oldest.id, lines.id, oldest.amount, $3::date, $2::uuid, oldest.date, oldest.date_maturity, $3::date, $3::date from oldest, lines where lines.receivable),
  debit as (update ledger_move_line l set amount_residual = l.amount_residual - oldest.amount from oldest where l.tenant_id = $1 and l.id = oldest.id),
  invoice as (
    update ledger_invoice i set residual = i.residual - oldest.amount, payment_state = case when i.residual = oldest.amount then 'in_payment' else 'partial' end
    from oldest where i.tenant_id = $1 and i.id = oldest.invoice_id returning i.id),
  audit as (
    insert into core_audit (tenant_id, module, action, entity, entity_id, after, request_id)
    select $1, 'ledger', a.action, a.entity, payment.id::text, jsonb_build_object('amount', $4::text), $6::text
    from payment, (values ('payment.allocated', 'move_line'), ('invoice.payment_state_changed', 'invoice'), ('payment.registered', 'payment')) as a(action, entity)),
  event as (
    insert into core_event_outbox (tenant_id, name, payload, emitted_by)
    select $1, e.name, jsonb_build_object('paymentId', payment.id, 'partnerId', $2::uuid, 'amount', $4::text, 'date', $3::date), 'ledger'
    from payment, (values ('payment.allocated'), ('invoice.payment_state_changed'), ('payment.registered')) as e(name))
  select id from payment`);

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
    const floor = await runFloor({
      databaseUrl: ctx.databaseUrl, tenantId, poolSize: ctx.poolSize, concurrency: CLIENTS, operations: Math.max(300, rest.requests),
      write: async (client, i) => {
        const body = mix[i % mix.length].body as { partner: string; date: string; amount: string };
        await writePayment(client, [tenantId, body.partner, body.date, body.amount, `UNC-F${i}`, `floor-${i}`]);
      },
    });
    ctx.log(`floor: ${floor.operations} payments by one prepared statement each in ${floor.seconds.toFixed(2)} s (${floor.perSecond}/s)`);
    rows.push(
      { metric: `W7 POST /payments, ${CLIENTS} clients, 1000 customers (≤ ${MAX_OPEN_IN_MIX} open instalments each): payments/s`, value: Math.round(rest.requests / rest.seconds), unit: 'payments/s', goal: { atLeast: 1000 } },
      { metric: 'W7 POST /payments: latency p50 / p99', value: rest.latencyP50, unit: `ms / ${rest.latencyP99} ms` },
      { metric: 'W7 POST /payments: server CPU per payment', value: rest.serverCpuPerRequest, unit: 'µs' },
      ...(rest.databaseCpuPerRequest === null ? [] : [{ metric: 'W7 POST /payments: PostgreSQL CPU per payment', value: rest.databaseCpuPerRequest, unit: 'µs' }]),
      { metric: 'W7 POST /payments: errors + non-2xx', value: rest.errors + rest.timeouts + rest.non2xx, unit: '', goal: { atMost: 0 } },
      { metric: 'W7 POST /payments: statements per payment (driver count)', value: rest.statementsPerRequest, unit: 'statements' },
      { metric: `W7 floor: the same rows in one prepared statement a transaction, ${CLIENTS} at a time: payments/s`, value: floor.perSecond, unit: 'payments/s' },
      { metric: 'W7 POST /payments: share of floor', value: Math.round((100 * rest.requests / rest.seconds) / floor.perSecond), unit: '%', goal: { atLeast: 50 } },
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
