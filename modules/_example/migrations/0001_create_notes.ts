import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table example_note (
      tenant_id uuid not null references core_tenant(id),
      id uuid not null default gen_random_uuid(),
      text text not null,
      author_user_id uuid,
      created_at timestamptz not null default now(),
      published_at timestamptz,
      publish_key text,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index example_note_created on example_note (tenant_id, created_at desc)`.execute(db);
  await isolateTenantTable(db, 'example_note');

  await sql`
    create table example_note_counter (
      tenant_id uuid primary key references core_tenant(id),
      notes integer not null
    )`.execute(db);
  await isolateTenantTable(db, 'example_note_counter');

  await sql`
    create table example_digest (
      tenant_id uuid not null references core_tenant(id),
      date date not null,
      notes integer not null,
      primary key (tenant_id, date)
    )`.execute(db);
  await isolateTenantTable(db, 'example_digest');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table example_digest, example_note_counter, example_note`.execute(db);
}
