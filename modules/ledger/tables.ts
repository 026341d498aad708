import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type AccountKind = 'receivable' | 'revenue' | 'output_tax' | 'bank' | 'outstanding_receipts' | 'other_income' | 'other_expense' | 'payment_discount' | 'bad_debt_provision' | 'other';
export type Trust = 'good' | 'normal' | 'bad';
export type PaymentState = 'not_paid' | 'partial' | 'in_payment' | 'paid' | 'reversed';
export type MoveKind = 'invoice' | 'credit_note' | 'payment' | 'write_off' | 'opening' | 'entry';

export interface Address {
  street?: string;
  ward?: string;
  /** Optional: since 2025 many Vietnamese addresses have no district level. */
  district?: string;
  province?: string;
  country?: string;
  postalCode?: string;
}

export interface Installment { dueDate: string; amount: string }

export interface LedgerAccountTable { tenant_id: string; code: string; name: string; kind: AccountKind }

export interface LedgerPartnerTable {
  tenant_id: string;
  id: Generated<string>;
  ref: string;
  name: string;
  email: string | null;
  phone: string | null;
  lang: string | null;
  address: Json<Address | null>;
  tax_code: string | null;
  salesperson_id: string | null;
  group_code: string | null;
  credit_limit: bigint | null;
  trust: ColumnType<Trust, Trust | undefined, Trust>;
  bank_accounts: ColumnType<string[], string[] | undefined, string[]>;
  /** The customer's own payment reference (migration 0010), taken on first use. */
  payment_reference: ColumnType<string | null, string | null | undefined, string | null>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LedgerPartnerContactTable {
  tenant_id: string;
  id: Generated<string>;
  partner_id: string;
  kind: 'followup' | 'invoice' | 'other';
  name: string;
  email: string | null;
  phone: string | null;
  lang: string | null;
}

export interface LedgerSequenceTable { tenant_id: string; series: string; year: number; next_number: number }

export interface LedgerMoveTable {
  tenant_id: string;
  id: ColumnType<string, string | undefined, never>;
  kind: MoveKind;
  journal: 'sales' | 'bank' | 'cash' | 'general';
  date: string;
  ref: string | null;
  partner_id: string | null;
  reversal_of: string | null;
  created_at: Timestamp;
}

export interface LedgerMoveLineTable {
  tenant_id: string;
  id: Generated<string>;
  move_id: string;
  account_code: string;
  partner_id: string | null;
  date: string;
  date_maturity: string | null;
  debit: bigint;
  credit: bigint;
  receivable: boolean;
  amount_residual: bigint;
  invoice_id: string | null;
  payment_id: string | null;
  description: string | null;
}

export interface LedgerInvoiceTable {
  tenant_id: string;
  id: ColumnType<string, string | undefined, never>;
  kind: 'invoice' | 'credit_note';
  number: string | null;
  partner_id: string;
  date: string;
  due_date: string | null;
  currency: string;
  state: 'draft' | 'posted';
  payment_state: ColumnType<PaymentState, PaymentState | undefined, PaymentState>;
  payment_reference: string | null;
  payment_term: Json<unknown | null>;
  installments: Json<Installment[] | null>;
  einvoice_form: string | null;
  einvoice_series: string | null;
  einvoice_number: string | null;
  untaxed: bigint;
  tax: bigint;
  total: bigint;
  residual: bigint;
  move_id: string | null;
  origin_invoice_id: string | null;
  notes: string | null;
  created_at: Timestamp;
  posted_at: Date | null;
}

/** The signed e-invoice XML an imported invoice came from. */
export interface LedgerEInvoiceDocumentTable { tenant_id: string; invoice_id: string; file_name: string; xml: string; imported_at: Generated<Date> }

/** `columns`: the file's header (as written) → the import's column key. */
export interface LedgerImportMappingTable {
  tenant_id: string;
  kind: 'partners' | 'opening-balances' | 'invoices' | 'receipts';
  columns: ColumnType<Record<string, string>, string, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface LedgerInvoiceLineTable {
  tenant_id: string;
  invoice_id: string;
  position: number;
  description: string;
  quantity: string;
  unit_price: bigint;
  tax_rate: string;
  subtotal: bigint;
  tax: bigint;
  account_code: string;
}

export interface LedgerPaymentTable {
  tenant_id: string;
  id: Generated<string>;
  partner_id: string;
  date: string;
  amount: bigint;
  currency: string;
  reference: string | null;
  journal: 'bank' | 'cash';
  move_id: string;
  bank_matched: ColumnType<boolean, boolean | undefined, boolean>;
  /** Set when the payment was cancelled by a reversal entry (e.g. a bank match undone). */
  reversed_on: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface LedgerPartialTable {
  tenant_id: string;
  id: Generated<string>;
  debit_line_id: string;
  credit_line_id: string;
  amount: bigint;
  date: string;
  created_at: Timestamp;
  undone_at: Date | null;
  undone_on: string | null;
  /** Copies of the two lines' partner, dates and due dates (posted lines never change), for historical aging. */
  partner_id: ColumnType<string | null, string | null | undefined, never>;
  debit_date: ColumnType<string | null, string | null | undefined, never>;
  debit_due: ColumnType<string | null, string | null | undefined, never>;
  credit_date: ColumnType<string | null, string | null | undefined, never>;
  credit_due: ColumnType<string | null, string | null | undefined, never>;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    ledger_account: LedgerAccountTable;
    ledger_partner: LedgerPartnerTable;
    ledger_partner_contact: LedgerPartnerContactTable;
    ledger_sequence: LedgerSequenceTable;
    ledger_move: LedgerMoveTable;
    ledger_move_line: LedgerMoveLineTable;
    ledger_invoice: LedgerInvoiceTable;
    ledger_invoice_line: LedgerInvoiceLineTable;
    ledger_payment: LedgerPaymentTable;
    ledger_partial: LedgerPartialTable;
    ledger_einvoice_document: LedgerEInvoiceDocumentTable;
    ledger_import_mapping: LedgerImportMappingTable;
  }
}
