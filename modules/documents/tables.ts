import type { ColumnType, Generated } from 'kysely';

export type ConfirmationState = 'open' | 'confirmed' | 'disputed';

/** An open item as the confirmation listed it (minor units as decimal text: jsonb has no bigint). */
export interface ConfirmedItem { ref: string; date: string; dueDate: string; amount: string; residual: string }

export interface DocumentsConfirmationTable {
  tenant_id: string;
  id: string;
  partner_id: string;
  as_of: ColumnType<string, string, never>;
  currency: string;
  balance: ColumnType<bigint, bigint, never>;
  items: ColumnType<ConfirmedItem[], string, never>;
  lang: string;
  token: string;
  /** The customer's link, as it was given out (CONGNO_PUBLIC_URL or the address the clerk used). */
  url: string;
  expires_at: Date;
  state: Generated<ConfirmationState>;
  answered_at: Date | null;
  /** The name the customer typed. */
  answered_by: string | null;
  answered_ip: string | null;
  answered_agent: string | null;
  /** The balance by the customer's books: the balance itself when confirmed. */
  answered_amount: bigint | null;
  answered_note: string | null;
  /** The last email of it (the follow-up's mail), to whom and when. */
  mail_id: string | null;
  sent_to: string | null;
  sent_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface DocumentsLogoTable {
  tenant_id: string;
  content: Buffer;
  media_type: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  sha256: string;
  updated_at: Generated<Date>;
}

declare module '../../core/db/tables.js' {
  interface Tables { documents_confirmation: DocumentsConfirmationTable; documents_logo: DocumentsLogoTable }
}
