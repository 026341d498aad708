import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import { prepared, runFloor, type FloorResult } from '../lib/floor.js';
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

/**
 * The rows of one posting in one statement: the number rows locked last and held only to the
 * commit (gap-free numbering serialises a tenant's postings on that lock, so how long it is held
 * bounds the rate), then the journal entry, the posted invoice, its lines, the entry's lines, the
 * two audit rows and the event.
 */
const writePosting = prepared('floor_posting', `
  with seq as (
    insert into ledger_sequence (tenant_id, series, year, next_number) values ($1, 'FLR', $2::int, 2), ($1, 'PAYREF', 0, 2)
    on conflict (tenant_id, series, year) do update set next_number = ledger_sequence.next_number + 1
    returning series, next_number - 1 as n),
  num as (
    select 'FLR/' || $2::text || '/' || lpad((select n from seq where series = 'FLR')::text, 5, '0') as number,
           'FL' || (select n from seq where series = 'PAYREF') as reference),
  move as (
    insert into ledger_move (tenant_id, kind, journal, date, ref, partner_id)
    select $1, 'invoice', 'sales', $3::date, num.number, $4::uuid from num returning id, ref),
  inv as (
    insert into ledger_invoice (tenant_id, kind, number, partner_id, date, due_date, currency, state, payment_reference, installments, untaxed, tax, total, residual, move_id, posted_at)
    select $1, 'invoice', move.ref, $4::uuid, $3::date, $5::date, 'VND', 'posted', num.reference, $6::jsonb, $7::bigint, $8::bigint, $9::bigint, $9::bigint, move.id, now()
    from move, num returning id, number),
  lines as (
    insert into ledger_invoice_line (tenant_id, invoice_id, position, description, quantity, unit_price, tax_rate, subtotal, tax, account_code)
    select $1, inv.id, l.position, l.description, l.quantity, l.unit_price, l.tax_rate, l.subtotal, l.tax, '511'
    from inv, (values (1, $10::text, $11::numeric, $12::bigint, 10::numeric, $13::bigint, $14::bigint),
                      (2, $15::text, $16::numeric, $17::bigint, 8::numeric, $18::bigint, $19::bigint)) as l(position, description, quantity, unit_price, tax_rate, subtotal, tax)),
  entry as (
    insert into ledger_move_line (tenant_id, move_id, date, partner_id, account_code, date_maturity, debit, credit, receivable, amount_residual, invoice_id, description)
    select $1, move.id, $3::date, $4::uuid, l.account, l.maturity, l.debit, l.credit, l.receivable, l.residual, inv.id, inv.number
    from move, inv, (values ('131', $5::date, $9::bigint, 0::bigint, true, $9::bigint), ('511', null, 0, $7::bigint, false, 0), ('3331', null, 0, $8::bigint, false, 0))
      as l(account, maturity, debit, credit, receivable, residual)),
  audit as (
    insert into core_audit (tenant_id, module, action, entity, entity_id, after, request_id)
    select $1, 'ledger', a.action, 'invoice', inv.id::text, jsonb_build_object('number', inv.number, 'total', $9::text), $20::text
    from inv, (values ('invoice.created'), ('invoice.posted')) as a(action)),
  event as (
    insert into core_event_outbox (tenant_id, name, payload, emitted_by)
    select $1, 'invoice.posted', jsonb_build_object('invoiceId', inv.id, 'number', inv.number, 'partnerId', $4::uuid, 'kind', 'invoice', 'date', $3::date, 'total', $9::text, 'installments', $6::jsonb), 'ledger'
    from inv)
  select id from inv`);

/** The floor of one posting: the rows POST /invoices (post: true) writes, in one prepared statement (see lib/floor.ts). */
async function postingFloor(ctx: BenchContext, tenantId: string, partners: string[], today: string, operations: number): Promise<FloorResult> {
  const year = Number(today.slice(0, 4));
  const due = addDays(today, 30);
  return runFloor({
    databaseUrl: ctx.databaseUrl, tenantId, poolSize: ctx.poolSize, concurrency: CLIENTS, operations,
    write: async (client, i) => {
      const [a, b] = invoiceBody(ctx, '', today, i).lines.map((l) => ({ ...l, subtotal: BigInt(l.quantity) * BigInt(l.unitPrice) }));
      const [taxA, taxB] = [a.subtotal / 10n, (b.subtotal * 8n) / 100n];
      const untaxed = a.subtotal + b.subtotal;
      const tax = taxA + taxB;
      const total = untaxed + tax;
      await writePosting(client, [tenantId, year, today, partners[i % partners.length], due, JSON.stringify([{ dueDate: due, amount: String(total) }]), untaxed, tax, total,
        a.description, a.quantity, a.unitPrice, a.subtotal, taxA, b.description, b.quantity, b.unitPrice, b.subtotal, taxB, `floor-${i}`]);
    },
  });
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

    const { rows: partnerIds } = await sql<{ id: string }>`select id from ledger_partner where tenant_id = ${server.tenant.id} and ref = any(${refs})`.execute(ctx.db);
    const floor = await postingFloor(ctx, server.tenant.id, partnerIds.map((p) => p.id), today, SINGLE[ctx.size]);
    ctx.log(`floor: ${floor.operations} postings by prepared statements in ${floor.seconds.toFixed(2)} s (${floor.perSecond}/s)`);

    // Every posting got its number, none twice, none skipped.
    const after = await invoicesOfYear(ctx, server.tenant.id, year);
    if (after.invoices !== after.next - 1 || after.invoices - before.invoices < SINGLE[ctx.size] + BULK[ctx.size]) {
      throw new Error(`INV/${year}: ${after.invoices} invoices numbered up to ${after.next - 1} (${after.invoices - before.invoices} new)`);
    }
    return [
      ...rateRows(`W3 POST /invoices (post: true), ${CLIENTS} clients, ${SINGLE[ctx.size]} invoices`, single, single.requests, 1250),
      { metric: `W3 POST /invoices: statements per invoice (driver count)`, value: single.statementsPerRequest, unit: 'statements' },
      { metric: `W3 floor: the same rows in one prepared statement a transaction, ${CLIENTS} at a time: invoices/s`, value: floor.perSecond, unit: 'invoices/s' },
      { metric: 'W3 POST /invoices: share of floor', value: Math.round((100 * single.requests / single.seconds) / floor.perSecond), unit: '%', goal: { atLeast: 50 } },
      ...rateRows(`W3 POST /invoices/bulk (${PER_BULK} a request), ${Math.min(BULK_CLIENTS, BULK[ctx.size] / PER_BULK)} clients, ${BULK[ctx.size]} invoices`, bulk, bulk.requests * PER_BULK, 10_000),
      { metric: `W3 bulk: time for ${BULK[ctx.size]} invoices`, value: bulk.seconds, unit: 's', goal: { atMost: BULK[ctx.size] / 10_000 } },
    ];
  },
};

export default ledgerPosting;
