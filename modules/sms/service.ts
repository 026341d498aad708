/** What the routes do: lists, a clerk's own message, deciding about an unknown hand-over, opt-outs, the callbacks' addresses. */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { badRequest, conflict, notFound, ProblemError } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { formatAmount, parseAmount } from '../../core/money.js';
import { daysBetween, isIsoDate, todayIn } from '../../core/dates.js';
import { UUID, uuidv7 } from '../../core/ids.js';
import { mintLink } from '../../core/links.js';
import { getTenant } from '../../core/tenants.js';
import { finalText, languageOf, partnerFacts, reminderText } from './compose.js';
import type { SmsApi } from './context.js';
import { normalisePhone } from './phone.js';
import { queue, recordOnActions, refusal, znsData, type MessageRow } from './messages.js';
import type { MessageState } from './tables.js';
import { plan } from './text.js';

export interface MessageView {
  id: string; partner: { id: string; ref: string; name: string }; action: string | null; channel: 'sms' | 'zalo'; phone: string; text: string;
  encoding: 'gsm7' | 'ucs2'; parts: number; lang: string; state: MessageState; provider: string; providerId: string | null; cost: string; currency: string;
  fallbackOf: string | null; result: string | null; notBefore: string; createdAt: string; submittedAt: string | null; doneAt: string | null;
}

type Joined = MessageRow & { ref: string; name: string };

function view(r: Joined, currency: string): MessageView {
  return {
    id: r.id, partner: { id: r.partner_id, ref: r.ref, name: r.name }, action: r.action_id, channel: r.channel, phone: r.phone, text: r.text,
    encoding: r.encoding, parts: r.parts, lang: r.lang, state: r.state, provider: r.provider, providerId: r.provider_id,
    cost: formatAmount(BigInt(r.cost), currency), currency, fallbackOf: r.fallback_of, result: (r.result?.message as string | undefined) ?? null,
    notBefore: r.not_before.toISOString(), createdAt: r.created_at.toISOString(), submittedAt: r.submitted_at?.toISOString() ?? null, doneAt: r.done_at?.toISOString() ?? null,
  };
}

