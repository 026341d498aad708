/**
 * The follow-up module's public surface: the only file of it another module may import (with
 * `follow-up` in its `depends` or `optional`). A channel module (sms, postal letters) listens to
 * `followup.action_created` for its channel and delivers the reminder.
 */
import type { Trx } from '../../core/db/kysely.js';
import type { ScheduledPeriod } from '../../core/events/types.js';
import type { Channel } from './tables.js';

export type { Channel };

/** A follow-up level as a reminder of it is written. */
export interface ReminderLevel { id: string; plan: string; name: string; delay: number; template: string; attachStatement: boolean; channels: Channel[] }

/** What a reminder of a level says to a partner on a date: the same facts the email is written from. */
export interface ReminderContent {
  level: ReminderLevel;
  date: string;
  /** The follow-up contact's name, else none (the letter then addresses the company). */
  contactName: string | null;
  /** The partner's (or its follow-up contact's) language tag, if any. */
  lang: string | null;
  /** The open items reminded of, oldest due first; `daysOverdue` 0 when not yet due. */
  items: Array<{ label: string; invoiceId: string | null; dueDate: string; daysOverdue: number; residual: bigint }>;
  /** Who the customer talks to: the partner's follow-up responsible, else its salesperson. */
  responsible: { name: string; phone: string | null; email: string | null } | null;
}

/** What a documents module offers the follow-up's reminders (see `documents.register`). */
export interface ReminderDocuments {
  /** The partner's statement of open items on `date` as a PDF, in `lang` (a language tag). */
  statement(trx: Trx, tenantId: string, partnerId: string, date: string, lang: string | null): Promise<{ filename: string; content: Buffer }>;
  /**
   * A QR code that pays `amount` for these items (an invoice's own payment reference when they
   * are of one invoice, else the partner's), and the line to print under it in `lang`; null when
   * the company has no receiving account set.
   */
  paymentCode(trx: Trx, tenantId: string, partnerId: string, amount: bigint, lang: string, invoiceIds: Array<string | null>): Promise<{ png: Buffer; payload: string; reference: string; caption: string } | null>;
}

/** An email another module sends through the company's mail server (the follow-up's settings). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Its language tag (Content-Language). */
  lang?: string;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
  /** What it is about, in the sender's words (e.g. `documents_confirmation:<id>`). */
  about?: string;
}

/** What became of a mail: queued → sending → sent | rejected (5xx, with the server's words) | failed (not configured, login refused, unreachable) | uncertain. */
export interface QueuedMail {
  id: string; to: string; state: 'queued' | 'sending' | 'sent' | 'rejected' | 'failed' | 'uncertain';
  /** `code` and `message` in words (the mail server's answer). */
  result: Record<string, unknown> | null;
  createdAt: Date; doneAt: Date | null;
}

/** A reminder on a channel, as its channel module sees it (see `FollowUpService.actions`). */
export interface ReminderAction {
  id: string; partnerId: string; levelId: string; levelName: string; channel: Channel; date: string;
  state: 'pending' | 'sent' | 'rejected' | 'failed' | 'cancelled' | 'missing_contact' | 'uncertain';
  recipient: string | null; invoiceIds: string[];
  /** Whether the level sends the statement of open items with the reminder. */
  attachStatement: boolean;
  /** The channel the level names to take over when this one cannot deliver (`sms` for `zalo`), else null. */
  fallback: Channel | null;
}

/**
 * What became of a reminder on its channel, recorded on the action (its run, the actions list and
 * the partner's timeline show it): `code` a machine word, `message` the words a clerk reads.
 * `pending` keeps it waiting (e.g. a letter queued for the day's batch).
 */
export interface ActionOutcome {
  state: ReminderAction['state'];
  code: string;
  message: string;
  /** The address used, as text. */
  recipient?: string | null;
  /** Anything else worth keeping with it (the provider's reference, a letter id). */
  details?: Record<string, unknown>;
}

