import { sql, type Kysely } from 'kysely';

/**
 * Every real run looks for the email reminders that failed for a reason it can overcome (email not
 * configured, a refused login, the mail server unreachable) to queue them again (delivery.ts): a
 * partial index keeps that a lookup of the few failed ones, not a scan of every action.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index followup_action_failed on followup_action (tenant_id, partner_id) where state = 'failed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index followup_action_failed`.execute(db);
}
