import { sql, type Kysely } from 'kysely';

/** A note may be about a customer of the ledger (an optional module: no foreign key towards it). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table example_note add column partner_id uuid, add column partner_ref text, add column partner_name text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table example_note drop column partner_id, drop column partner_ref, drop column partner_name`.execute(db);
}
