/**
 * The email channel: an after-commit subscriber of `followup.action_created`. It renders the
 * reminder from what is open *now* (a payment since the run takes the invoice off the list, and
 * nothing left to remind cancels the action) and hands it to the tenant's SMTP server over a
 * pooled connection (`smtp.ts`). The message is built by `message.ts`, the same function a clerk's
 * preview uses.
 *
 * Many at a time: the delivery of a reminder that was never tried takes with it up to BATCH-1
 * other pending email reminders never tried (locked, `skip locked`: never one another sender has),
 * reads what they say in a few statements for all, and hands them over together through the pool.
 * Their own deliveries, when they come, find them done; one that failed for a while (no
 * connection, 4xx) stays pending and its own delivery tries again, alone, with the outbox's backoff.
 *
 * Exactly once: the attempt is committed under the action's key (`actionId:follow-up:send-email`)
 * *before* the SMTP call, in a transaction of its own. A delivery that finds an attempt of its action
 * - `sent`: records the earlier result, sends nothing;
 * - `sending`: the process stopped while handing the message over — whether the mail server took
 *   it is unknown, so it is not sent again: the action becomes `uncertain` for a clerk to check
 *   (the message carries the key as its Message-ID, to look it up in the mail server's log);
 * - `failed` (a temporary failure, 4xx or no connection): sends again.
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
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import type { FollowUpApi, FollowUpSettings } from './context.js';
import { EMAIL_MAX_ATTEMPTS, NOT_CONFIGURED, emailConfigured } from './delivery.js';
import { RetryLater } from '../../core/events/retry-later.js';
import { composeReminder, messageRecord, reminderFactsMany, replyTos, type ReminderEmail, type ReminderLevel } from './message.js';
import type { SmtpPools } from './smtp.js';
import type { SentMessage } from './tables.js';

/** Reminders one delivery hands over at most: its own and others never tried. */
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

interface Reminder { id: string; partner_id: string; date: string; level_name: string; delay: number; template: string | null; plan: string; attach_statement: boolean }
interface Own extends Reminder { state: string; previous_key: string | null; previous_state: string | null; previous_response: string | null; previous_started_at: Date | null }

const levelOf = (r: Reminder): ReminderLevel => ({ name: r.level_name, delay: r.delay, template: r.template, plan: r.plan, attachStatement: r.attach_statement });

