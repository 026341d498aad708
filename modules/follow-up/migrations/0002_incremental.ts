import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/**
 * Incremental runs: the partners whose open items or follow-up facts changed since the last run
 * (an append-only queue written in the changing transaction, no key, so no row lock is ever waited
 * for), and per partner the next date on which time alone can change its decision.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table followup_change (
      tenant_id uuid not null,
      partner_id uuid not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index followup_change_tenant on followup_change (tenant_id)`.execute(db);
  await isolateTenantTable(db, 'followup_change');

  // The next date something can change for the partner without any change to its books (a level's
  // delay reached, a promise running out, the minimum interval ending, a clerk's date); null: none.
  await sql`alter table followup_partner add column next_check_on date`.execute(db);
  await sql`create index followup_partner_next_check on followup_partner (tenant_id, next_check_on) where next_check_on is not null`.execute(db);

  // full | incremental (runs), send (a level sent by hand), refused (bank not fresh). basis: the
  // levels and settings the run decided with; an incremental run needs the same as the last full run's.
  await sql`alter table followup_run add column mode text not null default 'full' check (mode in ('full', 'incremental', 'send', 'refused'))`.execute(db);
  await sql`alter table followup_run add column basis text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table followup_change`.execute(db);
  await sql`alter table followup_partner drop column next_check_on`.execute(db);
  await sql`alter table followup_run drop column mode, drop column basis`.execute(db);
}
