/**
 * Emails other modules send through the company's mail server (the follow-up's settings): a
 * balance confirmation to a customer. `queueMail` stores the message in the caller's transaction
 * and emits `followup.mail_queued`; after commit `mailSender` hands it over exactly once, the way
 * reminders go (email.ts): the attempt is on record as `sending` before the SMTP call, so a
 * redelivery after a crash makes it `uncertain` rather than sending it twice; a temporary failure
 * is retried by the outbox, a 5xx is `rejected` with the server's words, a refused login or the
 * last retry is `failed`.
 */
import type { Trx } from '../../core/db/kysely.js';
import { ProblemError } from '../../core/errors.js';
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import type { FollowUpApi, FollowUpSettings } from './context.js';
import { EMAIL_MAX_ATTEMPTS, emailConfigured } from './delivery.js';
import { RetryLater } from '../../core/events/retry-later.js';
import { messageId, why, type SmtpError } from './email.js';
import type { SmtpPools } from './smtp.js';
import type { MailState } from './tables.js';
import type { OutgoingMail, QueuedMail } from './public.js';

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** Stores a message to send after commit; 409 when the company's email is not configured, 400 for a recipient that is not an address. */
export async function queueMail(api: FollowUpApi, trx: Trx, tenantId: string, module: string, mail: OutgoingMail): Promise<QueuedMail> {
  const settings = await api.settings(trx, tenantId);
  if (!emailConfigured(settings)) {
    throw new ProblemError(409, 'email-not-configured', 'Email is not configured', 'The company has no mail server: set the follow-up settings email.host and email.from first.');
  }
  if (!EMAIL.test(mail.to) || mail.to.length > 254) throw new ProblemError(400, 'validation', 'The request is not valid', `'${mail.to}' is not an email address`, 'to');
  const row = await trx.insertInto('followup_mail').values({
    tenant_id: tenantId, module, about: mail.about ?? null, recipient: mail.to, subject: mail.subject, text: mail.text, html: mail.html ?? null, lang: mail.lang ?? null,
    attachments: JSON.stringify((mail.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content.toString('base64') }))),
  }).returning(['id', 'created_at']).executeTakeFirstOrThrow();
  await api.emit(trx, tenantId, 'followup.mail_queued', { mailId: row.id, module });
  return { id: row.id, to: mail.to, state: 'queued', result: null, createdAt: row.created_at, doneAt: null };
}

export async function mailState(trx: Trx, tenantId: string, id: string): Promise<QueuedMail | null> {
  const row = await trx.selectFrom('followup_mail').select(['id', 'recipient', 'state', 'result', 'created_at', 'done_at'])
    .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? { id: row.id, to: row.recipient, state: row.state, result: row.result, createdAt: row.created_at, doneAt: row.done_at } : null;
}

export function mailSender(api: FollowUpApi, smtp: SmtpPools) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.mail_queued'>): Promise<void> => {
    const { trx, tenantId, idempotencyKey: key } = ctx;
    // No row lock: one event per mail, and the outbox hands a delivery to one worker at a time;
    // the "sending" mark below commits in a transaction of its own, which a lock here would block.
    const mail = await trx.selectFrom('followup_mail').selectAll().where('tenant_id', '=', tenantId).where('id', '=', event.payload.mailId).executeTakeFirst();
    if (!mail || (mail.state !== 'queued' && mail.state !== 'sending')) return;
    const finish = (state: MailState, result: Record<string, unknown>) => trx.updateTable('followup_mail')
      .set({ state, result: JSON.stringify(result), done_at: new Date() }).where('tenant_id', '=', tenantId).where('id', '=', mail.id).execute();
    if (mail.state === 'sending') {
      await finish('uncertain', { code: 'uncertain', message: 'the server stopped while handing this email to the mail server; it is not sent again — check the mail server log', messageId: messageId(key) });
      return;
    }
    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    if (!emailConfigured(settings)) {
      await finish('failed', { code: 'not_configured', message: 'email is not configured: set the follow-up settings email.host and email.from' });
      return;
    }
    await ctx.db.transaction((t) => t.updateTable('followup_mail').set({ state: 'sending' }).where('tenant_id', '=', tenantId).where('id', '=', mail.id).execute());
    try {
      const info = await smtp.for(tenantId, settings).sendMail({
        from: settings.email.from, to: mail.recipient, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}),
        messageId: messageId(key), headers: { 'X-Congno-Idempotency-Key': key, ...(mail.lang ? { 'Content-Language': mail.lang } : {}) },
        attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, 'base64') })),
      });
      const sent = info.accepted.length > 0;
      await finish(sent ? 'sent' : 'rejected', { code: sent ? 'sent' : 'refused', message: `${sent ? 'accepted' : 'refused'} by the mail server: ${info.response}`, response: info.response, messageId: info.messageId });
    } catch (err) {
      const e = err as SmtpError;
      const reason = why(e, settings);
      const details = { reason, smtpCode: e.code ?? null, responseCode: e.responseCode ?? null, response: e.response ?? null };
      const login = e.code === 'EAUTH' || /^AUTH/i.test(e.command ?? '');
      if (login) await finish('failed', { code: 'auth_failed', message: `the mail server refused the login: ${reason}`, ...details });
      else if (typeof e.responseCode === 'number' && e.responseCode >= 500) await finish('rejected', { code: 'refused', message: `refused by the mail server: ${e.response ?? reason}`, ...details });
      else if (ctx.attempt >= EMAIL_MAX_ATTEMPTS) await finish('failed', { code: 'unreachable', message: `not sent after ${ctx.attempt} attempts: ${reason}`, ...details });
      else {
        // Nothing was handed over: back to queued (in a transaction of its own, as the outbox rolls this one back) and retried.
        await ctx.db.transaction((t) => t.updateTable('followup_mail').set({ state: 'queued', result: JSON.stringify({ code: 'retrying', message: `retrying: ${reason}`, attempts: ctx.attempt, ...details }) })
          .where('tenant_id', '=', tenantId).where('id', '=', mail.id).execute());
        throw new RetryLater(`email not sent yet, retrying: ${reason}`);
      }
    }
  };
}
