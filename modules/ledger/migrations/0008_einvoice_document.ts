import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/** The e-invoice XML an invoice was imported from, kept as signed: the legal document behind it. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table ledger_einvoice_document (
      tenant_id uuid not null references core_tenant(id),
      invoice_id uuid not null,
      file_name text not null,
      xml text not null,
      imported_at timestamptz not null default now(),
      primary key (tenant_id, invoice_id),
      foreign key (tenant_id, invoice_id) references ledger_invoice(tenant_id, id)
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_einvoice_document');
  await sql`create index ledger_invoice_einvoice on ledger_invoice (tenant_id, einvoice_number) where einvoice_number is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
