/**
 * The email channel. It renders each reminder from what is open *now* (a payment since the run
 * takes the invoice off the list, and nothing left to remind cancels the action) and hands it to
 * the tenant's SMTP server over pooled connections (`smtp.ts`). The message is built by
 * `message.ts`, the same function a clerk's preview uses.
 *
 * Many at a time: a run that creates email reminders emits one `followup.emails_queued`; its
 * delivery takes up to BATCH pending reminders (`skip locked`: never one another sender holds),
 * reads what they say in a few statements for the round, hands them over together and records the
 * answers in one statement each; a full round asks for the next. A reminder that could not go for a while (no
 * connection, 4xx) stays pending (`retrying`) with a `followup.email_retry` of its own: that one is
 * tried alone, with the outbox's backoff, by the subscriber `follow-up:send-email`, as is a failed
 * reminder a later run queues again.
 *
 * Exactly once: the attempt is committed under the reminder's key (`actionId:follow-up:send-email`)
 * *before* the SMTP call, in a transaction of its own, and the key is the message's Message-ID.
 * A sender that comes to a pending reminder and finds its attempt
 * - `sent` or `rejected`: records the earlier result, sends nothing;
 * - `sending` (its row free, so its sender is gone): the process stopped while handing the message
 *   over — whether the mail server took it is unknown, so it is not sent again: the action becomes
 *   `uncertain` for a clerk to check (the Message-ID finds it in the mail server's log);
 * - `failed` (a temporary failure): sends again — only the reminder's own retry does.
 * A permanent refusal (5xx) is recorded as `rejected` with the server's reason, not retried.
 *
 * What became of it is on the action in words (`delivery.ts`): email not configured or a refused
 * login make the action `failed` (not_configured, auth_failed) — no retry with backoff, no stack
 * trace: the next run queues it again once the settings are fixed —; a temporary failure leaves it
 * `pending` with `retrying` and the reason (the views add the next attempt's time) while the outbox
 * retries, and the last attempt makes it `failed` (unreachable) instead of a dead letter.
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import type { Actor, DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import type { FastifyBaseLogger } from 'fastify';
import type { FollowUpApi, FollowUpSettings } from './context.js';
import { EMAIL_MAX_ATTEMPTS, NOT_CONFIGURED, emailConfigured } from './delivery.js';
import { RetryLater } from '../../core/events/retry-later.js';
import { composeReminder, messageRecord, reminderFactsMany, replyTos, type ReminderEmail, type ReminderLevel } from './message.js';
import type { SmtpPools } from './smtp.js';
import type { SentMessage } from './tables.js';

/** Reminders handed over together in one round (one delivery). */
export const BATCH = 50;

type Outcome = {
  state: 'pending' | 'sent' | 'rejected' | 'cancelled' | 'missing_contact' | 'uncertain' | 'failed';
  recipient?: string | null;
  result: Record<string, unknown>;
  message?: SentMessage;
};

/** The idempotency key of a reminder's hand-over: one per action, whichever delivery sends it. */
export function attemptKey(actionId: string): string {
  return `${actionId}:follow-up:send-email`;
}

