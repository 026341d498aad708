/**
 * What every statement parser returns: statements with signed amounts (credit positive) in integer
 * minor units of the statement's currency, plus warnings for what was read leniently. `toJson`
 * turns a result into the shape of `POST /api/bank-reconciliation/parse` (decimal strings).
 */
import { statementAmount } from './common.js';

export type StatementFormat = 'mt940' | 'camt052' | 'camt053' | 'camt054' | 'ofx' | 'csv' | 'xlsx';

export interface Balance {
  date: string;
  /** Signed minor units: a debit (overdrawn) balance is negative. */
  amount: bigint;
  /** Worked out from the other balance and the lines, not read from the file (OFX, some CSV). */
  computed?: boolean;
}

export interface ParsedLine {
  /** Booking date (entry date); the value date when the file gives only that. */
  date: string;
  valueDate?: string;
  /** Signed minor units: money in (credit) positive, money out (debit) negative. */
  amount: bigint;
  /** End-to-end id or the customer's reference when present, else the bank's transaction id. */
  reference?: string;
  counterparty?: string;
  counterpartyAccount?: string;
  description: string;
  /** The bank's own id of the booking (MT940 `//` reference, camt AcctSvcrRef, OFX FITID). */
  bankTransactionId?: string;
}

export interface ParsedStatement {
  /** As the bank writes it, leading zeros kept. */
  account: string;
  currency: string;
  number?: string;
  /**
   * Absent only where the file has no such balance: camt.054 notifications carry none, and a
   * balance in another currency than the account's is dropped (both with a warning).
   */
  opening?: Balance;
  closing?: Balance;
  lines: ParsedLine[];
  /** Lenient readings of this statement ("line 14: …"), for the user to see. */
  warnings: string[];
  /**
   * Transactions that could not be read and were left out ("line 34: TRNAMT '$120' is not an
   * amount"): shown by a parse, refused by an import unless forced, since nothing shows them in
   * the balance check (OFX's opening is computed from the lines read).
   */
  discarded?: string[];
}

export interface ParseResult {
  format: StatementFormat;
  /** The text encoding the bytes were read in (absent for XLSX). */
  encoding?: string;
  statements: ParsedStatement[];
  /** Findings about the file as a whole (encoding guessed, no statement in it, …). */
  warnings: string[];
}

export interface BalanceJson { date: string; amount: string }
export interface LineJson {
  date: string; valueDate?: string; amount: string; reference?: string; counterparty?: string;
  counterpartyAccount?: string; description: string;
}
export interface StatementJson {
  account: string; currency: string; number?: string; opening?: BalanceJson; closing?: BalanceJson; lines: LineJson[];
}

const balanceJson = (b: Balance, currency: string): BalanceJson => ({ date: b.date, amount: statementAmount(b.amount, currency) });

export function statementToJson(s: ParsedStatement): StatementJson {
  return {
    account: s.account,
    currency: s.currency,
    ...(s.number !== undefined ? { number: s.number } : {}),
    ...(s.opening ? { opening: balanceJson(s.opening, s.currency) } : {}),
    ...(s.closing ? { closing: balanceJson(s.closing, s.currency) } : {}),
    lines: s.lines.map((l) => ({
      date: l.date,
      ...(l.valueDate !== undefined ? { valueDate: l.valueDate } : {}),
      amount: statementAmount(l.amount, s.currency),
      ...(l.reference !== undefined ? { reference: l.reference } : {}),
      ...(l.counterparty !== undefined ? { counterparty: l.counterparty } : {}),
      ...(l.counterpartyAccount !== undefined ? { counterpartyAccount: l.counterpartyAccount } : {}),
      description: l.description,
    })),
  };
}

/** The body of `POST /api/bank-reconciliation/parse`. */
export function toJson(result: ParseResult): { format: StatementFormat; statements: StatementJson[] } {
  return { format: result.format, statements: result.statements.map(statementToJson) };
}
