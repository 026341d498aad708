import { sql, type Kysely } from 'kysely';

/**
 * Idempotency keys belong to the token that sent them (one user's key never answers another
 * user's request), and a reservation is a lease that the running request renews: after a crash
 * the lease runs out and a retry with the same key may run. `attempt` names the request that
 * holds the reservation, so only that request can mark the key committed — two runs that both
 * believe they hold it can never both commit.
 *
 * Keys stored before this migration keep answering retries of requests sent with no known token
 * (the nil token id), i.e. none: they age out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table core_idempotency
    add column token_id uuid not null default '00000000-0000-0000-0000-000000000000',
    add column attempt uuid,
    add column reserved_until timestamptz`.execute(db);
  await sql`alter table core_idempotency alter column token_id drop default`.execute(db);
  await sql`alter table core_idempotency drop constraint core_idempotency_pkey`.execute(db);
  await sql`alter table core_idempotency add primary key (tenant_id, token_id, key)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('core migrations are not reversible');
}