export function messageId(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@congno.followup>`;
}

/** Records outcomes on their actions in one statement; a reminder another sender closed meanwhile is left as it is. */
async function record(trx: Trx, tenantId: string, outcomes: Map<string, Outcome>): Promise<void> {
  if (outcomes.size === 0) return;
  const rows = [...outcomes].map(([id, o]) => ({
    id, state: o.state, result: o.result, has_recipient: o.recipient !== undefined, recipient: o.recipient ?? null, message: o.message ?? null, key: attemptKey(id),
  }));
  await sql`
    update followup_action a
    set state = u.state, result = u.result, idempotency_key = u.key, message = coalesce(u.message, a.message),
        recipient = case when u.has_recipient then u.recipient else a.recipient end,
        done_at = case when u.state = 'pending' then a.done_at else now() end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as u(id uuid, state text, result jsonb, has_recipient boolean, recipient text, message jsonb, key text)
    where a.tenant_id = ${tenantId} and a.id = u.id and a.state = 'pending'`.execute(trx);
}

export interface SmtpError { responseCode?: number; response?: string; code?: string; command?: string; message?: string }

/** Why a hand-over failed, in words. */
export function why(e: SmtpError, settings: FollowUpSettings): string {
  const server = `${settings.email.host}:${settings.email.port}`;
  if (typeof e.responseCode === 'number') return `the mail server ${server} answered ${e.response ?? e.responseCode}${e.command ? ` (to ${e.command})` : ''}`;
  if (e.code === 'ETIMEDOUT') return `the mail server ${server} did not answer in time (${e.message ?? 'timeout'})`;
  if (e.code === 'ESOCKET' || e.code === 'ECONNECTION' || e.code === 'EDNS') return `could not connect to the mail server ${server} (${e.message ?? e.code})`;
  return `the mail server ${server} could not take it (${e.message ?? String(e.code ?? 'unknown error')})`;
}

interface Reminder {
  id: string; partner_id: string; date: string; level_name: string; delay: number; template: string | null; plan: string; attach_statement: boolean;
  /** The reminder's hand-over so far (one that started wins over a failed one). */
  previous_key: string | null; previous_state: string | null; previous_response: string | null; previous_started_at: Date | null;
}
interface Own extends Reminder { state: string }

/** Pending email reminders with their level and hand-over so far: one by id (waiting for its lock), or a round's (`skip locked`). */
/** An email reminder (`a`) that a round of `followup.emails_queued` sends: pending, and not one a temporary failure left to its own retry. */
const waitingForARound = sql`
  a.state = 'pending' and a.channel = 'email'
  and not exists (select 1 from followup_send_attempt f where f.tenant_id = a.tenant_id and f.action_id = a.id and f.state = 'failed')`;

/**
 * Asks for a round of email reminders (`followup.emails_queued`) when a run or a clerk created
 * some, or when some wait though none were created: a round whose delivery ran out of attempts
 * (the database failing for hours, say) would otherwise leave its reminders pending until new
 * ones came.
 */
export async function queueEmails(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, created: number): Promise<void> {
  if (created === 0) {
    const { rows: [row] } = await sql<{ waiting: boolean }>`
      select exists (select 1 from followup_action a where a.tenant_id = ${tenantId} and ${waitingForARound}) as waiting`.execute(trx);
    if (!row.waiting) return;
  }
  await api.emit(trx, tenantId, 'followup.emails_queued', { count: created }, { actor });
}

function reminders(tenantId: string, which: { id: string } | { round: number }) {
  return sql<Own>`
    select a.id, a.state, a.date::text as date, a.partner_id, l.name as level_name, l.delay, l.template, l.plan, l.attach_statement,
           s.idempotency_key as previous_key, s.state as previous_state, s.response as previous_response, s.started_at as previous_started_at
    from followup_action a
    join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
    left join lateral (
      select s.idempotency_key, s.state, s.response, s.started_at from followup_send_attempt s
      where s.tenant_id = a.tenant_id and s.action_id = a.id
      order by s.state = 'failed', s.started_at desc limit 1) s on true
    where a.tenant_id = ${tenantId} and ${'id' in which ? sql`a.id = ${which.id}` : waitingForARound}
    ${'id' in which ? sql`for no key update of a` : sql`order by a.id limit ${which.round} for no key update of a skip locked`}`;
}

const levelOf = (r: Reminder): ReminderLevel => ({ name: r.level_name, delay: r.delay, template: r.template, plan: r.plan, attachStatement: r.attach_statement });

interface HandOver {
  /** What became of each reminder, to record on its action. */
  outcomes: Map<string, Outcome>;
  /** The temporary failures: pending, to be tried again. */
  retrying: Array<{ reminder: Reminder; reason: string; outcome: Outcome }>;
}

/**
 * Hands reminders over together: those with an earlier hand-over are recorded from it, the others
 * checked (address, something left to remind, email configured), written, committed as `sending`
 * and sent through the pool. The attempts' answers are written by `answers` (a transaction of the
 * caller's choosing); `attempt` is the delivery's try for a reminder sent alone (its last one
 * makes a temporary failure `unreachable`).
 */
async function handOver(api: FollowUpApi, smtp: SmtpPools, ctx: { tenantId: string; log: FastifyBaseLogger; db: SubscriberContext['db'] }, trx: Trx,
  settings: FollowUpSettings, list: Reminder[], options: { attempt: number | null; answers: (write: (t: Trx) => Promise<unknown>) => Promise<unknown>; runDate?: (r: Reminder) => string }): Promise<HandOver> {
  const { tenantId } = ctx;
  const outcomes = new Map<string, Outcome>();
  const retrying: HandOver['retrying'] = [];
  const fresh: Reminder[] = [];
  for (const r of list) {
    if (r.previous_state === 'sent' || r.previous_state === 'rejected') {
      const { sentMessage, ...result } = JSON.parse(r.previous_response ?? '{}') as Record<string, unknown>;
      outcomes.set(r.id, { state: r.previous_state, result, ...(sentMessage ? { message: sentMessage as SentMessage } : {}) });
    } else if (r.previous_state === 'sending') {
      const reason = 'the server stopped while handing this reminder to the mail server; it is not sent again so the customer is never reminded twice — check the mail server log';
      outcomes.set(r.id, { state: 'uncertain', result: { code: 'uncertain', message: reason, reason, messageId: messageId(r.previous_key!), startedAt: r.previous_started_at } });
    } else {
      fresh.push(r);
    }
  }
  if (fresh.length === 0) return { outcomes, retrying };

  const configured = emailConfigured(settings);
  const facts = await reminderFactsMany(trx, tenantId, fresh.map((r) => ({ partnerId: r.partner_id, plan: r.plan, date: r.date })));
  const written: Array<{ reminder: Reminder; facts: (typeof facts)[number] }> = [];
  fresh.forEach((r, i) => {
    const f = facts[i]!;
    if (!f.contact?.email) {
      const reason = 'missing contact data: no email address (neither a follow-up contact nor the partner has one)';
      outcomes.set(r.id, { state: 'missing_contact', recipient: null, result: { code: 'missing_contact', message: reason, reason } });
    } else if (f.items.length === 0) {
      const reason = `nothing left to remind on ${r.date}: paid (or excluded, or promised) since the run of ${options.runDate?.(r) ?? r.date}`;
      outcomes.set(r.id, { state: 'cancelled', result: { code: 'nothing_left', message: reason, reason } });
    } else if (!configured) {
      // A person must act (the settings): not retried with backoff; the next run queues it again.
      outcomes.set(r.id, { state: 'failed', recipient: f.contact.email, result: { code: 'not_configured', message: NOT_CONFIGURED, reason: NOT_CONFIGURED } });
      ctx.log.warn({ actionId: r.id, partnerId: r.partner_id }, 'follow-up email not sent: email is not configured (action failed: not_configured)');
    } else {
      written.push({ reminder: r, facts: f });
    }
  });
  if (written.length === 0) return { outcomes, retrying };

  const replyTo = await replyTos(trx, tenantId, [...new Set(written.map((x) => x.reminder.partner_id))]);
  const mails: ReminderEmail[] = [];
  const ready: Reminder[] = [];
  for (const { reminder: r, facts: f } of written) {
    try {
      mails.push(await composeReminder(api, trx, tenantId, r.partner_id, levelOf(r), r.date, f, settings, replyTo.get(r.partner_id) ?? null));
      ready.push(r);
    } catch (err) {
      // A tenant's template that cannot be rendered concerns its reminders, not the others of the round.
      const reason = `not sent: the reminder could not be written (${(err as Error).message.split('\n')[0]}); check the follow-up settings' templates — the preview shows the same error`;
      outcomes.set(r.id, { state: 'failed', recipient: f.contact!.email, result: { code: 'template_error', message: reason, reason } });
      ctx.log.warn({ actionId: r.id, partnerId: r.partner_id, err }, 'follow-up email not written (action failed: template_error)');
    }
  }
  if (ready.length === 0) return { outcomes, retrying };
  const keys = ready.map((r) => attemptKey(r.id));
  await ctx.db.transaction(async (t) => {
    await sql`
      insert into followup_send_attempt (tenant_id, idempotency_key, action_id, state)
      select ${tenantId}, k, a, 'sending' from unnest(${keys}::text[], ${ready.map((r) => r.id)}::uuid[]) as t(k, a)
      on conflict (tenant_id, idempotency_key) do update set state = 'sending', attempts = followup_send_attempt.attempts + 1, started_at = now(), finished_at = null`.execute(t);
  });
  const pool = smtp.for(tenantId, settings);
  const answers = await Promise.allSettled(mails.map((mail, i) => pool.sendMail({
    from: mail.from, to: mail.to!, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}), subject: mail.subject, text: mail.text, html: mail.html,
    messageId: messageId(keys[i]!), headers: { 'X-Congno-Idempotency-Key': keys[i]!, 'Content-Language': mail.lang },
    ...(mail.attachments.length > 0 ? { attachments: mail.attachments } : {}),
  })));
  const attempts: Array<{ key: string; state: string; response: string }> = [];
  answers.forEach((answer, i) => {
    const mail = mails[i]!;
    const r = ready[i]!;
    const key = keys[i]!;
    if (answer.status === 'fulfilled') {
      const info = answer.value;
      const state = info.accepted.length > 0 ? 'sent' as const : 'rejected' as const;
      const result = {
        code: state === 'sent' ? 'sent' : 'refused',
        message: state === 'sent' ? `accepted by the mail server: ${info.response}` : `refused by the mail server: ${info.response}`,
        accepted: info.accepted.map(String), rejected: info.rejected.map(String), response: info.response, messageId: info.messageId,
        subject: mail.subject, language: mail.lang, attachments: mail.attachments.map((a) => a.filename),
      };
      // The attempt keeps the message too: a sender that comes later records what was sent.
      attempts.push({ key, state, response: JSON.stringify({ ...result, sentMessage: messageRecord(mail) }) });
      outcomes.set(r.id, { state, recipient: mail.to, result, message: messageRecord(mail) });
      ctx.log.info({ actionId: r.id, partnerId: r.partner_id, to: mail.to, state }, 'follow-up email handed to the mail server');
      return;
    }
    const e = answer.reason as SmtpError;
    const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
    const login = e.code === 'EAUTH' || /^AUTH/i.test(e.command ?? '');
    const reason = why(e, settings);
    const details = { reason, error: e.message ?? String(answer.reason), smtpCode: e.code ?? null, responseCode: e.responseCode ?? null, response: e.response ?? null };
    const refused = { code: 'refused', message: `refused by the mail server: ${e.response ?? reason}`, ...details };
    attempts.push({ key, state: permanent && !login ? 'rejected' : 'failed', response: JSON.stringify(permanent && !login ? { ...refused, sentMessage: messageRecord(mail) } : details) });
    if (login) {
      // The settings are wrong (user, password): nothing was handed over; the next run tries again.
      const message = `the mail server refused the login: ${reason}; check the follow-up settings email.user and email.password — the first run after that sends this reminder`;
      outcomes.set(r.id, { state: 'failed', recipient: mail.to, result: { code: 'auth_failed', message, ...details } });
      ctx.log.warn({ actionId: r.id, partnerId: r.partner_id, reason }, 'follow-up email not sent: the mail server refused the login (action failed: auth_failed)');
    } else if (permanent) {
      outcomes.set(r.id, { state: 'rejected', recipient: mail.to, result: refused, message: messageRecord(mail) });
      ctx.log.info({ actionId: r.id, partnerId: r.partner_id, to: mail.to, reason }, 'follow-up email refused by the mail server');
    } else if (options.attempt !== null && options.attempt >= EMAIL_MAX_ATTEMPTS) {
      const message = `not sent after ${options.attempt} attempts: ${reason}; the next run queues it again`;
      outcomes.set(r.id, { state: 'failed', recipient: mail.to, result: { code: 'unreachable', message, attempts: options.attempt, ...details } });
      ctx.log.warn({ actionId: r.id, partnerId: r.partner_id, attempts: options.attempt, reason }, 'follow-up email not sent after the last attempt (action failed: unreachable)');
    } else {
      retrying.push({
        reminder: r, reason,
        outcome: { state: 'pending', recipient: mail.to, result: { code: 'retrying', message: `retrying: ${reason}`, attempts: options.attempt ?? 0, lastAttemptAt: new Date().toISOString(), ...details } },
      });
    }
  });
  await options.answers((t) => sql`
    update followup_send_attempt s set state = u.state, response = u.response, finished_at = now()
    from jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) as u(key text, state text, response text)
    where s.tenant_id = ${tenantId} and s.idempotency_key = u.key`.execute(t));
  return { outcomes, retrying };
}

