import { sql, type Kysely } from 'kysely';

/**
 * The working lists' default order (newest first, ties by id) read from an index: the first page
 * of 5M invoices or of the payments is the first rows of an index scan, and the next page starts
 * where the cursor points.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index ledger_invoice_date on ledger_invoice (tenant_id, date, id)`.execute(db);
  await sql`create index ledger_payment_date on ledger_payment (tenant_id, date, id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
