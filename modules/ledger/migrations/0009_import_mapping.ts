import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from '../../../core/db/migrate.js';

/**
 * A company's own column headers for each import (`"Mã KH" → ref`), saved once and applied to
 * every later file of that kind.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table ledger_import_mapping (
      tenant_id uuid not null references core_tenant(id),
      kind text not null check (kind in ('partners', 'opening-balances', 'invoices', 'receipts')),
      columns jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, kind)
    )`.execute(db);
  await isolateTenantTable(db, 'ledger_import_mapping');
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