export function emailSender(api: FollowUpApi, smtp: SmtpPools) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.action_created'>): Promise<void> => {
    const { actionId, channel } = event.payload;
    if (channel !== 'email') return;
    const { trx, tenantId } = ctx;
    // Rolling back to this savepoint releases the row locks taken after it: a temporary failure
    // records "retrying" on the action in a transaction of its own before the outbox rolls this one back.
    await sql`savepoint followup_send_email`.execute(trx);
    // The action, its level and its hand-over so far (one that started wins over a failed one), in one statement.
    const { rows: [own] } = await sql<Own>`
      select a.id, a.state, a.date::text as date, a.partner_id, l.name as level_name, l.delay, l.template, l.plan, l.attach_statement,
             s.idempotency_key as previous_key, s.state as previous_state, s.response as previous_response, s.started_at as previous_started_at
      from followup_action a
      join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
      left join lateral (
        select s.idempotency_key, s.state, s.response, s.started_at from followup_send_attempt s
        where s.tenant_id = a.tenant_id and s.action_id = a.id
        order by s.state = 'failed', s.started_at desc limit 1) s on true
      where a.tenant_id = ${tenantId} and a.id = ${actionId}
      for no key update of a`.execute(trx);
    if (!own || own.state !== 'pending') return; // cancelled (paid), done, or sent with another's batch

    const previous = own.previous_state;
    if (previous === 'sent' || previous === 'rejected') {
      const { sentMessage, ...result } = JSON.parse(own.previous_response ?? '{}') as Record<string, unknown>;
      await record(trx, tenantId, new Map([[actionId, { state: previous, result, ...(sentMessage ? { message: sentMessage as SentMessage } : {}) }]]));
      return;
    }
    if (previous === 'sending') {
      const reason = 'the server stopped while handing this reminder to the mail server; it is not sent again so the customer is never reminded twice — check the mail server log';
      await record(trx, tenantId, new Map([[actionId, {
        state: 'uncertain', result: { code: 'uncertain', message: reason, reason, messageId: messageId(own.previous_key!), startedAt: own.previous_started_at },
      }]]));
      return;
    }

    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    const configured = emailConfigured(settings);
    // The reminder speaks as of its run's date (a run that queues a failed one again: that run's
    // date); what is open is read now, so a payment since the run counts. One tried before goes alone.
    const reminders: Reminder[] = [{ ...own, date: event.payload.date ?? own.date }];
    if (configured && previous === null) {
      const { rows: others } = await sql<Reminder>`
        select a.id, a.partner_id, a.date::text as date, l.name as level_name, l.delay, l.template, l.plan, l.attach_statement
        from followup_action a
        join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
        where a.tenant_id = ${tenantId} and a.state = 'pending' and a.channel = 'email' and a.id <> ${actionId}
          and not exists (select 1 from followup_send_attempt s where s.tenant_id = a.tenant_id and s.action_id = a.id)
        order by a.id limit ${BATCH - 1}
        for no key update of a skip locked`.execute(trx);
      reminders.push(...others);
    }

    const facts = await reminderFactsMany(trx, tenantId, reminders.map((r) => ({ partnerId: r.partner_id, plan: r.plan, date: r.date })));
    const outcomes = new Map<string, Outcome>();
    const ready: Array<{ reminder: Reminder; facts: (typeof facts)[number] }> = [];
    reminders.forEach((r, i) => {
      const f = facts[i]!;
      if (!f.contact?.email) {
        const reason = 'missing contact data: no email address (neither a follow-up contact nor the partner has one)';
        outcomes.set(r.id, { state: 'missing_contact', recipient: null, result: { code: 'missing_contact', message: reason, reason } });
      } else if (f.items.length === 0) {
        const reason = `nothing left to remind on ${r.date}: paid (or excluded, or promised) since the run of ${r.id === actionId ? own.date : r.date}`;
        outcomes.set(r.id, { state: 'cancelled', result: { code: 'nothing_left', message: reason, reason } });
      } else if (!configured) {
        // A person must act (the settings): not retried with backoff; the next run queues it again.
        outcomes.set(r.id, { state: 'failed', recipient: f.contact.email, result: { code: 'not_configured', message: NOT_CONFIGURED, reason: NOT_CONFIGURED } });
        ctx.log.warn({ actionId: r.id, partnerId: r.partner_id }, 'follow-up email not sent: email is not configured (action failed: not_configured)');
      } else {
        ready.push({ reminder: r, facts: f });
      }
    });

    let retry: { reason: string; outcome: Outcome } | null = null;
    if (ready.length > 0) {
      const replyTo = await replyTos(trx, tenantId, ready.map((x) => x.reminder.partner_id));
      const mails: ReminderEmail[] = [];
      for (const { reminder: r, facts: f } of ready) {
        mails.push(await composeReminder(api, trx, tenantId, r.partner_id, levelOf(r), r.date, f, settings, replyTo.get(r.partner_id) ?? null));
      }
      const keys = ready.map((x) => attemptKey(x.reminder.id));
      await ctx.db.transaction(async (t) => {
        await sql`
          insert into followup_send_attempt (tenant_id, idempotency_key, action_id, state)
          select ${tenantId}, k, a, 'sending' from unnest(${keys}::text[], ${ready.map((x) => x.reminder.id)}::uuid[]) as t(k, a)
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
        const r = ready[i]!.reminder;
        const key = keys[i]!;
        const mine = r.id === actionId;
        if (answer.status === 'fulfilled') {
          const info = answer.value;
          const state = info.accepted.length > 0 ? 'sent' as const : 'rejected' as const;
          const result = {
            code: state === 'sent' ? 'sent' : 'refused',
            message: state === 'sent' ? `accepted by the mail server: ${info.response}` : `refused by the mail server: ${info.response}`,
            accepted: info.accepted.map(String), rejected: info.rejected.map(String), response: info.response, messageId: info.messageId,
            subject: mail.subject, language: mail.lang, attachments: mail.attachments.map((a) => a.filename),
          };
          // The attempt keeps the message too: a redelivery after a crash here records what was sent.
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
        } else if (mine && ctx.attempt >= EMAIL_MAX_ATTEMPTS) {
          const message = `not sent after ${ctx.attempt} attempts: ${reason}; the next run queues it again`;
          outcomes.set(r.id, { state: 'failed', recipient: mail.to, result: { code: 'unreachable', message, attempts: ctx.attempt, ...details } });
          ctx.log.warn({ actionId: r.id, partnerId: r.partner_id, attempts: ctx.attempt, reason }, 'follow-up email not sent after the last attempt (action failed: unreachable)');
        } else {
          // Temporary: pending, saying so; its own delivery tries again (this one's with the outbox's backoff).
          const outcome: Outcome = {
            state: 'pending', recipient: mail.to,
            result: { code: 'retrying', message: `retrying: ${reason}`, attempts: mine ? ctx.attempt : 1, lastAttemptAt: new Date().toISOString(), ...(mine ? { eventId: event.id } : {}), ...details },
          };
          if (mine) retry = { reason, outcome };
          else outcomes.set(r.id, outcome);
        }
      });
      await ctx.db.transaction((t) => sql`
        update followup_send_attempt s set state = u.state, response = u.response, finished_at = now()
        from jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) as u(key text, state text, response text)
        where s.tenant_id = ${tenantId} and s.idempotency_key = u.key`.execute(t));
    }
    if (retry) {
      // The outbox rolls this transaction back to retry: what became of the others, and that this
      // one is retrying, are recorded in a transaction of their own once the row locks are released.
      const { reason, outcome } = retry;
      await sql`rollback to savepoint followup_send_email`.execute(trx);
      outcomes.set(actionId, outcome);
      await ctx.db.transaction((t) => record(t, tenantId, outcomes));
      throw new RetryLater(`follow-up email not sent yet, retrying: ${reason}`);
    }
    await record(trx, tenantId, outcomes);
  };
}