/**
 * `followup.emails_queued`: one round of the pending reminders, in the delivery's transaction, so
 * that its answers, its actions and the retries of its temporary failures commit together and a
 * crash leaves no reminder without a sender (one left `sending` is found by the next round). A full
 * round asks for the next one at once, in a transaction of its own: the relay's other worker takes
 * it while this one sends. At most two connections at a time, like any delivery.
 */
export function emailBatchSender(api: FollowUpApi, smtp: SmtpPools) {
  return async (ctx: SubscriberContext): Promise<void> => {
    const { trx, tenantId } = ctx;
    const { rows } = await reminders(tenantId, { round: BATCH }).execute(trx);
    if (rows.length === 0) return;
    if (rows.length === BATCH) await ctx.db.transaction((t) => api.emit(t, tenantId, 'followup.emails_queued', { count: 0 }));
    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    const { outcomes, retrying } = await handOver(api, smtp, ctx, trx, settings, rows, { attempt: null, answers: (write) => write(trx) });
    if (retrying.length > 0) {
      const ids = await api.emitMany(trx, tenantId, 'followup.email_retry', retrying.map(({ reminder: r }) => ({ actionId: r.id, partnerId: r.partner_id, date: r.date })));
      retrying.forEach(({ reminder, outcome }, i) => outcomes.set(reminder.id, { ...outcome, result: { ...outcome.result, eventId: ids[i] } }));
    }
    await record(trx, tenantId, outcomes);
  };
}

