import { sql, type Kysely } from 'kysely';

/**
 * Open invoices by the amount still open: a bank line that names nothing is suggested to the one
 * invoice with exactly its amount open, looked up here instead of reading every invoice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index ledger_invoice_open_residual on ledger_invoice (tenant_id, residual) where residual > 0`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
