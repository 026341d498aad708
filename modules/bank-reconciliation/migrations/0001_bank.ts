import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table bank_reconciliation_account (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      number text not null,
      currency char(3) not null,
      name text,
      csv_mapping jsonb,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, number, currency)
    )`.execute(db);
  await isolateTenantTable(db, 'bank_reconciliation_account');

  await sql`
    create table bank_reconciliation_statement (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      bank_account_id uuid not null,
      number text,
      format text not null,
      opening_date date,
      opening_amount bigint,
      closing_date date,
      closing_amount bigint,
      balance_difference bigint,
      file_hash text not null,
      imported_by uuid,
      imported_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, bank_account_id) references bank_reconciliation_account(tenant_id, id)
    )`.execute(db);
  await sql`create index bank_reconciliation_statement_account on bank_reconciliation_statement (tenant_id, bank_account_id, closing_date)`.execute(db);
  await isolateTenantTable(db, 'bank_reconciliation_statement');

  await sql`
    create table bank_reconciliation_line (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      statement_id uuid not null,
      bank_account_id uuid not null,
      position integer not null,
      date date not null,
      value_date date,
      amount bigint not null,
      reference text,
      counterparty text,
      counterparty_account text,
      description text not null,
      bank_transaction_id text,
      dedupe_key text not null,
      match_state text not null default 'unmatched' check (match_state in ('unmatched', 'suggested', 'matched')),
      partner_id uuid,
      match_rule text,
      match_reason text,
      suggestion jsonb,
      version integer not null default 1,
      primary key (tenant_id, id),
      -- the same booking imported twice (same file, or overlapping statements) is stored once
      unique (tenant_id, bank_account_id, dedupe_key),
      foreign key (tenant_id, statement_id) references bank_reconciliation_statement(tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner(tenant_id, id)
    )`.execute(db);
  await sql`create index bank_reconciliation_line_statement on bank_reconciliation_line (tenant_id, statement_id, position)`.execute(db);
  await sql`create index bank_reconciliation_line_open on bank_reconciliation_line (tenant_id, bank_account_id, date) where match_state <> 'matched'`.execute(db);
  await isolateTenantTable(db, 'bank_reconciliation_line');

  await sql`
    create table bank_reconciliation_match (
      tenant_id uuid not null,
      id uuid not null default gen_random_uuid(),
      line_id uuid not null,
      payment_id uuid not null,
      amount bigint not null check (amount > 0),
      created_payment boolean not null,
      rule text not null,
      reason text not null,
      matched_by uuid,
      matched_at timestamptz not null default now(),
      undone_at timestamptz,
      primary key (tenant_id, id),
      foreign key (tenant_id, line_id) references bank_reconciliation_line(tenant_id, id),
      foreign key (tenant_id, payment_id) references ledger_payment(tenant_id, id)
    )`.execute(db);
  await sql`create index bank_reconciliation_match_line on bank_reconciliation_match (tenant_id, line_id) where undone_at is null`.execute(db);
  // A payment is confirmed by one bank line at a time.
  await sql`create unique index bank_reconciliation_match_payment on bank_reconciliation_match (tenant_id, payment_id) where undone_at is null`.execute(db);
  await isolateTenantTable(db, 'bank_reconciliation_match');

  await sql`
    create table bank_reconciliation_rule (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      name text not null,
      sequence integer not null default 10,
      active boolean not null default true,
      conditions jsonb not null,
      action jsonb not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'bank_reconciliation_rule');
}

export async function down(): Promise<void> {
  throw new Error('bank-reconciliation migrations are not reversible');
}
