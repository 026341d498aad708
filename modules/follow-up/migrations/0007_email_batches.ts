import { sql, type Kysely } from 'kysely';

/**
 * The email sender takes a run's reminders many at a time: it finds the pending emails that were
 * never handed over (the first index) and asks an action's hand-over by the action (the second).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index followup_action_email_pending on followup_action (tenant_id, id) where state = 'pending' and channel = 'email'`.execute(db);
  await sql`create index followup_send_attempt_action on followup_send_attempt (tenant_id, action_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index followup_send_attempt_action`.execute(db);
  await sql`drop index followup_action_email_pending`.execute(db);
}
