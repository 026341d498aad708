import { sql, type Kysely } from 'kysely';

/**
 * What the reports read. Aging as of a past day is today's open items rolled back through the
 * partials made or undone since that day; for those it needs each side's partner, accounting date
 * and due date. Posted lines never change, so the partial keeps a copy of them and the roll-back
 * reads no journal line (rows written without the copy, by a bulk loader, stay right: the reports
 * then look their lines up). Period summary and DSO read the open items plus the movements since
 * the period began.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table ledger_partial
      add column partner_id uuid,
      add column debit_date date,
      add column debit_due date,
      add column credit_date date,
      add column credit_due date,
      add constraint ledger_partial_undone_together check ((undone_at is null) = (undone_on is null))`.execute(db);
  await sql`
    update ledger_partial p
    set partner_id = d.partner_id, debit_date = d.date, debit_due = d.date_maturity, credit_date = c.date, credit_due = c.date_maturity
    from ledger_move_line d, ledger_move_line c
    where d.tenant_id = p.tenant_id and d.id = p.debit_line_id and c.tenant_id = p.tenant_id and c.id = p.credit_line_id`.execute(db);
  // Partials made after a day, and those undone: the only ones a roll-back to that day reads.
  await sql`create index ledger_partial_date on ledger_partial (tenant_id, date)`.execute(db);
  await sql`create index ledger_partial_undone on ledger_partial (tenant_id, undone_on) where undone_at is not null`.execute(db);
  // The open items with their accounting date too: aging of a past day and by invoice date
  // read them from the index alone.
  await sql`drop index ledger_move_line_open`.execute(db);
  await sql`create index ledger_move_line_open on ledger_move_line (tenant_id, partner_id, date_maturity) include (amount_residual, date) where receivable and amount_residual <> 0`.execute(db);
  // Receivable movements by day for every partner at once: a period summary or DSO reads the
  // open items plus the movements since the period began, not the whole history.
  await sql`create index ledger_move_line_receivable_date on ledger_move_line (tenant_id, date) include (partner_id, debit, credit, invoice_id) where receivable`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
