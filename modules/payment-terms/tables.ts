import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type LineValue = 'percent' | 'fixed' | 'balance';
export type DelayType = 'days_after' | 'days_after_end_of_month' | 'days_after_end_of_next_month' | 'days_end_of_month_on_the';

export interface PaymentTermsTermTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  current_version: number;
  archived_at: Date | null;
  seq: Generated<bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One immutable version of a term (a database trigger refuses updates). */
export interface PaymentTermsVersionTable {
  tenant_id: string;
  term_id: string;
  version: number;
  name: string;
  note: string | null;
  /** numeric, read back as a decimal string */
  discount_percent: string | null;
  discount_days: number | null;
  created_at: Timestamp;
  created_by: string | null;
}

export interface PaymentTermsLineTable {
  tenant_id: string;
  term_id: string;
  version: number;
  position: number;
  value: LineValue;
  /** Percent (percent lines) or amount in major units (fixed lines), as a decimal string; null for the balance line. */
  amount: string | null;
  delay_type: DelayType;
  days: number;
  day_of_month: number | null;
}

export interface PaymentTermsPartnerDefaultTable {
  tenant_id: string;
  partner_id: string;
  term_id: string;
  updated_at: Timestamp;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    payment_terms_term: PaymentTermsTermTable;
    payment_terms_version: PaymentTermsVersionTable;
    payment_terms_line: PaymentTermsLineTable;
    payment_terms_partner_default: PaymentTermsPartnerDefaultTable;
  }
}
