import { sql } from 'kysely';
import { withTenant, type Db } from '../../../core/db/kysely.js';
import { generateNotes } from '../lib/dataset.js';
import type { LoadResult } from '../lib/load.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';
import '../../../modules/_example/tables.js';

const NOTES: Record<Size, number> = { S: 100, M: 10_000, L: 100_000 };
const NOTES_ROUTE = '/api/example/notes?limit=20';
const BATCH = 5000;

/** The tenant's notes in batches of one statement each (arrays unnested), inside the tenant's transaction. */
async function seedNotes(db: Db, tenantId: string, notes: ReturnType<typeof generateNotes>): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    for (let i = 0; i < notes.length; i += BATCH) {
      const batch = notes.slice(i, i + BATCH);
      await sql`
        insert into example_note (tenant_id, id, text, created_at, published_at)
        select ${tenantId}::uuid, n.id, n.text, n.created_at, n.created_at + interval '2 seconds'
        from unnest(${batch.map((n) => n.id)}::uuid[], ${batch.map((n) => n.text)}::text[], ${batch.map((n) => n.createdAt)}::timestamptz[]) as n(id, text, created_at)`.execute(trx);
    }
    await trx.insertInto('example_note_counter').values({ tenant_id: tenantId, notes: notes.length })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ notes: notes.length })).execute();
  });
  await sql`analyze example_note`.execute(db);
}

function loadRows(label: string, r: LoadResult, goals: { rps?: number; p99?: number }): ResultRow[] {
  return [
    { metric: `${label} req/s (avg)`, value: Math.round(r.requestsPerSec), unit: 'req/s', goal: goals.rps ? { atLeast: goals.rps } : undefined },
    { metric: `${label} latency p50`, value: r.latencyP50, unit: 'ms' },
    { metric: `${label} latency p99`, value: r.latencyP99, unit: 'ms', goal: goals.p99 ? { atMost: goals.p99 } : undefined },
    { metric: `${label} server CPU per request`, value: r.serverCpuPerRequest, unit: 'µs' },
    ...(r.databaseCpuPerRequest === null ? [] : [{ metric: `${label} PostgreSQL CPU per request`, value: r.databaseCpuPerRequest, unit: 'µs' }]),
    { metric: `${label} errors + non-2xx`, value: r.errors + r.timeouts + r.non2xx, unit: '', goal: { atMost: 0 } },
  ];
}

const core: Workload = {
  name: 'core',
  describe: 'An authenticated tenant read through the whole stack (bearer auth, module guard, tenant transaction with row-level security, indexed query, serialisation): GET /api/example/notes?limit=20 as a clerk; GET /health (no auth, one round trip to the database) is the floor it is compared with.',
  async run(ctx) {
    const server = await ctx.startServer({ modules: ['example'] });
    const notes = generateNotes(ctx.rng(20250102), NOTES[ctx.size]);
    const started = performance.now();
    await seedNotes(ctx.db, server.tenant.id, notes);
    const seedMs = performance.now() - started;
    ctx.log(`seeded ${notes.length} notes in ${seedMs.toFixed(0)} ms`);

    const headers = { authorization: `Bearer ${server.tenant.token}` };
    // The route must answer what a clerk would see before its speed means anything.
    const res = await fetch(`${server.url}${NOTES_ROUTE}`, { headers });
    const body = await res.json() as Array<{ id: string }>;
    const newest = notes[notes.length - 1];
    if (res.status !== 200 || body.length !== Math.min(20, notes.length) || body[0].id !== newest.id) {
      throw new Error(`GET ${NOTES_ROUTE} answered ${res.status} with ${JSON.stringify(body).slice(0, 200)}; expected the 20 newest notes, ${newest.id} first`);
    }

    const list = await ctx.load({ url: `${server.url}${NOTES_ROUTE}`, headers });
    const health = await ctx.load({ url: `${server.url}/health` });
    return [
      { metric: `seed ${notes.length} notes`, value: Math.round(seedMs), unit: 'ms' },
      ...loadRows(`GET ${NOTES_ROUTE}`, list, { rps: 10_000, p99: 20 }),
      ...loadRows('GET /health (floor)', health, {}),
    ];
  },
};

export default core;
