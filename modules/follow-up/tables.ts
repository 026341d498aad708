import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** `zalo`: a Zalo ZNS message (the sms module sends it; a level may name `sms` as its fallback). */
export type Channel = 'email' | 'sms' | 'letter' | 'zalo';
/** A level's fallback channels: when the reminder cannot go on the key channel, it goes once on the value's (`{zalo: 'sms'}`). */
export type ChannelFallback = Partial<Record<Channel, Channel>>;
export type ExclusionReason = 'dispute' | 'litigation' | 'agreed_delay';
export type PromiseChannel = 'phone' | 'email' | 'sms' | 'letter' | 'meeting' | 'portal' | 'other';
/**
 * pending: waiting for its channel's sender; sent: accepted by the mail server; rejected: refused
 * by it (the server's reason is kept); failed: could not be delivered (kept for retry by the
 * outbox); cancelled: paid (or nothing left to remind) before it went out; missing_contact: the
 * partner has no address for the channel; uncertain: the server stopped while handing the message
 * over, so it is not sent again (a clerk checks).
 */
export type ActionState = 'pending' | 'sent' | 'rejected' | 'failed' | 'cancelled' | 'missing_contact' | 'uncertain';

/** What a level asks a person to do besides the channels (a call, a task). */
export interface LevelActivity {
  type: 'call' | 'task';
  /** 'followup_responsible' (default), 'salesperson', or a user id. */
  responsible?: string;
  /** Days after the run date the activity is due (default 0). */
  dueInDays?: number;
  note?: string;
}

