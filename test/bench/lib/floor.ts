/**
 * The floor of a write workload: the rows one REST operation writes, written by Node straight
 * through prepared (named) statements, one transaction per operation, over a pool of the server's
 * size at the same concurrency. Same tables, indexes, constraints, triggers and row-level security
 * (the transaction runs as the application role with the tenant set, as every request does) — what
 * the engine can do on this machine. A workload reports its rate as a share of it.
 */
import pg from 'pg';
import { APP_ROLE } from '../../../core/db/kysely.js';

export interface FloorResult { operations: number; seconds: number; perSecond: number }

/** `operations` transactions, `concurrency` at a time; `write(client, i)` runs inside each. */
export async function runFloor(options: { databaseUrl: string; tenantId: string; poolSize: number; concurrency: number; operations: number; write: (client: pg.PoolClient, i: number) => Promise<void> }): Promise<FloorResult> {
  if (!/^[0-9a-f-]{36}$/.test(options.tenantId)) throw new Error(`not a tenant id: ${options.tenantId}`);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize, application_name: 'congno-bench-floor' });
  // The tenant scope and the role switch go with BEGIN in one round trip (a simple query).
  const begin = `begin; select set_config('app.tenant_id', '${options.tenantId}', true), set_config('role', '${APP_ROLE}', true)`;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < options.operations; i = next++) {
      const client = await pool.connect();
      try {
        await client.query(begin);
        await options.write(client, i);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    }
  };
  try {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    return { operations: options.operations, seconds, perSecond: Math.round(options.operations / seconds) };
  } finally {
    await pool.end();
  }
}

/** A prepared statement: parsed and planned once per connection, then only bound and executed. */
export const prepared = (name: string, text: string) => (client: pg.PoolClient, values: unknown[]) => client.query({ name, text, values });
