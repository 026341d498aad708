import { sql, type Kysely } from 'kysely';

/** A user's phone: reminder letters print the responsible's name and phone for the customer to call. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table core_user add column phone text`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('core migrations are not reversible');
}
