import { sql, type Kysely } from 'kysely';

/**
 * The balance check ran at commit for every updated line, including the residual updates every
 * allocation makes (a payment over three invoices queued seven checks). Debit, credit and the
 * entry of a posted line cannot change (ledger_move_line_immutable), so only inserts and changes
 * to those columns can unbalance an entry.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger ledger_move_line_balanced on ledger_move_line`.execute(db);
  await sql`create constraint trigger ledger_move_line_balanced after insert or update of debit, credit, move_id on ledger_move_line
    deferrable initially deferred for each row execute function ledger_check_balanced()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('ledger migrations are not reversible');
}