export interface FollowUpService {
  /** For channel modules (sms, postal letters): the actions they deliver and what became of them. */
  actions: {
    /** An action of the tenant; `lock`: its row is locked for the caller's transaction (the run's cancellation on payment waits). */
    get(trx: Trx, tenantId: string, actionId: string, options?: { lock?: boolean }): Promise<ReminderAction | null>;
    /** The same for many actions at once (a day's batch of letters), by id; unknown ids are left out. */
    getMany(trx: Trx, tenantId: string, actionIds: string[], options?: { lock?: boolean }): Promise<Map<string, ReminderAction>>;
    /** Records `outcome` on the action of `channel` (nothing happens for an action of another channel). */
    record(trx: Trx, tenantId: string, actionId: string, channel: Channel, outcome: ActionOutcome): Promise<void>;
    /** The same for many actions, in one statement. */
    recordMany(trx: Trx, tenantId: string, channel: Channel, outcomes: Array<{ actionId: string; outcome: ActionOutcome }>): Promise<void>;
  };
  /** A line on the partner's follow-up timeline (e.g. "letter returned: address marked unusable"), by `actor`. */
  timeline: {
    note(trx: Trx, tenantId: string, partnerId: string, text: string, userId: string | null): Promise<void>;
  };
  reminders: {
    /**
     * The reminder of `level` (id or name; default: the level due on `date`, else the one the
     * partner is at) for a partner on `date`. 400 naming `level` for an unknown level; 409 when no
     * level applies or nothing would be reminded.
     */
    content(trx: Trx, tenantId: string, partnerId: string, options: { level?: string; date: string }): Promise<ReminderContent>;
    /**
     * The reminders of many actions at once (a channel module writing a batch): per request, the
     * content of the action's level (by id) for the partner on its date, or why there is none
     * (`nothing-to-remind`: paid or excluded since; `no-level`: the level is gone). Keyed by `key`.
     */
    contentMany(trx: Trx, tenantId: string, requests: Array<{ key: string; partnerId: string; levelId: string; date: string }>): Promise<Map<string, ReminderContent | { problem: string; detail: string }>>;
    /**
     * Whether a reminder to the partner on `date` would come sooner than the minimum interval
     * after its last one (the settings' minIntervalDays): a clerk's own message warns then.
     */
    interval(trx: Trx, tenantId: string, partnerId: string, date: string): Promise<{ lastReminderOn: string | null; minIntervalDays: number; tooSoon: boolean }>;
  };
  documents: {
    /** Offers statements and payment codes to reminder emails of the tenants that enable `module`; one provider per server. */
    register(module: string, provider: ReminderDocuments): void;
    /** The provider for a tenant: null when none is registered or its module is off for the tenant. */
    providerFor(trx: Trx, tenantId: string): Promise<ReminderDocuments | null>;
  };
  mail: {
    /**
     * Sends `mail` once, after the caller's transaction commits, through the company's mail
     * server (retried while it is unreachable). 409 `email-not-configured` when the company has
     * none; 400 naming `to` for a recipient that is not an address.
     */
    send(trx: Trx, tenantId: string, module: string, mail: OutgoingMail): Promise<QueuedMail>;
    get(trx: Trx, tenantId: string, id: string): Promise<QueuedMail | null>;
  };
}

declare module '../../core/modules/services.js' {
  interface ModuleServices { 'follow-up': FollowUpService }
}

/** The daily run of a tenant, once per date (dedupe key `followup:run@<date>`). */
export interface FollowUpRunRequested { date: string; trigger: 'scheduled' }
/** A reminder to deliver on a channel; each channel's sender subscribes (email here; sms and letter modules later). */
export interface FollowUpActionCreated { actionId: string; partnerId: string; levelId: string; channel: Channel; runId: string; date: string }

declare module '../../core/events/types.js' {
  interface EventMap {
    /** Every hour (tenant time zone): the module checks whether the daily run is due. */
    'followup.clock_ticked': ScheduledPeriod;
    'followup.run_requested': FollowUpRunRequested;
    'followup.action_created': FollowUpActionCreated;
    /** Internal: a run created email reminders; the sender takes them in rounds (email.ts). */
    'followup.emails_queued': { count: number };
    /** Internal: one email reminder to hand over again, alone (a temporary failure, or a failed one queued again). */
    'followup.email_retry': { actionId: string; partnerId: string; date: string };
    /** Another module's email is stored; the follow-up's sender hands it to the mail server. */
    'followup.mail_queued': { mailId: string; module: string };
  }
}

/** No table is public yet. */
export const publicTables = [] as const;
