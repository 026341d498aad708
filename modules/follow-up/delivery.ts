/**
 * What became of a reminder, in words a clerk reads on the action, the partner's timeline and the
 * run: every action `result` carries a machine `code` and a `message` (plus the details of the
 * mail server's answer).
 *
 * | state | code | when |
 * |---|---|---|
 * | sent | `sent` | the mail server accepted it |
 * | rejected | `refused` | the mail server refused it (5xx): "refused by the mail server: …" |
 * | pending | `retrying` | a temporary failure (no connection, 4xx): the outbox retries with backoff; the views add `nextAttemptAt` |
 * | failed | `not_configured` | email is not configured (no `email.host` or `email.from`) |
 * | failed | `auth_failed` | the mail server refused the login |
 * | failed | `unreachable` | the last retry failed too |
 * | failed | `template_error` | the tenant's template cannot be written (saved before templates were checked) |
 * | pending | `requeued` | a run queued a failed one again |
 * | cancelled | `nothing_left`, `paid`, `superseded` | nothing left to remind, paid (bank match), a later reminder replaces it |
 * | missing_contact | `missing_contact` | no address for the channel |
 * | uncertain | `uncertain` | the server stopped while handing it over; not sent again |
 *
 * `failed` is for conditions a person must fix (the settings) or that outlasted every retry: they are
 * not retried with backoff into a dead letter; the next run — the daily one, or a clerk's — queues
 * them again once email is configured, only the partner's latest reminder of its current episode
 * (an older one is `superseded`), and never one whose hand-over was started (exactly once).
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type { FollowUpApi, FollowUpSettings } from './context.js';
import type { Channel } from './tables.js';

export const EMAIL_SUBSCRIBER = 'follow-up:send-email';
/** Deliveries of one reminder before it is `failed` as `unreachable` (the last one does not throw: no dead letter). */
export const EMAIL_MAX_ATTEMPTS = 8;
/** Failed for a reason the next run can overcome: queued again when email is configured. */
export const REQUEUED_CODES = ['not_configured', 'auth_failed', 'unreachable'] as const;

export function emailConfigured(settings: FollowUpSettings): boolean {
  return settings.email.host.trim() !== '' && settings.email.from.trim() !== '';
}

export const NOT_CONFIGURED = 'email is not configured: set the follow-up settings email.host and email.from (PATCH /api/admin/tenants/{slug}/modules/follow-up); the first run after that sends this reminder';

/** A channel a run uses that cannot deliver now, with how many of the run's actions it concerns. */
export interface ChannelProblem { channel: Channel; code: 'not_configured' | 'no_sender'; message: string; actions: number }

const SENDER_MODULE: Record<Exclude<Channel, 'email'>, { module: string; what: string }> = {
  sms: { module: 'sms', what: 'text messages' },
  letter: { module: 'postal', what: 'letters' },
  zalo: { module: 'sms', what: 'Zalo messages' },
};

/**
 * The channels among `counts` (actions to deliver, per channel) that cannot deliver now: email
 * without an SMTP server, sms and letter without the module that sends them.
 */
export async function channelProblems(api: FollowUpApi, trx: Trx, tenantId: string, settings: FollowUpSettings, counts: Map<Channel, number>, dryRun: boolean): Promise<ChannelProblem[]> {
  const out: ChannelProblem[] = [];
  const would = dryRun ? 'would wait' : 'wait';
  for (const [channel, n] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n === 0) continue;
    const count = `${n} ${channel === 'email' ? 'email' : channel} reminder${n === 1 ? '' : 's'}`;
    if (channel === 'email') {
      if (!emailConfigured(settings)) {
        out.push({
          channel, code: 'not_configured', actions: n,
          message: `Email is not configured (the follow-up settings email.host and email.from): ${count} ${dryRun ? 'would not go out' : 'will not go out'}; ${dryRun ? 'they would be' : 'they are'} recorded as failed (not_configured) and the first run after email is configured sends them.`,
        });
      }
      continue;
    }
    const sender = SENDER_MODULE[channel];
    if (!(await api.isEnabled(trx, tenantId, sender.module))) {
      out.push({
        channel, code: 'no_sender', actions: n,
        message: `No module sends ${sender.what} for this company (module '${sender.module}' is not enabled): ${count} ${would} as pending until it is.`,
      });
    }
  }
  return out;
}

interface FailedRow { id: string; partner_id: string; episode: number; delay: number; result: Record<string, unknown> | null; current_episode: number; latest_delay: number }

/**
 * A run's second chance for the email reminders that failed for a reason it can overcome (see
 * above): when email is configured, the partner's latest one of its current episode is pending
 * again with a new `followup.action_created` (for the run's date: it lists what is open then), the
 * others are `superseded`. Returns how many are queued (a dry run only counts them).
 */
