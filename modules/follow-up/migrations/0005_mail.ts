import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/**
 * Emails other modules hand to the follow-up's mail server (a balance confirmation to a customer):
 * what was asked, and what became of it, sent exactly once (mail.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table followup_mail (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      module text not null,
      about text,
      recipient text not null,
      subject text not null,
      text text not null,
      html text,
      lang text,
      attachments jsonb not null default '[]',
      state text not null default 'queued' check (state in ('queued', 'sending', 'sent', 'rejected', 'failed', 'uncertain')),
      result jsonb,
      created_at timestamptz not null default now(),
      done_at timestamptz,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index followup_mail_about on followup_mail (tenant_id, module, about)`.execute(db);
  await isolateTenantTable(db, 'followup_mail');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table followup_mail`.execute(db);
}
