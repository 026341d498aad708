import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.js';
import { knownTenantModules, type TenantModuleRow } from '../modules/snapshot.js';

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

/** Distinct statement texts given a name; beyond it a text runs unnamed (parsed and planned each time). */
const MAX_NAMED_STATEMENTS = 1000;
const statementNames = new Map<string, string>();

/**
 * A client that runs each parameterised statement as a named prepared statement: the server parses
 * it once per connection and may keep its plan, where an unnamed one is parsed and planned on every
 * call. Statements without parameters (BEGIN, COMMIT, raw text) stay simple queries. The names are
 * bounded, so texts built with varying shapes cannot grow the server's memory without end.
 */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && typeof args[2] !== 'function') {
      let name = statementNames.get(text);
      if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
        name = `congno_${statementNames.size + 1}`;
        statementNames.set(text, name);
      }
      if (name !== undefined) return (super.query as (...a: unknown[]) => never)({ name, text, values });
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    // A simple query of several statements answers with the last one's result, as psql shows it
    // (the driver gives an array, which Kysely would read as no rows).
    if (typeof text === 'string' && result instanceof Promise) return result.then((r: unknown) => (Array.isArray(r) ? r.at(-1) : r)) as never;
    return result as never;
  }
}

export function createPool(connectionString: string, max: number): pg.Pool {
  setTypeParsers();
  const pool = new pg.Pool({ connectionString, max, application_name: 'congno', Client: PreparingClient });
  // An idle connection dropped by the server (restart, shutdown, terminated backend) is discarded
  // by the pool; without a listener its 'error' event would crash the process.
  pool.on('error', () => {});
  return pool;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Runs `fn` in one transaction scoped to a tenant: `app.tenant_id` is set and the role is
 * switched to the application role, so row-level security is a second wall behind the
 * queries' own `tenant_id` filter.
 *
 * BEGIN and the scope go in one round trip, one simple query of two statements (the tenant id is a
 * checked UUID, so it can stand in the text), on a connection of its own that is then used as the
 * transaction — as Kysely's transaction() does, but without telling its driver the tenant through
 * an AsyncLocalStorage, which in Node 20 puts a hook on every promise of the process.
 */
export async function withTenant<T>(db: Db, tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) {
    return db.transaction().execute(async (trx) => {
      await enterTenant(trx, tenantId);
      return fn(trx);
    });
  }
  return db.connection().execute(async (connection) => {
    // The tenant's modules come along (their settings, which every write reads): a round trip fewer.
    // The select runs before the role takes effect, so it names the tenant itself.
    const { rows: [begun] } = await sql.raw<{ modules: TenantModuleRow[] | null }>(`begin; select set_config('app.tenant_id', '${tenantId}', true), set_config('role', '${APP_ROLE}', true),
      (select json_agg(json_build_object('module', module, 'state', state, 'settings', settings)) from core_tenant_module where tenant_id = '${tenantId}') as modules`).execute(connection);
    const trx = connection as unknown as Trx; // one connection in a transaction: what a Transaction is
    if (begun) knownTenantModules(trx, tenantId, begun.modules ?? []);
    let result: T;
    try {
      result = await fn(trx);
    } catch (err) {
      await sql`rollback`.execute(connection);
      throw err;
    }
    await sql`commit`.execute(connection);
    return result;
  });
}

/** Switches an open transaction to a tenant's scope (see withTenant). */
export async function enterTenant(trx: Trx, tenantId: string): Promise<void> {
  await sql`select set_config('app.tenant_id', ${tenantId}, true), set_config('role', ${APP_ROLE}, true)`.execute(trx);
}
