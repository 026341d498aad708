/**
 * `npm run bench [-- options]`: boots the real server on a generated, deterministic dataset,
 * loads it with autocannon, prints a table and writes test/bench/results/<date>-<size>-<db>.json.
 * A benchmark is not a test: a missed goal is reported, not failed; the exit code is non-zero
 * only when the harness itself cannot run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/index.js';
import { buildApp } from '../../core/app.js';
import { createTenantToken } from '../../core/auth/tokens.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import { createTenant, tenantBySlug } from '../../core/tenants.js';
import { createRng } from './lib/dataset.js';
import { freshDatabase, openCluster, type Cluster } from './lib/database.js';
import { runAutocannon, type LoadResult } from './lib/load.js';
import { postgresCpuMeter } from './lib/pgcpu.js';
import { installQueryCounter } from './lib/querycount.js';
import { isMet, machineInfo, table, writeResults } from './lib/report.js';
import type { BenchContext, BenchServer, DbKind, RecordedRow, Size, Workload } from './lib/types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const USAGE = `npm run bench -- [options]
  --size S|M|L               dataset size (default S, the CI size)
  --db embedded|external|both  embedded: PostgreSQL in .tmp/bench-pg; external: DATABASE_URL or
                             postgres://postgres@127.0.0.1:5432/postgres (default embedded)
  --duration SEC             seconds per measured load phase (default 3 for S, 10 otherwise)
  --connections N            concurrent connections (default 50)
  --workload a,b             workloads to run (default all in test/bench/workloads/)
  --pool N                   the server's PostgreSQL pool size (default: the server's default)
  --keep                     keep the congno_bench database afterwards
  --reuse                    reuse a kept congno_bench (its tenant and loaded books) instead of a fresh one;
                             for trying changes at size L without reloading (figures to publish: fresh runs)`;

interface Options {
  size: Size; dbs: DbKind[]; duration: number; connections: number; workloads: string[] | null; pool: number | null; keep: boolean; reuse: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'S' }, db: { type: 'string', default: 'embedded' },
      duration: { type: 'string' }, connections: { type: 'string', default: '50' },
      workload: { type: 'string' }, pool: { type: 'string' }, keep: { type: 'boolean', default: false }, reuse: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const size = values.size!.toUpperCase();
  if (size !== 'S' && size !== 'M' && size !== 'L') throw new Error(`--size must be S, M or L, not '${values.size}'`);
  const db = values.db!;
  if (db !== 'embedded' && db !== 'external' && db !== 'both') throw new Error(`--db must be embedded, external or both, not '${db}'`);
  const positive = (name: string, raw: string | undefined): number | null => {
    if (raw === undefined) return null;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, not '${raw}'`);
    return n;
  };
  return {
    size,
    dbs: db === 'both' ? ['embedded', 'external'] : [db],
    duration: positive('duration', values.duration) ?? (size === 'S' ? 3 : 10),
    connections: positive('connections', values.connections)!,
    workloads: values.workload ? values.workload.split(',').map((s) => s.trim()).filter(Boolean) : null,
    pool: positive('pool', values.pool),
    keep: values.keep! || values.reuse!,
    reuse: values.reuse!,
  };
}

async function loadWorkloads(only: string[] | null): Promise<Workload[]> {
  const dir = path.join(HERE, 'workloads');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const all: Workload[] = [];
  for (const f of files) {
    const w = (await import(pathToFileURL(path.join(dir, f)).href) as { default?: Workload }).default;
    if (!w || typeof w.run !== 'function' || w.name !== path.basename(f, '.ts')) {
      throw new Error(`test/bench/workloads/${f} must default-export { name: '${path.basename(f, '.ts')}', describe, run(ctx) }`);
    }
    all.push(w);
  }
  if (!only) return all;
  const unknown = only.filter((n) => !all.some((w) => w.name === n));
  if (unknown.length > 0) throw new Error(`no workload ${unknown.join(', ')} (available: ${all.map((w) => w.name).join(', ')})`);
  return all.filter((w) => only.includes(w.name));
}

const log = (m: string): void => { process.stderr.write(`# ${m}\n`); };
const queries = installQueryCounter();

/** One measured load run, kept in the results file. */
interface Phase { workload: string; db: DbKind; target: string; connections: number; duration: number; loadAverageAfter: number; result: LoadResult }

