import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/** Letters (one per follow-up letter action, the rendered PDF kept so a batch is the same bytes every time), batches, returned addresses. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table postal_batch (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null,
      provider text not null check (provider in ('sftp-batch', 'print')),
      date date not null,
      state text not null default 'ready' check (state in ('ready', 'uploaded', 'printed', 'posted')),
      letters integer not null,
      pages integer not null,
      sheets integer not null,
      file_name text not null,
      sha256 text,
      bytes bigint,
      upload_state text check (upload_state in ('sending', 'done', 'failed')),
      upload_result jsonb,
      created_at timestamptz not null default now(),
      uploaded_at timestamptz,
      printed_at timestamptz,
      posted_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, provider, date)
    )`.execute(db);
  await isolateTenantTable(db, 'postal_batch');
  await sql`
    create table postal_letter (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null,
      action_id uuid not null,
      partner_id uuid not null,
      level_id uuid not null,
      date date not null,
      lang text not null,
      provider text not null check (provider in ('docsaway', 'sftp-batch', 'print')),
      state text not null check (state in ('queued', 'submitted', 'batched', 'printed', 'posted', 'delivered', 'returned', 'cancelled', 'uncertain')),
      address jsonb not null,
      address_hash text not null,
      pages integer not null check (pages > 0),
      sheets integer not null check (sheets > 0),
      envelope text not null check (envelope in ('DL', 'C4')),
      pdf bytea not null,
      sha256 text not null,
      batch_id uuid,
      reference text,
      price bigint,
      price_currency text,
      submit_state text check (submit_state in ('sending', 'done')),
      submit_started_at timestamptz,
      submit_volume bigint,
      result jsonb,
      return_reason text,
      created_at timestamptz not null default now(),
      submitted_at timestamptz,
      printed_at timestamptz,
      posted_at timestamptz,
      delivered_at timestamptz,
      returned_at timestamptz,
      cancelled_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, action_id),
      foreign key (tenant_id, partner_id) references ledger_partner (tenant_id, id),
      foreign key (tenant_id, batch_id) references postal_batch (tenant_id, id)
    )`.execute(db);
  await sql`create index postal_letter_state on postal_letter (tenant_id, state, created_at)`.execute(db);
  await sql`create index postal_letter_partner on postal_letter (tenant_id, partner_id, created_at)`.execute(db);
  await sql`create index postal_letter_batch on postal_letter (tenant_id, batch_id) where batch_id is not null`.execute(db);
  await isolateTenantTable(db, 'postal_letter');
  await sql`
    create table postal_returned_address (
      tenant_id uuid not null references core_tenant(id),
      partner_id uuid not null,
      address_hash text not null,
      letter_id uuid not null,
      reason text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, partner_id, address_hash),
      foreign key (tenant_id, partner_id) references ledger_partner (tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'postal_returned_address');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table postal_returned_address`.execute(db);
  await sql`drop table postal_letter`.execute(db);
  await sql`drop table postal_batch`.execute(db);
}