export interface FollowupLevelTable {
  tenant_id: string;
  id: Generated<string>;
  plan: string;
  name: string;
  /** Days from the due date (negative: before it). */
  delay: number;
  channels: ColumnType<Channel[], Channel[], Channel[]>;
  auto: boolean;
  /** Template name (files under templates/<name>/, or a tenant override); null: chosen by the delay. */
  template: string | null;
  attach_statement: boolean;
  activity: Json<LevelActivity | null>;
  fallback: ColumnType<ChannelFallback, string | undefined, string>;
  archived_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The follow-up state of one partner. */
export interface FollowupPartnerTable {
  tenant_id: string;
  partner_id: string;
  /** null: the tenant's default plan. */
  plan: string | null;
  responsible_user_id: string | null;
  /** Increases each time nothing is left to follow up (a new "episode" starts from the first level). */
  episode: number;
  last_level_id: string | null;
  last_level_delay: number | null;
  /** The date the last level was reached (run date). */
  last_reminder_on: string | null;
  /** A clerk rescheduled the follow-up: nothing is due before this date. */
  next_action_on: ColumnType<string | null, string | null | undefined, string | null>;
  /** The next date on which time alone can change the partner's decision (incremental runs look at it then); null: none. */
  next_check_on: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
}

/** A partner whose open items or follow-up facts changed since the last run (append-only; a run consumes the rows it saw). */
export interface FollowupChangeTable {
  tenant_id: string;
  partner_id: string;
  created_at: Timestamp;
}

export type RunMode = 'full' | 'incremental' | 'send' | 'refused';

/** Follow-up facts about one open item (a receivable line, i.e. an instalment). */
export interface FollowupItemTable {
  tenant_id: string;
  line_id: string;
  partner_id: string;
  excluded_reason: ExclusionReason | null;
  excluded_note: string | null;
  excluded_at: Date | null;
  promise_amount: bigint | null;
  promise_date: string | null;
  promise_by: string | null;
  promise_channel: PromiseChannel | null;
  promise_note: string | null;
  /** The item's residual when the promise was made: tells a kept promise from a broken one. */
  promise_residual: bigint | null;
  promised_at: Date | null;
  updated_at: Timestamp;
}

export interface FollowupRunTable {
  tenant_id: string;
  id: Generated<string>;
  date: string;
  dry_run: boolean;
  trigger: 'manual' | 'scheduled';
  actor_user_id: string | null;
  partners: number;
  actions: number;
  bank: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** full | incremental: a run; send: a level sent by hand; refused: the bank was not fresh. */
  mode: ColumnType<RunMode, RunMode | undefined, RunMode>;
  /** Fingerprint of the levels and settings the run decided with (an incremental run needs the last full run's). */
  basis: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** What the timeline keeps of a reminder email: everything but the attachments' bytes. */
export interface SentMessage {
  from: string; to: string | null; replyTo: string | null; subject: string; text: string; html: string;
  /** vi, en, zh or ar */
  language: string;
  /** Attachment file names. */
  attachments: string[];
}

export interface FollowupActionTable {
  tenant_id: string;
  id: Generated<string>;
  run_id: string;
  partner_id: string;
  level_id: string;
  episode: number;
  channel: Channel;
  date: string;
  state: ActionState;
  /** The address used (email, phone, postal address as text). */
  recipient: string | null;
  invoice_ids: string[];
  /** What happened, as `{code, message, …}` (see delivery.ts): the mail server's answer, why it was cancelled, what contact data is missing. */
  result: Json<Record<string, unknown> | null>;
  /** The message as it went out (or was refused); null until then. */
  message: ColumnType<SentMessage | null, string | null | undefined, string | null>;
  idempotency_key: string | null;
  created_at: Timestamp;
  done_at: Date | null;
}

/** One hand-over to an outside system, committed before the call (see email.ts). */
export interface FollowupSendAttemptTable {
  tenant_id: string;
  idempotency_key: string;
  action_id: string;
  state: 'sending' | 'sent' | 'rejected' | 'failed';
  attempts: number;
  response: string | null;
  started_at: Timestamp;
  finished_at: Date | null;
}

export interface FollowupActivityTable {
  tenant_id: string;
  id: Generated<string>;
  partner_id: string;
  level_id: string;
  episode: number;
  run_id: string;
  type: 'call' | 'task';
  responsible_user_id: string | null;
  due_on: string;
  note: string | null;
  state: 'open' | 'done';
  created_at: Timestamp;
}

export type CallOutcome = 'left_voicemail' | 'no_answer' | 'invoice_not_received' | 'dispute' | 'payment_sent' | 'promise_made' | 'wrong_contact' | 'other';

export interface FollowupNoteTable {
  tenant_id: string;
  id: Generated<string>;
  partner_id: string;
  kind: 'call' | 'note' | 'promise' | 'exclusion' | 'manual_send';
  outcome: CallOutcome | null;
  text: string | null;
  line_id: string | null;
  next_action_on: string | null;
  user_id: string | null;
  created_at: Timestamp;
}

/** queued → sending → sent | rejected (5xx) | failed (not configured, login refused, unreachable) | uncertain (stopped while handing over). */
export type MailState = 'queued' | 'sending' | 'sent' | 'rejected' | 'failed' | 'uncertain';

/** An email another module asked the follow-up to send (mail.ts). */
export interface FollowupMailTable {
  tenant_id: string;
  id: Generated<string>;
  module: string;
  /** What the mail is about, in the asking module's words (`documents_confirmation:<id>`). */
  about: string | null;
  recipient: string;
  subject: string;
  text: string;
  html: string | null;
  lang: string | null;
  /** Files as base64. */
  attachments: Json<Array<{ filename: string; contentType: string; content: string }>>;
  state: Generated<MailState>;
  result: ColumnType<Record<string, unknown> | null, string | undefined, string>;
  created_at: Generated<Date>;
  done_at: Date | null;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    followup_mail: FollowupMailTable;
    followup_level: FollowupLevelTable;
    followup_partner: FollowupPartnerTable;
    followup_change: FollowupChangeTable;
    followup_item: FollowupItemTable;
    followup_run: FollowupRunTable;
    followup_action: FollowupActionTable;
    followup_send_attempt: FollowupSendAttemptTable;
    followup_activity: FollowupActivityTable;
    followup_note: FollowupNoteTable;
  }
}
