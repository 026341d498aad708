/**
 * The bank-reconciliation module's public surface: the only file of it another module may
 * import (with `bank-reconciliation` in its `depends` or `optional`). No table is public: what
 * others need to know about the bank comes from the service or the events.
 */
import type { Trx } from '../../core/db/kysely.js';

export interface BankFreshness {
  /** Every bank account of the tenant, by number, with the last day its statements cover (null: none imported). */
  accounts: Array<{ account: string; name: string | null; lastStatementDate: string | null }>;
  /** Money received (credit lines dated up to the date asked) not matched to invoices yet, amount in minor units. */
  unmatched: { lines: number; amount: bigint };
}

export interface BankService {
  /**
   * How far the books can be trusted to show what customers paid as of `date`: a follow-up run
   * asks before reminding anyone (a customer who paid yesterday must not be chased today).
   */
  freshness(trx: Trx, tenantId: string, date: string): Promise<BankFreshness>;
}

declare module '../../core/modules/services.js' {
  interface ModuleServices { 'bank-reconciliation': BankService }
}

/** A statement was imported (not emitted for a file imported again). */
export interface BankStatementImported { statementId: string; bankAccountId: string; lines: number }
/** A line (money in) was matched: to the payments it created or confirmed, settling those invoices, by `rule` (`manual` for a clerk). */
export interface BankLineMatched { lineId: string; paymentIds: string[]; invoiceIds: string[]; rule: string }
/** A line's match was undone: the payments it created are reversed, those it confirmed are unconfirmed. */
export interface BankLineUnmatched { lineId: string; paymentIds: string[] }

declare module '../../core/events/types.js' {
  interface EventMap {
    'bank.statement_imported': BankStatementImported;
    'bank.line_matched': BankLineMatched;
    'bank.line_unmatched': BankLineUnmatched;
  }
}

export const publicTables = [] as const;
