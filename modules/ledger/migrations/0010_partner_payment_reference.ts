import { sql, type Kysely } from 'kysely';

/**
 * A payment reference per customer, beside the one per invoice: printed in the VietQR code of a
 * reminder or statement that asks for several invoices at once; the bank module settles the
 * customer's oldest open invoices with a transfer that carries it. Taken from the same number
 * series as the invoices' (no two references of a company are alike), on first use.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_partner add column payment_reference text`.execute(db);
  await sql`create unique index ledger_partner_payment_reference on ledger_partner (tenant_id, payment_reference) where payment_reference is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
