/**
 * Before a run: are the bank statements fresh enough that a customer who paid is not chased? Only
 * when the server installs `bank-reconciliation` and the tenant has it enabled (an `optional`
 * dependency: its service answers, see bank-reconciliation/public.ts). Stale means a bank account without a statement ending
 * within `bankFreshness.maxAgeDays` of the run date, or received money (credit lines) not yet
 * matched to invoices. `onStale: 'warn'` reports it with the run; `'refuse'` refuses the run.
 * `reasons` tells the two apart (`no_statement`, `old_statement`, `unmatched_lines`): the day after a
 * statement the accounts are recent (`statementsStale: false`) and only unmatched lines make it stale.
 */
import type { Trx } from '../../core/db/kysely.js';
import { addDays } from '../../core/dates.js';
import { formatAmount } from '../../core/money.js';
import type { FollowUpApi, FollowUpSettings } from './context.js';

export type BankStaleReason = 'no_statement' | 'old_statement' | 'unmatched_lines';

export interface BankCheck {
  stale: boolean;
  refused: boolean;
  accounts: Array<{ account: string; name: string | null; lastStatementDate: string | null; statement: 'recent' | 'old' | 'none' }>;
  unmatchedLines: number;
  unmatchedAmount: string;
  warnings: string[];
  /** Some account has no statement, or none ending within maxAgeDays: payments received since may be missing. */
  statementsStale: boolean;
  /** Why it is stale (empty: fresh). */
  reasons: BankStaleReason[];
}

export async function checkBank(api: FollowUpApi, trx: Trx, tenantId: string, date: string, currency: string, settings: FollowUpSettings, dryRun: boolean): Promise<BankCheck | null> {
  const bank = api.optionalService('bank-reconciliation');
  if (!bank || !(await api.isEnabled(trx, tenantId, 'bank-reconciliation'))) return null;
  const { maxAgeDays, onStale } = settings.bankFreshness;
  const since = addDays(date, -maxAgeDays);
  const fresh = await bank.freshness(trx, tenantId, date);
  const accounts = fresh.accounts.map((a) => ({ number: a.account, name: a.name, last: a.lastStatementDate }));
  const unmatched = { n: fresh.unmatched.lines, amount: fresh.unmatched.amount };
  const warnings: string[] = [];
  if (accounts.length === 0) warnings.push('No bank statement has been imported: payments received by bank transfer may be missing, so customers who paid could be reminded.');
  for (const a of accounts) {
    if (a.last === null) warnings.push(`Bank account ${a.number}${a.name ? ` (${a.name})` : ''} has no statement: payments received there may be missing.`);
    else if (a.last < since) warnings.push(`The last statement of bank account ${a.number}${a.name ? ` (${a.name})` : ''} ends on ${a.last}, more than ${maxAgeDays} days before ${date}: payments received since may be missing.`);
  }
  if (unmatched.n > 0) {
    warnings.push(`${unmatched.n} bank line${unmatched.n === 1 ? '' : 's'} received (${formatAmount(unmatched.amount, currency)} ${currency}) ${unmatched.n === 1 ? 'is' : 'are'} not matched to invoices yet: some customers may already have paid.`);
  }
  const reasons: BankStaleReason[] = [];
  if (accounts.length === 0 || accounts.some((a) => a.last === null)) reasons.push('no_statement');
  if (accounts.some((a) => a.last !== null && a.last < since)) reasons.push('old_statement');
  if (unmatched.n > 0) reasons.push('unmatched_lines');
  const statementsStale = reasons.includes('no_statement') || reasons.includes('old_statement');
  if (!statementsStale && unmatched.n > 0) {
    warnings.push(`The bank statements are recent (each account has one ending within ${maxAgeDays} days of ${date}); only the unmatched lines make the bank check stale.`);
  }
  const stale = warnings.length > 0;
  return {
    stale, refused: stale && onStale === 'refuse' && !dryRun,
    accounts: accounts.map((a) => ({ account: a.number, name: a.name, lastStatementDate: a.last, statement: a.last === null ? 'none' as const : a.last < since ? 'old' as const : 'recent' as const })),
    unmatchedLines: unmatched.n, unmatchedAmount: formatAmount(unmatched.amount, currency), warnings, statementsStale, reasons,
  };
}
