import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type MatchState = 'unmatched' | 'suggested' | 'matched';

export interface BankAccountTable {
  tenant_id: string;
  id: Generated<string>;
  /** As the bank writes it (leading zeros kept). */
  number: string;
  currency: string;
  name: string | null;
  /** A saved CSV/XLSX column mapping (or preset name) for this account's exports. */
  csv_mapping: Json<unknown> | null;
  created_at: Timestamp;
}

export interface BankStatementTable {
  tenant_id: string;
  id: Generated<string>;
  bank_account_id: string;
  number: string | null;
  format: string;
  opening_date: string | null;
  opening_amount: bigint | null;
  closing_date: string | null;
  closing_amount: bigint | null;
  /** Closing − (opening + lines) when the file did not add up and was imported anyway. */
  balance_difference: bigint | null;
  file_hash: string;
  imported_by: string | null;
  imported_at: Timestamp;
}

export interface BankStatementLineTable {
  tenant_id: string;
  id: Generated<string>;
  statement_id: string;
  bank_account_id: string;
  position: number;
  date: string;
  value_date: string | null;
  amount: bigint;
  reference: string | null;
  counterparty: string | null;
  counterparty_account: string | null;
  description: string;
  bank_transaction_id: string | null;
  /** What makes this line the same line in another file: the bank's id or a content hash. */
  dedupe_key: string;
  match_state: ColumnType<MatchState, MatchState | undefined, MatchState>;
  partner_id: string | null;
  /** The matching rule (cascade tier or saved rule) and why, for the clerk to read. */
  match_rule: string | null;
  match_reason: string | null;
  /** Suggested invoices with their score, best first, while the line is `suggested`. */
  suggestion: Json<Suggestion[] | null> | null;
  version: Generated<number>;
}

export interface Suggestion { partnerId: string; invoiceIds: string[]; rule: string; reason: string }

/** One line matched to one ledger payment (created by the match, or registered before and confirmed). */
export interface BankMatchTable {
  tenant_id: string;
  id: Generated<string>;
  line_id: string;
  payment_id: string;
  /** The part of the line's amount this payment takes (several lines may pay one invoice, a line may be split). */
  amount: bigint;
  /** True when the match created the payment: undoing it reverses the payment. */
  created_payment: boolean;
  rule: string;
  reason: string;
  matched_by: string | null;
  matched_at: Timestamp;
  undone_at: Date | null;
}

export interface BankRuleTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  sequence: number;
  active: boolean;
  /** All given conditions must hold: textContains, textRegex, counterpartyAccount, amountMin, amountMax. */
  conditions: Json<RuleConditions>;
  /** partner: the payer; toleranceAmount: a difference written off; autoValidate: apply without a clerk. */
  action: Json<RuleAction>;
  created_at: Timestamp;
}

export interface RuleConditions { textContains?: string; textRegex?: string; counterpartyAccount?: string; amountMin?: string; amountMax?: string }
export interface RuleAction { partner?: string; toleranceAmount?: string; autoValidate?: boolean }

declare module '../../core/db/tables.js' {
  interface Tables {
    bank_reconciliation_account: BankAccountTable;
    bank_reconciliation_statement: BankStatementTable;
    bank_reconciliation_line: BankStatementLineTable;
    bank_reconciliation_match: BankMatchTable;
    bank_reconciliation_rule: BankRuleTable;
  }
}
