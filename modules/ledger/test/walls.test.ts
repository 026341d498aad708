import t from 'tap';
import { sql } from 'kysely';
import { withTenant, type Trx } from '../../../core/db/kysely.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { newPartner, postedInvoice } from './fixtures.js';

// The database itself refuses what no code path should ever write, as the application role.
t.test('the database refuses unbalanced entries and changes to posted lines', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const partner = await newPartner(h, 'KH001');
  const inv = await postedInvoice(h, 'KH001', '1000000', '2026-11-01', '2026-11-30');
  const tenant = h.tenant.id;
  const asApp = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(h.db, tenant, fn);
  const entry = async (trx: Trx, lines: Array<{ account: string; debit: bigint; credit: bigint }>) => {
    const move = await trx.insertInto('ledger_move').values({ tenant_id: tenant, kind: 'entry', journal: 'general', date: '2026-11-02', ref: 'manual', partner_id: null, reversal_of: null })
      .returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('ledger_move_line').values(lines.map((l) => ({
      tenant_id: tenant, move_id: move.id, account_code: l.account, partner_id: null, date: '2026-11-02', date_maturity: null,
      debit: l.debit, credit: l.credit, receivable: false, amount_residual: 0n, invoice_id: null, payment_id: null, description: 'manual',
    }))).execute();
    return move.id;
  };
  const moves = async () => Number((await sql<{ n: string }>`select count(*)::text as n from ledger_move`.execute(h.db)).rows[0].n);

  await t.rejects(asApp((trx) => entry(trx, [{ account: '111', debit: 100000n, credit: 0n }, { account: '511', debit: 0n, credit: 90000n }])),
    /does not balance: debit 100000 <> credit 90000/, 'an unbalanced entry is refused at commit');
  await t.rejects(asApp(async (trx) => {
    await entry(trx, [{ account: '111', debit: 100000n, credit: 0n }, { account: '511', debit: 0n, credit: 100000n }]);
    await entry(trx, [{ account: '111', debit: 1n, credit: 0n }]);
  }), /does not balance/, 'one bad entry fails the whole transaction');
  t.equal(await moves(), 1, 'nothing of either was kept');
  const balanced = await asApp((trx) => entry(trx, [{ account: '111', debit: 100000n, credit: 0n }, { account: '511', debit: 0n, credit: 60000n }, { account: '3331', debit: 0n, credit: 40000n }]));
  t.ok(balanced, 'a balanced entry is accepted');

  const receivable = await h.db.selectFrom('ledger_move_line').select(['id', 'move_id']).where('invoice_id', '=', inv.id).where('receivable', '=', true).executeTakeFirstOrThrow();
  const tries: Array<[string, (trx: Trx) => Promise<unknown>, RegExp]> = [
    ['the debit of a posted line', (trx) => sql`update ledger_move_line set debit = 900000 where id = ${receivable.id}`.execute(trx), /cannot be changed; post a reversal/],
    ['the debit and credit of every line of the entry, still balanced', (trx) => sql`update ledger_move_line set debit = debit * 2, credit = credit * 2 where move_id = ${receivable.move_id}`.execute(trx), /cannot be changed/],
    ['the due date', (trx) => sql`update ledger_move_line set date_maturity = '2027-01-01' where id = ${receivable.id}`.execute(trx), /cannot be changed/],
    ['the partner', (trx) => sql`update ledger_move_line set partner_id = null where id = ${receivable.id}`.execute(trx), /cannot be changed/],
    ['deleting a line', (trx) => sql`delete from ledger_move_line where id = ${receivable.id}`.execute(trx), /cannot be deleted/],
    ['changing the entry', (trx) => sql`update ledger_move set date = '2026-12-01' where id = ${receivable.move_id}`.execute(trx), /cannot be changed or deleted/],
    ['deleting the entry', (trx) => sql`delete from ledger_move where id = ${receivable.move_id}`.execute(trx), /cannot be changed or deleted/],
    ['a residual above what the line is worth (over-allocation)', (trx) => sql`update ledger_move_line set amount_residual = -1 where id = ${receivable.id}`.execute(trx), /check constraint/],
    ['a residual above the debit', (trx) => sql`update ledger_move_line set amount_residual = 1000001 where id = ${receivable.id}`.execute(trx), /check constraint/],
  ];
  for (const [what, change, error] of tries) await t.rejects(asApp(change), error, what);

  const line = await h.db.selectFrom('ledger_move_line').selectAll().where('id', '=', receivable.id).executeTakeFirstOrThrow();
  t.equal(line.debit, 1000000n);
  t.equal(line.amount_residual, 1000000n);
  t.equal(line.partner_id, partner.id);
  t.equal(line.date_maturity, '2026-11-30');
});
