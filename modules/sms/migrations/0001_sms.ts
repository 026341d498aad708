import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/** Messages (one per follow-up sms or zalo action, and a clerk's own), reports that came before their message's hand-over was on record, reminders waiting to be written, opted-out numbers, the callbacks' secret. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table sms_message (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null,
      action_id uuid,
      channel text not null check (channel in ('sms', 'zalo')),
      partner_id uuid not null,
      phone text not null,
      text text not null,
      encoding text not null check (encoding in ('gsm7', 'ucs2')),
      parts integer not null check (parts > 0),
      lang text not null,
      provider text not null check (provider in ('smpp', 'esms', 'speedsms', 'http', 'zalo')),
      state text not null check (state in ('queued', 'submitted', 'delivered', 'failed', 'expired', 'cancelled', 'unknown')),
      not_before timestamptz not null default now(),
      submit_state text check (submit_state in ('sending', 'done')),
      submit_started_at timestamptz,
      provider_id text,
      part_ids text[],
      submit_batch uuid,
      cost bigint not null default 0,
      template jsonb,
      fallback_of uuid,
      result jsonb,
      created_by uuid,
      created_at timestamptz not null default now(),
      submitted_at timestamptz,
      done_at timestamptz,
      primary key (tenant_id, id),
      -- One message per action and channel: a Zalo reminder and its SMS fallback, each once.
      unique (tenant_id, action_id, channel),
      foreign key (tenant_id, partner_id) references ledger_partner (tenant_id, id)
    )`.execute(db);
  await sql`create index sms_message_due on sms_message (tenant_id, not_before) where state = 'queued' and submit_state is null`.execute(db);
  await sql`create index sms_message_partner on sms_message (tenant_id, partner_id, created_at)`.execute(db);
  await sql`create index sms_message_state on sms_message (tenant_id, state, created_at)`.execute(db);
  await sql`create index sms_message_part_ids on sms_message using gin (part_ids) where part_ids is not null`.execute(db);
  await sql`create index sms_message_phone on sms_message (tenant_id, phone, created_at)`.execute(db);
  await isolateTenantTable(db, 'sms_message');
  await sql`
    create table sms_report (
      tenant_id uuid not null references core_tenant(id),
      provider text not null,
      provider_id text not null,
      state text not null,
      report jsonb not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, provider, provider_id, state)
    )`.execute(db);
  await isolateTenantTable(db, 'sms_report');
  await sql`
    create table sms_intake (
      tenant_id uuid not null references core_tenant(id),
      action_id uuid not null,
      channel text not null check (channel in ('sms', 'zalo')),
      partner_id uuid not null,
      level_id uuid not null,
      date date not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, action_id, channel)
    )`.execute(db);
  await sql`create index sms_intake_order on sms_intake (tenant_id, created_at, action_id)`.execute(db);
  await isolateTenantTable(db, 'sms_intake');
  await sql`
    create table sms_opt_out (
      tenant_id uuid not null references core_tenant(id),
      phone text not null,
      partner_id uuid,
      source text not null check (source in ('clerk', 'stop')),
      note text,
      created_by uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, phone)
    )`.execute(db);
  await isolateTenantTable(db, 'sms_opt_out');
  await sql`
    create table sms_callback (
      tenant_id uuid not null references core_tenant(id) primary key,
      id uuid not null,
      token text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await isolateTenantTable(db, 'sms_callback');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table sms_callback`.execute(db);
  await sql`drop table sms_opt_out`.execute(db);
  await sql`drop table sms_intake`.execute(db);
  await sql`drop table sms_report`.execute(db);
  await sql`drop table sms_message`.execute(db);
}
