import { sql, type Kysely } from 'kysely';

/**
 * The message a reminder carried when it went out (or was refused): from, to, Reply-To, subject,
 * text and HTML bodies, language and attachment names — the partner's timeline shows what the
 * customer received, not only its subject. Null for actions that sent nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table followup_action add column message jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table followup_action drop column message`.execute(db);
}
