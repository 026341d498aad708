/**
 * The follow-up module's public surface: the only file of it another module may import (with
 * `follow-up` in its `depends` or `optional`). A channel module (sms, postal letters) listens to
 * `followup.action_created` for its channel and delivers the reminder.
 */
import type { ScheduledPeriod } from '../../core/events/types.js';
import type { Channel } from './tables.js';

export type { Channel };

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
  }
}

/** No table is public yet. */
export const publicTables = [] as const;
