import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import type { BankFreshness } from './public.js';
import './tables.js';

/** The service's `freshness` (public.ts): each account's last statement day, and what was received but is not matched. */
export async function freshness(trx: Trx, tenantId: string, date: string): Promise<BankFreshness> {
  const { rows: accounts } = await sql<{ account: string; name: string | null; last: string | null }>`
    select a.number as account, a.name, max(coalesce(s.closing_date, s.opening_date)) as last
    from bank_reconciliation_account a
    left join bank_reconciliation_statement s on s.tenant_id = a.tenant_id and s.bank_account_id = a.id
    where a.tenant_id = ${tenantId}
    group by a.id, a.number, a.name
    order by a.number`.execute(trx);
  const { rows: [unmatched] } = await sql<{ n: number; amount: bigint }>`
    select count(*)::integer as n, coalesce(sum(amount), 0)::bigint as amount
    from bank_reconciliation_line
    where tenant_id = ${tenantId} and amount > 0 and match_state <> 'matched' and date <= ${date}::date`.execute(trx);
  return {
    accounts: accounts.map((a) => ({ account: a.account, name: a.name, lastStatementDate: a.last })),
    unmatched: { lines: unmatched.n, amount: BigInt(unmatched.amount) },
  };
}
