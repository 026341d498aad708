/**
 * The email channel: an after-commit subscriber of `followup.action_created`. It renders the
 * reminder from what is open *now* (a payment since the run takes the invoice off the list, and
 * nothing left to remind cancels the action) and hands it to the tenant's SMTP server.
 *
 * Exactly once: the attempt is committed under the idempotency key (`eventId:subscriberId`)
 * *before* the SMTP call, in a transaction of its own. A redelivery that finds the key
 * - `sent`: records the earlier result, sends nothing;
 * - `sending`: the process stopped while handing the message over — whether the mail server took
 *   it is unknown, so it is not sent again: the action becomes `uncertain` for a clerk to check
 *   (the message carries the key as its Message-ID, to look it up in the mail server's log);
 * - `failed` (a temporary failure, 4xx or no connection): sends again.
 * A permanent refusal (5xx) is recorded as `rejected` with the server's reason, not retried.
 */
import nodemailer from 'nodemailer';
import { sql } from 'kysely';
import { withTenant, type Db, type Trx } from '../../core/db/kysely.js';
import { addDays, daysBetween } from '../../core/dates.js';
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import { getTenant } from '../../core/tenants.js';
import { databaseOf, type FollowUpApi, type FollowUpSettings } from './context.js';
import { levelsByPlan } from './levels.js';
import { promiseRunning } from './policy.js';
import * as repo from './repository.js';
import { statementPdf } from './statement.js';
import { defaultTemplate, renderReminder } from './templates.js';

type Outcome = { state: 'sent' | 'rejected' | 'cancelled' | 'missing_contact' | 'uncertain'; recipient?: string | null; result: Record<string, unknown> };

async function finish(trx: Trx, tenantId: string, actionId: string, key: string, outcome: Outcome): Promise<void> {
  await trx.updateTable('followup_action').set({
    state: outcome.state, result: JSON.stringify(outcome.result), done_at: new Date(), idempotency_key: key,
    ...(outcome.recipient !== undefined ? { recipient: outcome.recipient } : {}),
  }).where('tenant_id', '=', tenantId).where('id', '=', actionId).execute();
}

/** Commits a row in its own transaction (the subscriber's commits only after the call). */
async function committed<T>(db: Db | undefined, trx: Trx, tenantId: string, fn: (t: Trx) => Promise<T>): Promise<T> {
  return db ? withTenant(db, tenantId, fn) : fn(trx);
}

function messageId(key: string): string {
  return `<${key.replace(/[^A-Za-z0-9.-]/g, '.')}@congno.followup>`;
}

