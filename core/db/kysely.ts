import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.js';

export type Db = Kysely<Tables>;
export type Trx = Transaction<Tables>;

/** The role every tenant-scoped transaction runs as; row-level security applies to it. */
export const APP_ROLE = 'congno_app';

let parsersSet = false;
/** int8 → bigint (money and ids stay exact), date → 'YYYY-MM-DD' (no time-zone shift). */
export function setTypeParsers(): void {
  if (parsersSet) return;
  parsersSet = true;
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));
  pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
}

export function createPool(connectionString: string, max: number): pg.Pool {
  setTypeParsers();
  const pool = new pg.Pool({ connectionString, max, application_name: 'congno' });
  // An idle connection dropped by the server (restart, shutdown, terminated backend) is discarded
  // by the pool; without a listener its 'error' event would crash the process.
  pool.on('error', () => {});
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` in one transaction scoped to a tenant: `app.tenant_id` is set and the role is
 * switched to the application role, so row-level security is a second wall behind the
 * queries' own `tenant_id` filter.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await enterTenant(trx, tenantId);
    return fn(trx);
  });
}

/** Switches an open transaction to a tenant's scope (see withTenant). */
export async function enterTenant(trx: Trx, tenantId: string): Promise<void> {
  await sql`select set_config('app.tenant_id', ${tenantId}, true), set_config('role', ${APP_ROLE}, true)`.execute(trx);
}
