import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table followup_level (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      plan text not null default 'default' check (length(plan) between 1 and 64),
      name text not null check (length(name) between 1 and 100),
      delay integer not null check (delay between -365 and 3650),
      channels text[] not null check (channels <@ array['email', 'sms', 'letter']::text[]),
      auto boolean not null default true,
      template text,
      attach_statement boolean not null default false,
      activity jsonb,
      archived_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  // One active level per delay and per name in a plan: the level a partner is at is never ambiguous.
  await sql`create unique index followup_level_delay on followup_level (tenant_id, plan, delay) where archived_at is null`.execute(db);
  await sql`create unique index followup_level_name on followup_level (tenant_id, plan, lower(name)) where archived_at is null`.execute(db);
  await isolateTenantTable(db, 'followup_level');

  await sql`
    create table followup_partner (
      tenant_id uuid not null,
      partner_id uuid not null,
      plan text,
      responsible_user_id uuid,
      episode integer not null default 1,
      last_level_id uuid,
      last_level_delay integer,
      last_reminder_on date,
      -- A clerk rescheduled the follow-up: nothing is due before this date.
      next_action_on date,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, partner_id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      foreign key (tenant_id, responsible_user_id) references core_user(tenant_id, id),
      foreign key (tenant_id, last_level_id) references followup_level(tenant_id, id),
      check ((last_level_id is null) = (last_level_delay is null))
    )`.execute(db);
  await isolateTenantTable(db, 'followup_partner');

  await sql`
    create table followup_item (
      tenant_id uuid not null,
      line_id uuid not null,
      partner_id uuid not null,
      excluded_reason text check (excluded_reason in ('dispute', 'litigation', 'agreed_delay')),
      excluded_note text,
      excluded_at timestamptz,
      promise_amount bigint check (promise_amount > 0),
      promise_date date,
      promise_by text,
      promise_channel text check (promise_channel in ('phone', 'email', 'sms', 'letter', 'meeting', 'portal', 'other')),
      promise_note text,
      promise_residual bigint,
      promised_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, line_id),
      foreign key (tenant_id, line_id) references ledger_move_line(tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      check ((promise_date is null) = (promise_amount is null))
    )`.execute(db);
  await sql`create index followup_item_partner on followup_item (tenant_id, partner_id)`.execute(db);
  await isolateTenantTable(db, 'followup_item');

  await sql`
    create table followup_run (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      date date not null,
      dry_run boolean not null,
      trigger text not null check (trigger in ('manual', 'scheduled')),
      actor_user_id uuid,
      partners integer not null default 0,
      actions integer not null default 0,
      -- The bank freshness check before the run (bank-reconciliation enabled), refused or not.
      bank jsonb,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index followup_run_date on followup_run (tenant_id, date)`.execute(db);
  await isolateTenantTable(db, 'followup_run');

  await sql`
    create table followup_action (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      partner_id uuid not null,
      level_id uuid not null,
      episode integer not null,
      channel text not null check (channel in ('email', 'sms', 'letter')),
      date date not null,
      state text not null check (state in ('pending', 'sent', 'rejected', 'failed', 'cancelled', 'missing_contact', 'uncertain')),
      recipient text,
      invoice_ids uuid[] not null default '{}',
      result jsonb,
      idempotency_key text,
      created_at timestamptz not null default now(),
      done_at timestamptz,
      primary key (tenant_id, id),
      -- Exactly once per (partner, level, channel) in a follow-up episode, whoever runs it and how often.
      unique (tenant_id, partner_id, episode, level_id, channel),
      foreign key (tenant_id, run_id) references followup_run(tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      foreign key (tenant_id, level_id) references followup_level(tenant_id, id)
    )`.execute(db);
  await sql`create index followup_action_pending on followup_action (tenant_id, partner_id) where state = 'pending'`.execute(db);
  await sql`create index followup_action_run on followup_action (tenant_id, run_id)`.execute(db);
  await isolateTenantTable(db, 'followup_action');

  await sql`
    create table followup_send_attempt (
      tenant_id uuid not null,
      idempotency_key text not null,
      action_id uuid not null,
      state text not null check (state in ('sending', 'sent', 'rejected', 'failed')),
      attempts integer not null default 1,
      response text,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      primary key (tenant_id, idempotency_key),
      foreign key (tenant_id, action_id) references followup_action(tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'followup_send_attempt');

  await sql`
    create table followup_activity (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      partner_id uuid not null,
      level_id uuid not null,
      episode integer not null,
      run_id uuid not null,
      type text not null check (type in ('call', 'task')),
      responsible_user_id uuid,
      due_on date not null,
      note text,
      state text not null default 'open' check (state in ('open', 'done')),
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, partner_id, episode, level_id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      foreign key (tenant_id, level_id) references followup_level(tenant_id, id),
      foreign key (tenant_id, run_id) references followup_run(tenant_id, id),
      foreign key (tenant_id, responsible_user_id) references core_user(tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'followup_activity');
  // The partner's timeline besides the reminders: calls, notes, promises, exclusions, manual sends.
  await sql`
    create table followup_note (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      partner_id uuid not null,
      kind text not null check (kind in ('call', 'note', 'promise', 'exclusion', 'manual_send')),
      outcome text check (outcome in ('left_voicemail', 'no_answer', 'invoice_not_received', 'dispute', 'payment_sent', 'promise_made', 'wrong_contact', 'other')),
      text text,
      line_id uuid,
      next_action_on date,
      user_id uuid,
      -- clock_timestamp: a call and the promise it records keep their order in the timeline.
      created_at timestamptz not null default clock_timestamp(),
      primary key (tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id),
      check ((kind = 'call') = (outcome is not null))
    )`.execute(db);
  await sql`create index followup_note_partner on followup_note (tenant_id, partner_id, created_at)`.execute(db);
  await isolateTenantTable(db, 'followup_note');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table followup_note, followup_activity, followup_send_attempt, followup_action, followup_run, followup_item, followup_partner, followup_level`.execute(db);
}
