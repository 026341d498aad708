import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | (T extends null ? null : never), string | (T extends null ? null : never)>;

export type Provider = 'smpp' | 'esms' | 'speedsms' | 'http' | 'zalo';
export type Encoding = 'gsm7' | 'ucs2';

/**
 * queued (waiting for its window, or its turn) → submitted (the provider took it: `provider_id`)
 * → delivered | failed (the network's reason) | expired (never reached the phone in time);
 * failed also before submitting (refused: the gateway's reason); cancelled before it left (paid
 * meanwhile, opted out, or by a clerk); unknown: the hand-over's answer was lost, so it is not
 * sent again until a clerk decides.
 */
export type MessageState = 'queued' | 'submitted' | 'delivered' | 'failed' | 'expired' | 'cancelled' | 'unknown';

export interface SmsMessageTable {
  tenant_id: string;
  id: string;
  /** The follow-up action it delivers; null for a clerk's own message. */
  action_id: string | null;
  channel: 'sms' | 'zalo';
  partner_id: string;
  /** E.164. */
  phone: string;
  /** What the phone shows (SMS), or the ZNS template's data as text (Zalo). */
  text: string;
  encoding: Encoding;
  parts: number;
  lang: string;
  provider: Provider;
  state: MessageState;
  /** Not before this instant (quiet hours, a throttled gateway). */
  not_before: Timestamp;
  /** The hand-over, committed before the call: null, 'sending' (outcome unknown if found again), 'done'. */
  submit_state: 'sending' | 'done' | null;
  submit_started_at: Date | null;
  provider_id: string | null;
  /** The provider's ids of every part (SMPP), else its one id: what reports name. */
  part_ids: string[] | null;
  /** The sending round that claimed it; its sender holds an advisory lock on it while alive. */
  submit_batch: string | null;
  /** Estimated cost in the company currency's minor units. */
  cost: ColumnType<bigint, bigint | string, bigint | string>;
  /** Zalo: the ZNS template and its data. */
  template: Json<{ id: string; data: Record<string, string> } | null>;
  /** The SMS that took over this Zalo message, or the Zalo message this SMS takes over. */
  fallback_of: string | null;
  /** The last thing the provider or the network said, as `{code, message, …}`. */
  result: Json<Record<string, unknown> | null>;
  created_by: string | null;
  created_at: Timestamp;
  submitted_at: Date | null;
  done_at: Date | null;
}

export interface SmsOptOutTable {
  tenant_id: string;
  /** E.164. */
  phone: string;
  partner_id: string | null;
  /** 'clerk': set by a clerk; 'stop': the customer replied STOP through a gateway. */
  source: 'clerk' | 'stop';
  note: string | null;
  created_by: string | null;
  created_at: Timestamp;
}

/** A delivery report that came before its message's hand-over was on record: applied when it is. */
export interface SmsReportTable {
  tenant_id: string;
  provider: string;
  provider_id: string;
  state: string;
  report: ColumnType<{ providerId: string; state: string; code: string; message: string; at: string }, string, string>;
  created_at: Timestamp;
}

/** A follow-up reminder taken in, waiting to be written (many at once) into a message. */
export interface SmsIntakeTable {
  tenant_id: string;
  action_id: string;
  channel: 'sms' | 'zalo';
  partner_id: string;
  level_id: string;
  date: ColumnType<string, string, string>;
  created_at: Timestamp;
}

/** Per tenant: the secret its providers' callbacks carry in their URL (a link token, core/links.ts). */
export interface SmsCallbackTable {
  tenant_id: string;
  id: string;
  token: string;
  created_at: Timestamp;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    sms_message: SmsMessageTable;
    sms_intake: SmsIntakeTable;
    sms_report: SmsReportTable;
    sms_opt_out: SmsOptOutTable;
    sms_callback: SmsCallbackTable;
  }
}