export async function requeueFailed(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, runId: string, date: string, settings: FollowUpSettings, dryRun: boolean, plannedEmail: Set<string> = new Set()): Promise<number> {
  if (!emailConfigured(settings)) return 0;
  const { rows } = await sql<FailedRow>`
    select a.id, a.partner_id, a.episode, l.delay, a.result, coalesce(p.episode, 1) as current_episode,
           (select max(l2.delay) from followup_action b join followup_level l2 on l2.tenant_id = b.tenant_id and l2.id = b.level_id
            where b.tenant_id = a.tenant_id and b.partner_id = a.partner_id and b.episode = a.episode and b.channel = 'email') as latest_delay
    from followup_action a
    join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
    left join followup_partner p on p.tenant_id = a.tenant_id and p.partner_id = a.partner_id
    where a.tenant_id = ${tenantId} and a.channel = 'email' and a.state = 'failed'
      and a.result->>'code' = any(${[...REQUEUED_CODES]}::text[])
      and not exists (select 1 from followup_send_attempt s where s.tenant_id = a.tenant_id and s.action_id = a.id and s.state in ('sending', 'sent', 'rejected'))
    order by a.partner_id, a.episode, l.delay
    ${dryRun ? sql`` : sql`for update of a`}`.execute(trx);
  // A dry run wrote nothing: a partner it would send a new email level to would have that one instead.
  const again = rows.filter((r) => r.episode === r.current_episode && r.delay === r.latest_delay && !(dryRun && plannedEmail.has(r.partner_id)));
  if (dryRun) return again.length;
  const superseded = rows.filter((r) => !again.includes(r));
  if (superseded.length > 0) {
    await sql`
      update followup_action set state = 'cancelled', done_at = now(),
        result = jsonb_build_object('code', 'superseded', 'message', 'not sent: a later reminder to the partner replaces it (it had failed: ' || coalesce(result->>'code', '?') || ')', 'previous', result)
      where tenant_id = ${tenantId} and id = any(${superseded.map((r) => r.id)}::uuid[])`.execute(trx);
  }
  if (again.length > 0) {
    await sql`
      update followup_action set state = 'pending', done_at = null,
        result = jsonb_build_object('code', 'requeued', 'message', 'queued again by the run of ' || ${date}::text || ' (it had failed: ' || coalesce(result->>'code', '?') || ')', 'previous', result)
      where tenant_id = ${tenantId} and id = any(${again.map((r) => r.id)}::uuid[])`.execute(trx);
    const levels = await trx.selectFrom('followup_action').select(['id', 'level_id']).where('tenant_id', '=', tenantId).where('id', 'in', again.map((r) => r.id)).execute();
    const levelOf = new Map(levels.map((l) => [l.id, l.level_id]));
    await api.emitMany(trx, tenantId, 'followup.action_created', again.map((r) => ({
      actionId: r.id, partnerId: r.partner_id, levelId: levelOf.get(r.id)!, channel: 'email' as const, runId, date,
    })), { actor });
    // Each had an attempt (failed): it goes alone, as a retry does, not with the run's new ones.
    await api.emitMany(trx, tenantId, 'followup.email_retry', again.map((r) => ({ actionId: r.id, partnerId: r.partner_id, date })), { actor });
  }
  if (rows.length > 0) {
    await api.audit(trx, tenantId, {
      actor, action: 'followup.reminders_requeued', entity: 'followup_run', entityId: runId,
      after: { date, requeued: again.map((r) => r.id), superseded: superseded.map((r) => r.id) },
    });
  }
  return again.length;
}

/**
 * Adds to pending reminders that are being retried when the next attempt is (the outbox's own
 * schedule) and says it in the message: "retrying, next attempt at …: <why>".
 */
export async function withNextAttempts<V extends { state: string; result: Record<string, unknown> | null }>(trx: Trx, tenantId: string, views: V[]): Promise<V[]> {
  const retrying = views.filter((v) => v.state === 'pending' && v.result?.code === 'retrying' && typeof v.result.eventId === 'string');
  if (retrying.length === 0) return views;
  const { rows } = await sql<{ event_id: string; state: string; next_attempt_at: Date; attempts: number }>`
    select event_id::text, state, next_attempt_at, attempts from core_event_delivery
    where tenant_id = ${tenantId} and subscriber = ${EMAIL_SUBSCRIBER} and event_id = any(${retrying.map((v) => v.result!.eventId as string)}::bigint[])`.execute(trx);
  const byEvent = new Map(rows.map((r) => [r.event_id, r]));
  for (const v of retrying) {
    const d = byEvent.get(v.result!.eventId as string);
    if (!d) continue;
    const why = String(v.result!.reason ?? '');
    v.result = d.state === 'pending'
      ? { ...v.result, nextAttemptAt: d.next_attempt_at.toISOString(), message: `retrying, next attempt at ${d.next_attempt_at.toISOString()}: ${why}` }
      : { ...v.result, nextAttemptAt: null, message: `not retried any more (delivery ${d.state} after ${d.attempts} attempts): ${why}` };
  }
  return views;
}
