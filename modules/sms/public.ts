/**
 * What other modules may use of the sms module: its events (webhooks and the worklist react to
 * them). No service, no public table.
 */
import type { ScheduledPeriod } from '../../core/events/types.js';

interface MessageRef { messageId: string; actionId: string | null; partnerId: string; channel: 'sms' | 'zalo'; phone: string }
/** The provider took the message. */
export interface SmsSubmitted extends MessageRef { provider: string; providerId: string; parts: number }
/** The network says it reached the phone. */
export interface SmsDelivered extends MessageRef { deliveredAt: string }
/** It did not and will not reach the phone: refused, failed or expired (`code`, `reason` in words). */
export interface SmsFailed extends MessageRef { state: 'failed' | 'expired'; code: string; reason: string }

declare module '../../core/events/types.js' {
  interface EventMap {
    'sms.submitted': SmsSubmitted;
    'sms.delivered': SmsDelivered;
    'sms.failed': SmsFailed;
    /** Every 5 minutes: queued messages whose window has come go; hand-overs lost in a crash become `unknown`; late Zalo messages fall back to SMS. */
    'sms.clock_ticked': ScheduledPeriod;
    /** Follow-up reminders taken in, to write and send (internal). */
    'sms.reminders_received': { count: number };
    /** A message to send (internal). */
    'sms.message_queued': { messageId: string };
  }
}

export const publicTables = [] as const;
