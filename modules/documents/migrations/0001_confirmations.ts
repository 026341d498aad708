import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/**
 * Balance confirmations (biên bản đối chiếu công nợ): what was asked, frozen when it was made
 * (the balance and the open items on the date), the link the customer answers through, and the
 * answer with who gave it, when and from where.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table documents_confirmation (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null,
      partner_id uuid not null,
      as_of date not null,
      currency char(3) not null,
      balance bigint not null,
      items jsonb not null,
      lang text not null,
      token text not null,
      url text not null,
      expires_at timestamptz not null,
      state text not null default 'open' check (state in ('open', 'confirmed', 'disputed')),
      answered_at timestamptz,
      answered_by text,
      answered_ip text,
      answered_agent text,
      answered_amount bigint,
      answered_note text,
      mail_id uuid,
      sent_to text,
      sent_at timestamptz,
      created_by uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, partner_id) references ledger_partner (tenant_id, id),
      check ((state = 'open') = (answered_at is null))
    )`.execute(db);
  await sql`create index documents_confirmation_list on documents_confirmation (tenant_id, created_at desc, id desc)`.execute(db);
  await sql`create index documents_confirmation_partner on documents_confirmation (tenant_id, partner_id, created_at desc)`.execute(db);
  await isolateTenantTable(db, 'documents_confirmation');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table documents_confirmation`.execute(db);
}