export function emailSender(api: FollowUpApi) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'followup.action_created'>): Promise<void> => {
    const { actionId, partnerId, channel } = event.payload;
    if (channel !== 'email') return;
    const { trx, tenantId, idempotencyKey: key } = ctx;
    const action = await trx.selectFrom('followup_action as a')
      .innerJoin('followup_level as l', (j) => j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.id', '=', 'a.level_id'))
      .select(['a.id', 'a.state', 'a.date', 'a.partner_id', 'l.name as level_name', 'l.delay', 'l.template', 'l.plan', 'l.attach_statement'])
      .where('a.tenant_id', '=', tenantId).where('a.id', '=', actionId)
      .forNoKeyUpdate('a').executeTakeFirst();
    if (!action || action.state !== 'pending') return; // cancelled (paid) or already done

    const db = databaseOf(api);
    const previous = await trx.selectFrom('followup_send_attempt').selectAll().where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).executeTakeFirst();
    if (previous?.state === 'sent' || previous?.state === 'rejected') {
      await finish(trx, tenantId, actionId, key, { state: previous.state, result: JSON.parse(previous.response ?? '{}') });
      return;
    }
    if (previous?.state === 'sending') {
      await finish(trx, tenantId, actionId, key, {
        state: 'uncertain',
        result: {
          reason: 'the server stopped while handing this reminder to the mail server; it is not sent again so the customer is never reminded twice — check the mail server log',
          messageId: messageId(key), startedAt: previous.started_at,
        },
      });
      return;
    }

    const settings: FollowUpSettings = await api.settings(trx, tenantId);
    const tenant = await getTenant(trx, tenantId);
    // The reminder speaks as of its run's date (what is open is read now: a payment since the run counts).
    const today = action.date;
    const contact = (await repo.contacts(trx, tenantId, [partnerId])).get(partnerId);
    if (!contact?.email) {
      await finish(trx, tenantId, actionId, key, { state: 'missing_contact', recipient: null, result: { reason: 'missing contact data: no email address (neither a follow-up contact nor the partner has one)' } });
      return;
    }
    const levels = (await levelsByPlan(trx, tenantId)).get(action.plan) ?? [];
    const lead = Math.max(0, -(levels[0]?.delay ?? 0));
    const items = (await repo.partnerItems(trx, tenantId, partnerId))
      .filter((i) => i.residual > 0n && !i.excluded && !promiseRunning(i, today) && i.dueDate <= addDays(today, lead));
    if (items.length === 0) {
      await finish(trx, tenantId, actionId, key, { state: 'cancelled', result: { reason: `nothing left to remind on ${today}: paid (or excluded, or promised) since the run of ${action.date}` } });
      return;
    }
    const { host, port, secure, user, password, from } = settings.email;
    if (!host || !from) throw new Error('email is not configured: set the follow-up settings email.host and email.from (PATCH /api/admin/tenants/{slug}/modules/follow-up)');

    const rendered = renderReminder({
      template: action.template ?? defaultTemplate(action.delay), channel: 'email', lang: contact.lang, tenantLocale: tenant.locale,
      currency: tenant.currency, company: tenant.name, partner: { name: contact.name, ref: '' }, contactName: contact.contactName,
      level: { name: action.level_name, delay: action.delay }, date: today,
      items: items.map((i) => ({ label: i.label, dueDate: i.dueDate, daysOverdue: Math.max(0, daysBetween(i.dueDate, today)), residual: i.residual })),
      overrides: settings.templates,
    });
    const replyTo = await replyToOf(trx, tenantId, partnerId);
    const statement = action.attach_statement ? await statementPdf(trx, tenantId, partnerId, today, rendered.locale) : null;

    await committed(db, trx, tenantId, async (t) => {
      await sql`
        insert into followup_send_attempt (tenant_id, idempotency_key, action_id, state)
        values (${tenantId}, ${key}, ${actionId}, 'sending')
        on conflict (tenant_id, idempotency_key) do update set state = 'sending', attempts = followup_send_attempt.attempts + 1, started_at = now(), finished_at = null`.execute(t);
    });
    const transport = nodemailer.createTransport({
      host, port, secure, ...(user ? { auth: { user, pass: password ?? '' } } : {}),
      connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000,
    });
    try {
      const info = await transport.sendMail({
        from, to: contact.email, ...(replyTo ? { replyTo } : {}), subject: rendered.subject, text: rendered.text, html: rendered.html,
        messageId: messageId(key), headers: { 'X-Congno-Idempotency-Key': key, 'Content-Language': rendered.lang },
        ...(statement ? { attachments: [{ filename: statement.filename, content: statement.content, contentType: 'application/pdf' }] } : {}),
      });
      const result = { accepted: info.accepted.map(String), rejected: info.rejected.map(String), response: info.response, messageId: info.messageId, subject: rendered.subject, language: rendered.lang, attachments: statement ? [statement.filename] : [] };
      const state = info.accepted.length > 0 ? 'sent' as const : 'rejected' as const;
      await committed(db, trx, tenantId, (t) => t.updateTable('followup_send_attempt').set({ state, response: JSON.stringify(result), finished_at: new Date() })
        .where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).execute());
      await finish(trx, tenantId, actionId, key, { state, recipient: contact.email, result });
      ctx.log.info({ actionId, partnerId, to: contact.email, state }, 'follow-up email handed to the mail server');
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      const result = { error: e.message ?? String(err), code: e.code ?? null, responseCode: e.responseCode ?? null, response: e.response ?? null };
      await committed(db, trx, tenantId, (t) => t.updateTable('followup_send_attempt').set({ state: permanent ? 'rejected' : 'failed', response: JSON.stringify(result), finished_at: new Date() })
        .where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).execute());
      if (!permanent) throw err; // temporary: the outbox retries with backoff
      await finish(trx, tenantId, actionId, key, { state: 'rejected', recipient: contact.email, result });
    } finally {
      transport.close();
    }
  };
}

/** Replies go to the partner's follow-up responsible, else to its salesperson (when they have an email). */
async function replyToOf(trx: Trx, tenantId: string, partnerId: string): Promise<string | null> {
  const { rows } = await sql<{ email: string | null }>`
    select coalesce(r.email, s.email) as email
    from ledger_partner p
    left join followup_partner f on f.tenant_id = p.tenant_id and f.partner_id = p.id
    left join core_user r on r.tenant_id = p.tenant_id and r.id = f.responsible_user_id
    left join core_user s on s.tenant_id = p.tenant_id and s.id = p.salesperson_id
    where p.tenant_id = ${tenantId} and p.id = ${partnerId}`.execute(trx);
  return rows[0]?.email ?? null;
}