function query(trx: Trx, tenantId: string) {
  return trx.selectFrom('sms_message as m').innerJoin('ledger_partner as p', (j) => j.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.partner_id'))
    .selectAll('m').select(['p.ref', 'p.name']).where('m.tenant_id', '=', tenantId);
}

export interface MessageFilter { partner?: string; state?: MessageState; channel?: 'sms' | 'zalo'; from?: string; to?: string; phone?: string }

export async function listMessages(trx: Trx, tenantId: string, f: MessageFilter, limit: number, cursor?: string): Promise<{ items: MessageView[]; next: string | null }> {
  const { currency } = await getTenant(trx, tenantId);
  let q = query(trx, tenantId);
  if (f.state) q = q.where('m.state', '=', f.state);
  if (f.channel) q = q.where('m.channel', '=', f.channel);
  if (f.partner !== undefined) q = UUID.test(f.partner) ? q.where('m.partner_id', '=', f.partner) : q.where('p.ref', '=', f.partner);
  if (f.phone !== undefined) {
    const phone = normalisePhone(f.phone);
    if (!phone.ok) throw badRequest(`phone: ${phone.reason}`, 'phone');
    q = q.where('m.phone', '=', phone.e164);
  }
  for (const [field, value] of [['from', f.from], ['to', f.to]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  const { timezone } = await getTenant(trx, tenantId);
  if (f.from) q = q.where(sql<boolean>`(m.created_at at time zone ${timezone})::date >= ${f.from}::date`);
  if (f.to) q = q.where(sql<boolean>`(m.created_at at time zone ${timezone})::date <= ${f.to}::date`);
  if (cursor !== undefined) {
    if (!UUID.test(cursor)) throw badRequest('cursor is not one this list gave', 'cursor');
    q = q.where('m.id', '<', cursor);
  }
  const rows = await q.orderBy('m.id', 'desc').limit(limit + 1).execute() as Joined[];
  const shown = rows.slice(0, limit);
  return { items: shown.map((r) => view(r, currency)), next: rows.length > limit ? shown.at(-1)!.id : null };
}

export async function getMessage(trx: Trx, tenantId: string, id: string, lock = false): Promise<MessageView & { row: MessageRow }> {
  if (!UUID.test(id)) throw notFound(`No message ${id}.`);
  let q = query(trx, tenantId).where('m.id', '=', id);
  if (lock) q = q.forUpdate('m');
  const r = await q.executeTakeFirst() as Joined | undefined;
  if (!r) throw notFound(`No message ${id}.`);
  const { currency } = await getTenant(trx, tenantId);
  return { ...view(r, currency), row: r };
}

/** The number a partner's messages go to: its follow-up contact's, else its own. */
async function partnerPhone(trx: Trx, tenantId: string, partner: { id: string; phone: string | null }): Promise<{ written: string | null; lang: string | null }> {
  const contact = await trx.selectFrom('ledger_partner_contact').select(['phone', 'lang']).where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id)
    .where('kind', '=', 'followup').where('phone', 'is not', null).where('phone', '!=', '').orderBy('id').limit(1).executeTakeFirst();
  return { written: contact?.phone ?? partner.phone, lang: contact?.lang ?? null };
}

export interface Preview {
  level: { id: string; name: string }; channel: 'sms' | 'zalo'; date: string; phone: string | null; text: string; lang: string;
  encoding: string; parts: number; length: number; perPart: number; cost: string; currency: string;
  template: { id: string | null; data: Record<string, string> } | null;
  /** Why it would not go as it is (no number, opted out, too long, no ZNS template). */
  warnings: string[];
}

/** What the reminder of a level would say by SMS or Zalo to a partner on a date, counted and priced; nothing is sent. */
export async function previewReminder(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, input: { level?: string; date?: string; channel: 'sms' | 'zalo' }, visibleSalespeople: string[] | null): Promise<Preview> {
  const settings = await api.settings(trx, tenantId);
  const tenant = await getTenant(trx, tenantId);
  const date = input.date ?? todayIn(tenant.timezone);
  if (!isIsoDate(date)) throw badRequest(`date '${date}' is not a date (YYYY-MM-DD)`, 'date');
  const ledger = api.service('ledger');
  const partner = await ledger.partners.resolve(await ledger.books.open(trx, tenantId, actor, { visibleSalespeople }), idOrRef);
  const content = await api.service('follow-up').reminders.content(trx, tenantId, partner.id, { level: input.level, date });
  const facts = await partnerFacts(api, trx, tenantId, [{ partnerId: partner.id, invoiceIds: content.items.map((i) => i.invoiceId) }]);
  const composed = reminderText(content, facts.get(partner.id)!, tenant, settings);
  const warnings: string[] = [];
  const phone = normalisePhone((await partnerPhone(trx, tenantId, partner)).written);
  if (!phone.ok) warnings.push(`missing contact data: ${phone.reason}`);
  else {
    const refused = await refusal(trx, tenantId, settings, phone.e164, input.channel, composed.plan);
    if (refused) warnings.push(refused.message);
  }
  const templateId = input.channel === 'zalo' ? settings.zalo.templates[composed.template] ?? null : null;
  if (input.channel === 'zalo' && !templateId) warnings.push(`no ZNS template is set for the reminder template '${composed.template}' (sms settings zalo.templates)`);
  const price = parseAmount(settings.pricePerPart, tenant.currency, { allowZero: true, field: 'pricePerPart' });
  return {
    level: { id: content.level.id, name: content.level.name }, channel: input.channel, date, phone: phone.ok ? phone.e164 : null, text: composed.text, lang: composed.lang,
    encoding: composed.plan.encoding, parts: composed.plan.parts, length: composed.plan.length, perPart: composed.plan.perPart,
    cost: formatAmount(input.channel === 'sms' ? price * BigInt(composed.plan.parts) : 0n, tenant.currency), currency: tenant.currency,
    template: input.channel === 'zalo' ? { id: templateId, data: znsData(composed) } : null, warnings,
  };
}

export interface NewMessage { partner: string; text: string; phone?: string; force?: boolean; dryRun?: boolean }

/**
 * A clerk's own SMS to a partner: to its follow-up contact's number (else the partner's, else the
 * one given), counted and priced, refused over the cap of parts or to an opted-out number; 409
 * when a reminder went out less than the follow-up's minimum interval ago, unless `force`.
 */
export async function sendOwnMessage(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, input: NewMessage): Promise<{ message: MessageView | null; estimate: { encoding: string; parts: number; length: number; perPart: number; cost: string; currency: string; text: string; phone: string } }> {
  const settings = await api.settings(trx, tenantId);
  const ledger = api.service('ledger');
  const books = await ledger.books.open(trx, tenantId, actor);
  const partner = await ledger.partners.resolve(books, input.partner, 'partner');
  const contact = await partnerPhone(trx, tenantId, partner);
  const phone = normalisePhone(input.phone ?? contact.written);
  if (!phone.ok) throw badRequest(`${input.phone ? 'phone' : `partner ${partner.ref}`}: ${phone.reason}${input.phone ? '' : ' (give "phone")'}`, input.phone ? 'phone' : 'partner');
  const tenant = await getTenant(trx, tenantId);
  const lang = languageOf(contact.lang ?? partner.lang, languageOf(tenant.locale, 'vi'));
  const text = finalText(input.text, lang, settings);
  if (!text) throw badRequest('text must not be blank', 'text');
  const counted = plan(text);
  const estimate = {
    ...counted, text, phone: phone.e164, currency: tenant.currency,
    cost: formatAmount(parseAmount(settings.pricePerPart, tenant.currency, { allowZero: true, field: 'pricePerPart' }) * BigInt(counted.parts), tenant.currency),
  };
  const refused = await refusal(trx, tenantId, settings, phone.e164, 'sms', counted);
  if (refused) throw new ProblemError(refused.code === 'too_long' ? 400 : 409, refused.code === 'too_long' ? 'too-long' : 'opted-out', refused.code === 'too_long' ? 'Bad Request' : 'Conflict', refused.message, refused.code === 'too_long' ? 'text' : 'phone');
  if (!input.force) {
    const interval = await api.service('follow-up').reminders.interval(trx, tenantId, partner.id, todayIn(tenant.timezone));
    const last = await trx.selectFrom('sms_message').select(sql<string>`(max(created_at) at time zone ${tenant.timezone})::date::text`.as('on'))
      .where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id).where('state', 'not in', ['cancelled', 'failed']).executeTakeFirst();
    const lastSms = last?.on ?? null;
    const lastOn = [interval.lastReminderOn, lastSms].filter((d): d is string => d !== null).sort().at(-1) ?? null;
    const today = todayIn(tenant.timezone);
    if (lastOn && daysBetween(lastOn, today) < interval.minIntervalDays) {
      throw new ProblemError(409, 'reminder-sent-recently', 'A reminder was sent recently',
        `A reminder went out to ${partner.ref} on ${lastOn}; the minimum interval is ${interval.minIntervalDays} days. Send with "force": true to send anyway.`, 'force');
    }
  }
  if (input.dryRun) return { message: null, estimate };
  const row = await queue(api, trx, tenantId, settings, {
    actionId: null, channel: 'sms', partnerId: partner.id, phone: phone.e164, text, lang, plan: counted, template: null, fallbackOf: null, createdBy: actor.userId,
  });
  await api.audit(trx, tenantId, { actor, action: 'sms.message_created', entity: 'sms_message', entityId: row.id, after: { partner: partner.ref, phone: phone.e164, parts: counted.parts, encoding: counted.encoding, forced: input.force ?? false } });
  await api.service('follow-up').timeline.note(trx, tenantId, partner.id, `SMS by hand to ${phone.e164}: "${text.slice(0, 120)}"`, actor.userId);
  const { row: _, ...shown } = await getMessage(trx, tenantId, row.id);
  return { message: shown, estimate };
}

/** An unknown hand-over sent again, after a clerk checked with the provider that it does not have it. */
export async function resendMessage(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<MessageView> {
  const m = await getMessage(trx, tenantId, id, true);
  if (m.state !== 'unknown') throw conflict(`message ${id} is ${m.state}: only a message whose hand-over is unknown is sent again by hand`, 'message-not-unknown');
  const result = { code: 'resent', message: 'sent again by a clerk after the first hand-over\'s answer was lost', previous: m.row.result };
  await trx.updateTable('sms_message').set({ state: 'queued', submit_state: null, submit_started_at: null, not_before: new Date(), result: JSON.stringify(result) })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await api.emit(trx, tenantId, 'sms.message_queued', { messageId: id });
  await api.audit(trx, tenantId, { actor, action: 'sms.message_resent', entity: 'sms_message', entityId: id, before: { state: 'unknown' }, after: { state: 'queued' } });
  const after = await getMessage(trx, tenantId, id);
  await recordOnActions(api, trx, tenantId, [after.row]);
  const { row: _, ...shown } = after;
  return shown;
}

/** A queued or unknown message a clerk stops (its reminder is cancelled with it). */
export async function cancelMessage(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, id: string, reason: string | undefined): Promise<MessageView> {
  const m = await getMessage(trx, tenantId, id, true);
  if (m.state === 'cancelled') { const { row: _, ...shown } = m; return shown; }
  if (m.state === 'queued' && m.row.submit_state === 'sending') throw conflict(`message ${id} is being handed to the provider right now`, 'message-being-sent');
  if (m.state !== 'queued' && m.state !== 'unknown') throw conflict(`message ${id} is ${m.state}: only a queued message (or one whose hand-over is unknown) can be cancelled`, 'message-not-cancellable');
  const result = { code: 'cancelled_by_clerk', message: `cancelled by a clerk${reason ? `: ${reason}` : ''}` };
  await trx.updateTable('sms_message').set({ state: 'cancelled', done_at: new Date(), result: JSON.stringify(result) }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  await api.audit(trx, tenantId, { actor, action: 'sms.message_cancelled', entity: 'sms_message', entityId: id, before: { state: m.state }, after: { state: 'cancelled', reason: reason ?? null } });
  const after = await getMessage(trx, tenantId, id);
  await recordOnActions(api, trx, tenantId, [after.row]);
  const { row: _, ...shown } = after;
  return shown;
}

export interface OptOutView { phone: string; partner: string | null; source: 'clerk' | 'stop'; note: string | null; createdAt: string }

export async function listOptOuts(trx: Trx, tenantId: string): Promise<OptOutView[]> {
  const rows = await trx.selectFrom('sms_opt_out').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').limit(5000).execute();
  return rows.map((r) => ({ phone: r.phone, partner: r.partner_id, source: r.source, note: r.note, createdAt: r.created_at.toISOString() }));
}

/** A clerk opts a number out: given, or the partner's follow-up number. */
export async function optOut(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, input: { phone?: string; partner?: string; note?: string }): Promise<OptOutView> {
  let partnerId: string | null = null;
  let written = input.phone;
  if (input.partner !== undefined) {
    const ledger = api.service('ledger');
    const partner = await ledger.partners.resolve(await ledger.books.open(trx, tenantId, actor), input.partner, 'partner');
    partnerId = partner.id;
    written ??= (await partnerPhone(trx, tenantId, partner)).written ?? undefined;
  }
  if (written === undefined) throw badRequest('give "phone" or "partner"', 'phone');
  const phone = normalisePhone(written);
  if (!phone.ok) throw badRequest(`phone: ${phone.reason}`, 'phone');
  const row = await trx.insertInto('sms_opt_out').values({ tenant_id: tenantId, phone: phone.e164, partner_id: partnerId, source: 'clerk', note: input.note ?? null, created_by: actor.userId })
    .onConflict((oc) => oc.columns(['tenant_id', 'phone']).doUpdateSet({ note: input.note ?? null })).returningAll().executeTakeFirstOrThrow();
  await api.audit(trx, tenantId, { actor, action: 'sms.opted_out', entity: 'sms_opt_out', entityId: phone.e164, after: { phone: phone.e164, source: 'clerk', note: input.note ?? null } });
  if (partnerId) await api.service('follow-up').timeline.note(trx, tenantId, partnerId, `${phone.e164} opted out of SMS${input.note ? `: ${input.note}` : ''}`, actor.userId);
  return { phone: row.phone, partner: row.partner_id, source: row.source, note: row.note, createdAt: row.created_at.toISOString() };
}

export async function optIn(api: SmsApi, trx: Trx, tenantId: string, actor: Actor, written: string): Promise<void> {
  const phone = normalisePhone(written);
  if (!phone.ok) throw badRequest(`phone: ${phone.reason}`, 'phone');
  const gone = await trx.deleteFrom('sms_opt_out').where('tenant_id', '=', tenantId).where('phone', '=', phone.e164).returningAll().executeTakeFirst();
  if (!gone) throw notFound(`${phone.e164} is not opted out.`);
  await api.audit(trx, tenantId, { actor, action: 'sms.opted_in', entity: 'sms_opt_out', entityId: phone.e164, before: { phone: gone.phone, source: gone.source, note: gone.note } });
}

/** The tenant's callback token (made once), which the providers' callback URLs carry. */
export async function callbackToken(trx: Trx, tenantId: string): Promise<string> {
  const found = await trx.selectFrom('sms_callback').select('token').where('tenant_id', '=', tenantId).executeTakeFirst();
  if (found) return found.token;
  const id = uuidv7();
  const token = mintLink(tenantId, id);
  const row = await trx.insertInto('sms_callback').values({ tenant_id: tenantId, id, token }).onConflict((oc) => oc.column('tenant_id').doNothing()).returning('token').executeTakeFirst();
  return row?.token ?? (await trx.selectFrom('sms_callback').select('token').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()).token;
}

/** A new callback token (the old one leaked, or a provider changed): the old addresses answer 404 from now on. */
export async function rotateCallbackToken(api: SmsApi, trx: Trx, tenantId: string, actor: Actor): Promise<string> {
  const id = uuidv7();
  const token = mintLink(tenantId, id);
  await trx.insertInto('sms_callback').values({ tenant_id: tenantId, id, token })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ id, token, created_at: new Date() })).execute();
  await api.audit(trx, tenantId, { actor, action: 'sms.callback_rotated', entity: 'sms_callback', entityId: id, after: { rotated: true } });
  return token;
}

export const callbackPath = (provider: string, token: string) => `/api/sms/callbacks/${provider}/${token}`;
