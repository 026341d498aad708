import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | (T extends null ? null : never), string | (T extends null ? null : never)>;

export type Provider = 'docsaway' | 'sftp-batch' | 'print';

/**
 * queued (rendered, waiting for the provider or the day's batch) → submitted (Docsaway accepted
 * it) or batched (in the day's batch) → printed → posted → delivered | returned; cancelled before
 * it left (paid meanwhile, or by a clerk); uncertain: the provider's answer was lost and the
 * provider did not know the letter when asked, so it is not sent again until a clerk decides.
 */
export type LetterState = 'queued' | 'submitted' | 'batched' | 'printed' | 'posted' | 'delivered' | 'returned' | 'cancelled' | 'uncertain';

/** The envelope the mail house puts it in: DL (folded, up to 5 sheets) or C4 (flat). */
export type Envelope = 'DL' | 'C4';

/** Where it goes: the lines printed in the window, and the parts a provider needs. */
export interface LetterAddress {
  name: string; contact: string | null; street: string; ward: string | null; district: string | null;
  city: string; province: string | null; postcode: string | null; country: string; lines: string[];
}

export interface PostalLetterTable {
  tenant_id: string;
  id: string;
  action_id: string;
  partner_id: string;
  level_id: string;
  /** The reminder's date (the run's). */
  date: ColumnType<string, string, never>;
  lang: string;
  provider: Provider;
  state: LetterState;
  address: Json<LetterAddress>;
  /** The address's fingerprint when it was used: a returned letter blocks that address, not a corrected one. */
  address_hash: string;
  pages: number;
  sheets: number;
  envelope: Envelope;
  pdf: ColumnType<Buffer, Buffer, never>;
  sha256: string;
  batch_id: string | null;
  /** The provider's reference (Docsaway's transaction reference). */
  reference: string | null;
  price: bigint | null;
  price_currency: string | null;
  /** The hand-over to the provider, committed before the call: null, 'sending' (outcome unknown if found again), 'done'. */
  submit_state: 'sending' | 'done' | null;
  submit_started_at: Date | null;
  /** Docsaway: the account's volume (documents sent) just before the hand-over, to settle an unknown outcome. */
  submit_volume: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  /** The last thing the provider said, or why it is held, as `{code, message, …}`. */
  result: Json<Record<string, unknown> | null>;
  return_reason: string | null;
  created_at: Timestamp;
  submitted_at: Date | null;
  printed_at: Date | null;
  posted_at: Date | null;
  delivered_at: Date | null;
  returned_at: Date | null;
  cancelled_at: Date | null;
}

export type BatchState = 'ready' | 'uploaded' | 'printed' | 'posted';

export interface PostalBatchTable {
  tenant_id: string;
  id: string;
  provider: 'sftp-batch' | 'print';
  /** The business day it is the batch of (tenant time zone). */
  date: ColumnType<string, string, never>;
  state: BatchState;
  letters: number;
  pages: number;
  sheets: number;
  /** The file's name: letters-<date>.zip (sftp-batch) or letters-<date>.pdf (print). */
  file_name: string;
  /** Of the file's bytes, when it was first built (the same every time). */
  sha256: string | null;
  bytes: bigint | null;
  upload_state: 'sending' | 'done' | 'failed' | null;
  upload_result: Json<Record<string, unknown> | null>;
  created_at: Timestamp;
  uploaded_at: Date | null;
  printed_at: Date | null;
  posted_at: Date | null;
}

/** A partner's address that a letter came back from: the next letters to it wait for a corrected one. */
export interface PostalReturnedAddressTable {
  tenant_id: string;
  partner_id: string;
  address_hash: string;
  letter_id: string;
  reason: string;
  created_at: Timestamp;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    postal_letter: PostalLetterTable;
    postal_batch: PostalBatchTable;
    postal_returned_address: PostalReturnedAddressTable;
  }
}
