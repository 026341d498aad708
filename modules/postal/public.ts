/**
 * What other modules may use of the postal module: its events (webhooks and the worklist react to
 * them). Amounts in payloads are decimal strings. No service, no public table.
 */
import type { ScheduledPeriod } from '../../core/events/types.js';

/** A letter left for the printer: Docsaway accepted it (`reference`, `price`), or it is in the day's batch (`batchId`). */
export interface LetterSubmitted {
  letterId: string; actionId: string; partnerId: string; provider: 'docsaway' | 'sftp-batch' | 'print';
  batchId: string | null; reference: string | null; price: string | null; currency: string | null;
}
/** The letter is in the post. */
export interface LetterPosted { letterId: string; actionId: string; partnerId: string; postedAt: string }
/** The letter came back: the partner's address is marked unusable until it changes. */
export interface LetterReturned { letterId: string; actionId: string; partnerId: string; reason: string; returnedAt: string }

declare module '../../core/events/types.js' {
  interface EventMap {
    'letter.submitted': LetterSubmitted;
    'letter.posted': LetterPosted;
    'letter.returned': LetterReturned;
    /** Every 15 minutes (tenant time zone): the module checks whether the day's cut-off has come. */
    'postal.clock_ticked': ScheduledPeriod;
    /** A Docsaway letter to submit (internal). */
    'postal.letter_queued': { letterId: string };
    /** A batch to upload to the mail house (internal). */
    'postal.batch_created': { batchId: string };
  }
}

export const publicTables = [] as const;
