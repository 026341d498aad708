import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/** The company's logo on its letterhead: one per tenant, checked when uploaded (logo.ts). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table documents_logo (
      tenant_id uuid primary key references core_tenant(id),
      content bytea not null,
      media_type text not null check (media_type in ('image/png', 'image/jpeg')),
      width integer not null,
      height integer not null,
      sha256 text not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await isolateTenantTable(db, 'documents_logo');
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table documents_logo`.execute(db);
}