/**
 * `followup.email_retry`: one reminder, alone — a temporary failure tried again (the outbox's
 * backoff between tries), or a failed one a run queued again.
 */
export function emailSender(api: FollowUpApi, smtp: SmtpPools) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.email_retry'>): Promise<void> => {
    const { actionId } = event.payload;
    const { trx, tenantId } = ctx;
    // Rolling back to this savepoint releases the row lock taken after it: a temporary failure
    // records "retrying" on the action in a transaction of its own before the outbox rolls this one back.
    await sql`savepoint followup_send_email`.execute(trx);
    const { rows: [own] } = await reminders(tenantId, { id: actionId }).execute(trx);
    if (!own || own.state !== 'pending') return; // cancelled (paid), or done
    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    // The reminder speaks as of the date it was queued for (a run that queues a failed one again: that run's date).
    const reminder = { ...own, date: event.payload.date ?? own.date };
    const { outcomes, retrying } = await handOver(api, smtp, ctx, trx, settings, [reminder], {
      attempt: ctx.attempt, runDate: () => own.date,
      // The answer is on record at once: a crash before this delivery commits finds it sent, not uncertain.
      answers: (write) => ctx.db.transaction(write),
    });
    const retry = retrying[0];
    if (retry) {
      await sql`rollback to savepoint followup_send_email`.execute(trx);
      await ctx.db.transaction((t) => record(t, tenantId, new Map([[actionId, {
        ...retry.outcome, result: { ...retry.outcome.result, attempts: ctx.attempt, eventId: event.id },
      }]])));
      throw new RetryLater(`follow-up email not sent yet, retrying: ${retry.reason}`);
    }
    await record(trx, tenantId, outcomes);
  };
}