/** Runs one workload on a fresh database of the cluster; every server it started is closed afterwards. */
async function runWorkload(workload: Workload, cluster: Cluster, options: Options, phases: Phase[]): Promise<RecordedRow[]> {
  const base = loadConfig({}, {});
  const poolSize = options.pool ?? base.poolSize;
  const database = await freshDatabase(cluster, poolSize, options.keep, options.reuse);
  const servers: BenchServer[] = [];
  const meter = await postgresCpuMeter(database.db);
  const ctx: BenchContext = {
    size: options.size, dbKind: cluster.kind, reused: database.reused, db: database.db, databaseUrl: database.url, poolSize,
    duration: options.duration, connections: options.connections, log, rng: createRng,
    startServer: async ({ modules }) => {
      // No hourly clock: a daily run it started while a workload loads the books would do the work
      // the workload then times (and finds nothing left). A workload that needs the relay has it.
      const config = loadConfig({ databaseUrl: database.url, host: '127.0.0.1', port: 0, logLevel: 'silent', modules, poolSize, scheduler: { enabled: false } }, {});
      const app = await buildApp({ config, db: database.db, databaseUrl: database.url, background: true, logger: false });
      const server: BenchServer = { app, url: '', tenant: { id: '', slug: '', token: '' }, close: () => app.close() };
      servers.push(server);
      await app.listen({ host: '127.0.0.1', port: 0 });
      server.url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const kept = options.reuse ? await tenantBySlug(database.db, 'bench') : undefined;
      if (kept) log(`reusing the kept tenant 'bench' and its data`);
      const tenant = kept ?? await createTenant(database.db, { slug: 'bench', name: 'Bench Trading Co., Ltd', currency: 'VND' });
      for (const m of modules) await app.congno.enablement.enable(tenant.id, m, SYSTEM_ACTOR);
      const clerk = await createTenantToken(database.db, tenant.id, 'Bench clerk', 'clerk');
      server.tenant = { id: tenant.id, slug: tenant.slug, token: clerk.token };
      return server;
    },
    load: async (o) => {
      const run = { url: o.url, headers: o.headers, requests: o.requests, amount: o.amount, connections: o.connections ?? options.connections, duration: o.duration ?? options.duration };
      const warmup = o.warmup ?? 2;
      if (warmup > 0) await runAutocannon({ ...run, amount: undefined, duration: warmup });
      const first = o.requests?.[0];
      const target = first ? `${first.method ?? 'GET'} ${first.path} (1 of a mix of ${o.requests!.length})` : `${new URL(o.url).pathname}${new URL(o.url).search}`;
      log(`load ${target}: ${run.connections} connections, ${run.amount !== undefined ? `${run.amount} requests` : `${run.duration} s`}`);
      const cpuBefore = await meter?.();
      const queriesBefore = queries();
      const measured = await runAutocannon(run);
      const queriesAfter = queries();
      const cpuAfter = await meter?.();
      const result: LoadResult = {
        ...measured,
        statementsPerRequest: measured.requests > 0 ? Math.round((10 * (queriesAfter - queriesBefore)) / measured.requests) / 10 : 0,
        databaseCpuPerRequest: cpuBefore != null && cpuAfter != null && measured.requests > 0 ? Math.round((cpuAfter - cpuBefore) / measured.requests) : null,
      };
      phases.push({ workload: workload.name, db: cluster.kind, target, connections: run.connections, duration: run.duration, loadAverageAfter: Math.round(os.loadavg()[0] * 100) / 100, result });
      return result;
    },
  };
  try {
    log(`workload ${workload.name} on the ${cluster.kind} PostgreSQL ${cluster.version}, size ${options.size}`);
    const rows = await workload.run(ctx);
    return rows.map((r) => ({ workload: workload.name, db: cluster.kind, size: options.size, ...r, met: isMet(r) }));
  } finally {
    for (const s of servers.reverse()) await s.close().catch((err: unknown) => log(`closing a server failed: ${String(err)}`));
    await database.close();
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const workloads = await loadWorkloads(options.workloads);
  const startedAt = new Date().toISOString();
  const [load1] = os.loadavg();
  if (load1 > os.cpus().length / 2) log(`the machine is busy (load average ${load1.toFixed(2)} on ${os.cpus().length} CPUs): the figures will be low`);
  const rows: RecordedRow[] = [];
  const phases: Phase[] = [];
  const databases: Array<{ kind: DbKind; version: string; where: string }> = [];
  const failures: string[] = [];
  for (const kind of options.dbs) {
    let cluster: Cluster;
    try {
      cluster = await openCluster(kind, log);
    } catch (err) {
      failures.push(err instanceof Error ? err.message : String(err));
      continue;
    }
    databases.push({ kind, version: cluster.version, where: cluster.where });
    try {
      for (const w of workloads) {
        try {
          rows.push(...await runWorkload(w, cluster, options, phases));
        } catch (err) {
          failures.push(`workload ${w.name} on ${kind}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        }
      }
    } finally {
      await cluster.stop();
    }
  }

  if (rows.length > 0) {
    process.stdout.write(`\n${table(rows)}\n\n`);
    const file = await writeResults(path.join(HERE, 'results'), { size: options.size, db: options.dbs.length > 1 ? 'both' : options.dbs[0] }, {
      startedAt, finishedAt: new Date().toISOString(),
      options: { size: options.size, db: options.dbs, duration: options.duration, connections: options.connections, pool: options.pool, workloads: workloads.map((w) => ({ name: w.name, describe: w.describe })) },
      machine: machineInfo(), databases, rows, phases, failures,
    });
    process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
  }
  for (const f of failures) process.stderr.write(`bench failed: ${f}\n`);
  return failures.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
