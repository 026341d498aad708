import { sql, type Kysely } from 'kysely';

/**
 * The relay claims the oldest due delivery by (next_attempt_at, id). A bulk emit gives thousands
 * of deliveries the same next_attempt_at; with an index on next_attempt_at alone every claim read
 * and sorted all of them (a follow-up run of 14k reminders made each claim cost ~14k rows). With
 * the id in the index the first unlocked row is the answer.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index core_event_delivery_due`.execute(db);
  await sql`create index core_event_delivery_due on core_event_delivery (next_attempt_at, id) where state = 'pending'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('core migrations are not reversible');
}
