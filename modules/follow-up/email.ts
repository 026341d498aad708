/**
 * The email channel: an after-commit subscriber of `followup.action_created`. It renders the
 * reminder from what is open *now* (a payment since the run takes the invoice off the list, and
 * nothing left to remind cancels the action) and hands it to the tenant's SMTP server over a
 * pooled connection (`smtp.ts`). The message is built by `message.ts`, the same function a clerk's
 * preview uses.
 *
 * Exactly once: the attempt is committed under the idempotency key (`eventId:subscriberId`)
 * *before* the SMTP call, in a transaction of its own. A redelivery that finds the key
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
import { composeReminder, messageRecord, reminderFacts } from './message.js';
import type { SmtpPools } from './smtp.js';
import type { SentMessage } from './tables.js';

type Outcome = {
  state: 'sent' | 'rejected' | 'cancelled' | 'missing_contact' | 'uncertain' | 'failed';
  recipient?: string | null;
  result: Record<string, unknown>;
  message?: SentMessage;
};

async function finish(trx: Trx, tenantId: string, actionId: string, key: string, outcome: Outcome): Promise<void> {
  await trx.updateTable('followup_action').set({
    state: outcome.state, result: JSON.stringify(outcome.result), done_at: new Date(), idempotency_key: key,
    ...(outcome.recipient !== undefined ? { recipient: outcome.recipient } : {}),
    ...(outcome.message !== undefined ? { message: JSON.stringify(outcome.message) } : {}),
  }).where('tenant_id', '=', tenantId).where('id', '=', actionId).execute();
}


export function messageId(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@congno.followup>`;
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

export function emailSender(api: FollowUpApi, smtp: SmtpPools) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.action_created'>): Promise<void> => {
    const { actionId, partnerId, channel } = event.payload;
    if (channel !== 'email') return;
    const { trx, tenantId, idempotencyKey: key } = ctx;
    // Rolling back to this savepoint releases the action's row lock: a temporary failure records
    // "retrying" on the action in a transaction of its own before the outbox rolls this one back.
    await sql`savepoint followup_send_email`.execute(trx);
    // The action, its level and an earlier attempt under this key, in one statement.
    const action = await trx.selectFrom('followup_action as a')
      .innerJoin('followup_level as l', (j) => j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.id', '=', 'a.level_id'))
      .leftJoin('followup_send_attempt as s', (j) => j.onRef('s.tenant_id', '=', 'a.tenant_id').on('s.idempotency_key', '=', key))
      .select(['a.id', 'a.state', 'a.date', 'a.partner_id', 'l.name as level_name', 'l.delay', 'l.template', 'l.plan', 'l.attach_statement',
        's.state as previous_state', 's.response as previous_response', 's.started_at as previous_started_at'])
      .where('a.tenant_id', '=', tenantId).where('a.id', '=', actionId)
      .forNoKeyUpdate('a').executeTakeFirst();
    if (!action || action.state !== 'pending') return; // cancelled (paid) or already done

    const previous = action.previous_state;
    if (previous === 'sent' || previous === 'rejected') {
      const { sentMessage, ...result } = JSON.parse(action.previous_response ?? '{}') as Record<string, unknown>;
      await finish(trx, tenantId, actionId, key, { state: previous, result, ...(sentMessage ? { message: sentMessage as SentMessage } : {}) });
      return;
    }
    if (previous === 'sending') {
      await finish(trx, tenantId, actionId, key, {
        state: 'uncertain',
        result: {
          code: 'uncertain',
          message: 'the server stopped while handing this reminder to the mail server; it is not sent again so the customer is never reminded twice — check the mail server log',
          reason: 'the server stopped while handing this reminder to the mail server; it is not sent again so the customer is never reminded twice — check the mail server log',
          messageId: messageId(key), startedAt: action.previous_started_at,
        },
      });
      return;
    }

    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    // The reminder speaks as of its run's date (a run that queues a failed one again: that run's
    // date); what is open is read now, so a payment since the run counts.
    const today = event.payload.date ?? action.date;
    const level = { name: action.level_name, delay: action.delay, template: action.template, plan: action.plan, attachStatement: action.attach_statement };
    const facts = await reminderFacts(trx, tenantId, partnerId, action.plan, today);
    if (!facts.contact?.email) {
      const reason = 'missing contact data: no email address (neither a follow-up contact nor the partner has one)';
      await finish(trx, tenantId, actionId, key, { state: 'missing_contact', recipient: null, result: { code: 'missing_contact', message: reason, reason } });
      return;
    }
    if (facts.items.length === 0) {
      const reason = `nothing left to remind on ${today}: paid (or excluded, or promised) since the run of ${action.date}`;
      await finish(trx, tenantId, actionId, key, { state: 'cancelled', result: { code: 'nothing_left', message: reason, reason } });
      return;
    }
    if (!emailConfigured(settings)) {
      // A person must act (the settings): not retried with backoff; the next run queues it again.
      await finish(trx, tenantId, actionId, key, { state: 'failed', recipient: facts.contact.email, result: { code: 'not_configured', message: NOT_CONFIGURED, reason: NOT_CONFIGURED } });
      ctx.log.warn({ actionId, partnerId }, 'follow-up email not sent: email is not configured (action failed: not_configured)');
      return;
    }

    const mail = await composeReminder(api, trx, tenantId, partnerId, level, today, facts, settings);
    await ctx.db.transaction(async (t) => {
      await sql`
        insert into followup_send_attempt (tenant_id, idempotency_key, action_id, state)
        values (${tenantId}, ${key}, ${actionId}, 'sending')
        on conflict (tenant_id, idempotency_key) do update set state = 'sending', attempts = followup_send_attempt.attempts + 1, started_at = now(), finished_at = null`.execute(t);
    });
    try {
      const info = await smtp.for(tenantId, settings).sendMail({
        from: mail.from, to: mail.to!, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}), subject: mail.subject, text: mail.text, html: mail.html,
        messageId: messageId(key), headers: { 'X-Congno-Idempotency-Key': key, 'Content-Language': mail.lang },
        ...(mail.attachments.length > 0 ? { attachments: mail.attachments } : {}),
      });
      const state = info.accepted.length > 0 ? 'sent' as const : 'rejected' as const;
      const result = {
        code: state === 'sent' ? 'sent' : 'refused',
        message: state === 'sent' ? `accepted by the mail server: ${info.response}` : `refused by the mail server: ${info.response}`,
        accepted: info.accepted.map(String), rejected: info.rejected.map(String), response: info.response, messageId: info.messageId,
        subject: mail.subject, language: mail.lang, attachments: mail.attachments.map((a) => a.filename),
      };
      // The attempt keeps the message too: a redelivery after a crash here records what was sent.
      await ctx.db.transaction((t) => t.updateTable('followup_send_attempt').set({ state, response: JSON.stringify({ ...result, sentMessage: messageRecord(mail) }), finished_at: new Date() })
        .where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).execute());
      await finish(trx, tenantId, actionId, key, { state, recipient: mail.to, result, message: messageRecord(mail) });
      ctx.log.info({ actionId, partnerId, to: mail.to, state }, 'follow-up email handed to the mail server');
    } catch (err) {
      const e = err as SmtpError;
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      const login = e.code === 'EAUTH' || /^AUTH/i.test(e.command ?? '');
      const reason = why(e, settings);
      const details = { reason, error: e.message ?? String(err), smtpCode: e.code ?? null, responseCode: e.responseCode ?? null, response: e.response ?? null };
      const refused = { code: 'refused', message: `refused by the mail server: ${e.response ?? reason}`, ...details };
      await ctx.db.transaction((t) => t.updateTable('followup_send_attempt').set({
        state: permanent && !login ? 'rejected' : 'failed', response: JSON.stringify(permanent && !login ? { ...refused, sentMessage: messageRecord(mail) } : details), finished_at: new Date(),
      }).where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).execute());
      if (login) {
        // The settings are wrong (user, password): nothing was handed over; the next run tries again.
        const message = `the mail server refused the login: ${reason}; check the follow-up settings email.user and email.password — the first run after that sends this reminder`;
        await finish(trx, tenantId, actionId, key, { state: 'failed', recipient: mail.to, result: { code: 'auth_failed', message, ...details } });
        ctx.log.warn({ actionId, partnerId, reason }, 'follow-up email not sent: the mail server refused the login (action failed: auth_failed)');
      } else if (permanent) {
        await finish(trx, tenantId, actionId, key, { state: 'rejected', recipient: mail.to, result: refused, message: messageRecord(mail) });
        ctx.log.info({ actionId, partnerId, to: mail.to, reason }, 'follow-up email refused by the mail server');
      } else if (ctx.attempt >= EMAIL_MAX_ATTEMPTS) {
        const message = `not sent after ${ctx.attempt} attempts: ${reason}; the next run queues it again`;
        await finish(trx, tenantId, actionId, key, { state: 'failed', recipient: mail.to, result: { code: 'unreachable', message, attempts: ctx.attempt, ...details } });
        ctx.log.warn({ actionId, partnerId, attempts: ctx.attempt, reason }, 'follow-up email not sent after the last attempt (action failed: unreachable)');
      } else {
        // Temporary: the outbox retries with backoff. Say so on the action first (in its own
        // transaction, the row lock released), since the outbox rolls this transaction back.
        await sql`rollback to savepoint followup_send_email`.execute(trx);
        await ctx.db.transaction((t) => t.updateTable('followup_action').set({
          recipient: mail.to,
          result: JSON.stringify({ code: 'retrying', message: `retrying: ${reason}`, attempts: ctx.attempt, lastAttemptAt: new Date().toISOString(), eventId: event.id, ...details }),
        }).where('tenant_id', '=', tenantId).where('id', '=', actionId).where('state', '=', 'pending').execute());
        throw new RetryLater(`follow-up email not sent yet, retrying: ${reason}`);
      }
    }
  };
}
