import { sql, type Kysely } from 'kysely';

/** A payment can be cancelled (a bank match undone, a receipt entered by mistake): the date it was. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_payment add column reversed_on date`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
