import path from 'node:path';
import pg from 'pg';
import { MODULES_DIR, PROJECT_ROOT } from '../../../core/app.js';
import { migrate } from '../../../core/db/connect.js';
import { startEmbeddedPostgres } from '../../../core/db/embedded.js';
import { createDb, createPool, type Db } from '../../../core/db/kysely.js';
import { discoverModules, loadRegistry } from '../../../core/modules/registry.js';
import { withDatabase } from '../../helpers/database.js';
import type { DbKind } from './types.js';
import { freePort } from '../../helpers/net.js';

export const BENCH_DATABASE = 'congno_bench';
export const DEFAULT_EXTERNAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Cluster {
  kind: DbKind;
  /** Maintenance connection (superuser, database `postgres` or DATABASE_URL's). */
  adminUrl: string;
  version: string;
  /** host:port, without credentials, for the results file. */
  where: string;
  stop(): Promise<void>;
}

export interface BenchDatabase {
  url: string;
  /** A kept database was reused (--reuse): its tenant and data are there already. */
  reused: boolean;
  db: Db;
  close(): Promise<void>;
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The embedded PostgreSQL in .tmp/bench-pg (kept between runs) or the external one (DATABASE_URL or the local default). */
export async function openCluster(kind: DbKind, log: (m: string) => void): Promise<Cluster> {
  let adminUrl: string;
  let stop = async (): Promise<void> => {};
  if (kind === 'embedded') {
    const dir = path.join(PROJECT_ROOT, '.tmp', 'bench-pg');
    log(`starting the embedded PostgreSQL in ${path.relative(PROJECT_ROOT, dir)}`);
    const server = await startEmbeddedPostgres(dir, await freePort());
    adminUrl = server.url();
    stop = server.stop;
  } else {
    adminUrl = process.env.DATABASE_URL ?? DEFAULT_EXTERNAL_URL;
  }
  try {
    const version = await withAdmin(adminUrl, async (c) => (await c.query('show server_version')).rows[0].server_version as string);
    const u = new URL(adminUrl);
    return { kind, adminUrl, version, where: `${u.hostname}:${u.port || 5432}`, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw new Error(`cannot reach the ${kind} PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A fresh `congno_bench` database, migrated with core and every module (a leftover of an
 * interrupted run is dropped first; with `reuse` a kept one is migrated and used as it is).
 * `close` drops it again unless `keep`.
 */
export async function freshDatabase(cluster: Cluster, poolSize: number, keep: boolean, reuse = false): Promise<BenchDatabase> {
  const drop = (): Promise<void> => withAdmin(cluster.adminUrl, async (c) => { await c.query(`drop database if exists "${BENCH_DATABASE}" with (force)`); });
  const exists = await withAdmin(cluster.adminUrl, async (c) => (await c.query('select 1 from pg_database where datname = $1', [BENCH_DATABASE])).rowCount === 1);
  const reused = reuse && exists;
  if (!reused) {
    await drop();
    await withAdmin(cluster.adminUrl, async (c) => { await c.query(`create database "${BENCH_DATABASE}"`); });
  }
  const url = withDatabase(cluster.adminUrl, BENCH_DATABASE);
  const db = createDb(createPool(url, poolSize));
  try {
    const every = [...(await discoverModules(MODULES_DIR)).keys()];
    await migrate(db, await loadRegistry(MODULES_DIR, every), PROJECT_ROOT);
  } catch (err) {
    await db.destroy();
    if (!reused) await drop().catch(() => {});
    throw err;
  }
  return {
    url, db, reused,
    close: async () => {
      await db.destroy();
      if (!keep) await drop();
    },
  };
}
