/**
 * A message's life: queued (one per follow-up sms or zalo action, or a clerk's own) → handed to
 * the provider once → what the network says.
 *
 * Exactly once. A message is claimed for sending in a transaction of its own that commits
 * `submit_state = 'sending'` before any provider sees it; only messages without a hand-over are
 * ever claimed. The sender holds an advisory lock on its round (`submit_batch`) in its delivery's
 * transaction while it sends. A hand-over whose answer never came (a timeout, a dropped
 * connection) is `unknown` at once; one whose sender died (its lock is free) is turned `unknown`
 * by the clock. An unknown message is never sent again by itself: a clerk decides.
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { parseAmount } from '../../core/money.js';
import { uuidv7 } from '../../core/ids.js';
import { getTenant } from '../../core/tenants.js';
import { todayIn } from '../../core/dates.js';
import type { HookContext, SubscriberContext } from '../../core/events/types.js';
import type { ActionOutcome, Channel, FollowUpActionCreated, ReminderAction, ReminderContent } from '../follow-up/public.js';
import { partnerFacts, reminderText, type Composed } from './compose.js';
import type { SmsApi, SmsSettings } from './context.js';
import { normalisePhone } from './phone.js';
import { nextOpening } from './quiet.js';
import type { Outcome, Outgoing, Report, Sender } from './providers/types.js';
import type { MessageState, Provider, SmsMessageTable } from './tables.js';
import { plan, type SmsPlan } from './text.js';

/** Messages claimed at once by one sender (the provider's window sends them). */
const CLAIM = 200;
/** Reminders written at once. */
const WRITE = 200;
/** Rounds of writing and sending in one delivery. */
const ROUNDS = 20;
/** A message the provider could not take now (unreachable, throttled too long, a login or balance to fix) is offered again after this, by the clock. */
const RETRY_AFTER_MS = 60_000;
/** A hand-over still `sending` after this long, whose sender is gone (its round's lock is free), lost its answer: `unknown`. */
export const SENDING_GRACE_MS = 2 * 60_000;

/** The lock a sending round holds while alive (the sweep asks for the same key: 'sms-send:' || submit_batch). */
const roundLock = (batch: string) => sql`hashtextextended(${`sms-send:${batch}`}, 0)`;

export type MessageRow = { [K in keyof SmsMessageTable]: SmsMessageTable[K] extends import('kysely').ColumnType<infer S, any, any> ? S : SmsMessageTable[K] };

export interface QueueInput {
  actionId: string | null; channel: 'sms' | 'zalo'; partnerId: string; phone: string; text: string; lang: string; plan: SmsPlan;
  template: { id: string; data: Record<string, string> } | null; fallbackOf: string | null; createdBy: string | null;
}

/** Why a message cannot go, before it is queued: a number that opted out, a text over the cap of parts. */
export async function refusal(trx: Trx, tenantId: string, settings: SmsSettings, phone: string, channel: 'sms' | 'zalo', plan: SmsPlan): Promise<Refusal | null> {
  return refusalOf((await optedOutOf(trx, tenantId, [phone])).get(phone) ?? null, phone, settings, channel, plan);
}

type Refusal = { state: 'cancelled' | 'failed'; code: string; message: string };

function refusalOf(out: { source: 'clerk' | 'stop'; created_at: Date } | null, phone: string, settings: SmsSettings, channel: 'sms' | 'zalo', plan: SmsPlan): Refusal | null {
  if (out) {
    const how = out.source === 'stop' ? 'replied STOP' : 'was opted out by a clerk';
    return { state: 'cancelled', code: 'opted_out', message: `not sent: ${phone} ${how} on ${out.created_at.toISOString().slice(0, 10)}` };
  }
  if (channel === 'sms' && plan.parts > settings.maxParts) {
    return {
      state: 'failed', code: 'too_long',
      message: `not sent: the text needs ${plan.parts} parts (${plan.length} ${plan.encoding === 'gsm7' ? 'GSM-7 characters' : 'UCS-2 characters'}), more than the company's cap of ${settings.maxParts}${plan.encoding === 'ucs2' ? '; writing it without diacritics (setting unaccented) fits 160 characters a part' : ''}`,
    };
  }
  return null;
}

export function providerOf(settings: SmsSettings, channel: 'sms' | 'zalo'): Provider {
  return channel === 'zalo' ? 'zalo' : settings.provider;
}

/** Inserts a queued message (its window from the quiet hours) and asks for it to be sent. */
export async function queue(api: SmsApi, trx: Trx, tenantId: string, settings: SmsSettings, input: QueueInput): Promise<MessageRow> {
  const tenant = await getTenant(trx, tenantId);
  const notBefore = nextOpening(new Date(), tenant.timezone, settings.quietHours);
  const cost = input.channel === 'sms' ? parseAmount(settings.pricePerPart, tenant.currency, { allowZero: true, field: 'pricePerPart' }) * BigInt(input.plan.parts) : 0n;
  const row = await trx.insertInto('sms_message').values({
    tenant_id: tenantId, id: uuidv7(), action_id: input.actionId, channel: input.channel, partner_id: input.partnerId, phone: input.phone,
    text: input.text, encoding: input.plan.encoding, parts: input.plan.parts, lang: input.lang, provider: providerOf(settings, input.channel),
    state: 'queued', not_before: notBefore, submit_state: null, cost, template: JSON.stringify(input.template), fallback_of: input.fallbackOf,
    result: null, created_by: input.createdBy,
  }).returningAll().executeTakeFirstOrThrow();
  await api.emit(trx, tenantId, 'sms.message_queued', { messageId: row.id });
  return row as MessageRow;
}

/** What a message's state means for the follow-up action it delivers. */
export function actionOutcome(m: Pick<MessageRow, 'id' | 'channel' | 'state' | 'phone' | 'parts' | 'provider' | 'provider_id' | 'not_before' | 'result' | 'fallback_of'>, now = new Date()): ActionOutcome {
  const how = m.channel === 'zalo' ? 'Zalo message' : `SMS (${m.parts} part${m.parts === 1 ? '' : 's'})`;
  const via = m.fallback_of ? ' instead of the Zalo message' : '';
  const said = (m.result?.message as string | undefined) ?? '';
  const details = { message: m.id, provider: m.provider, providerId: m.provider_id, ...(m.fallback_of ? { fallbackOf: m.fallback_of } : {}) };
  const base = { recipient: m.phone, details };
  switch (m.state) {
    case 'queued': return m.not_before.getTime() > now.getTime()
      ? { ...base, state: 'pending', code: 'deferred', message: `${how}${via} waits for the sending window: goes at ${m.not_before.toISOString()}` }
      : { ...base, state: 'pending', code: 'queued', message: `${how}${via} queued` };
    case 'submitted': return { ...base, state: 'sent', code: 'submitted', message: `${how}${via} handed to ${m.provider} (${m.provider_id}); waiting for the delivery report` };
    case 'delivered': return { ...base, state: 'sent', code: 'delivered', message: `${how}${via} delivered to ${m.phone}` };
    case 'failed': return { ...base, state: 'failed', code: String(m.result?.code ?? 'failed'), message: said || `${how} failed` };
    case 'expired': return { ...base, state: 'failed', code: 'expired', message: said || `${how} expired before reaching the phone` };
    case 'cancelled': return { ...base, state: 'cancelled', code: String(m.result?.code ?? 'cancelled'), message: said || `${how} cancelled` };
    case 'unknown': return { ...base, state: 'uncertain', code: 'unknown', message: `${how}${via}: ${said || 'the provider\'s answer was lost'}; not sent again by itself: check with the provider, then send it again or leave it (POST /api/sms/messages/${m.id}/resend)` };
  }
}

/** The channel of the action a message delivers: an SMS that takes over a Zalo message reports on the Zalo action. */
const actionChannel = (m: Pick<MessageRow, 'channel' | 'fallback_of'>): Channel => (m.fallback_of ? 'zalo' : m.channel);

/** Records what became of messages on their follow-up actions — never over a reminder cancelled meanwhile (paid, by a clerk). */
export async function recordOnActions(api: SmsApi, trx: Trx, tenantId: string, messages: MessageRow[]): Promise<void> {
  const followUp = api.service('follow-up');
  const withAction = messages.filter((m) => m.action_id);
  if (withAction.length === 0) return;
  const actions = await followUp.actions.getMany(trx, tenantId, withAction.map((m) => m.action_id!));
  const open = withAction.filter((m) => actions.get(m.action_id!)?.state !== 'cancelled' || m.state === 'cancelled');
  for (const channel of ['sms', 'zalo'] as const) {
    const outcomes = open.filter((m) => actionChannel(m) === channel).map((m) => ({ actionId: m.action_id!, outcome: actionOutcome(m) }));
    await followUp.actions.recordMany(trx, tenantId, channel, outcomes);
  }
}

/** The ZNS template data of a reminder: the names a tenant's approved template must use. */
export function znsData(composed: Composed): Record<string, string> {
  return { customer_name: composed.data.customer, amount: composed.data.amount, due_date: composed.data.oldestDue, payment_reference: composed.data.reference };
}

/**
 * `followup.action_created` for sms and zalo, inside the run's transaction: the run's reminders are
 * taken in with one statement (`sms_intake`, once per action and channel: an action already taken
 * in, or written, is left alone) and one `sms.reminders_received` asks a sender to write and send
 * them, many at a time, after the run commits. Nothing leaves the process here.
 */
export function reminderIntake(api: SmsApi) {
  return async (ctx: HookContext, payloads: FollowUpActionCreated[]): Promise<void> => {
    const wanted = payloads.filter((p) => p.channel === 'sms' || p.channel === 'zalo');
    if (wanted.length === 0) return;
    const { rows } = await sql<{ n: number }>`
      with taken as (
        insert into sms_intake (tenant_id, action_id, channel, partner_id, level_id, date)
        select ${ctx.tenantId}, a, c, p, l, d
        from unnest(${wanted.map((w) => w.actionId)}::uuid[], ${wanted.map((w) => w.channel)}::text[], ${wanted.map((w) => w.partnerId)}::uuid[],
                    ${wanted.map((w) => w.levelId)}::uuid[], ${wanted.map((w) => w.date)}::date[]) as t(a, c, p, l, d)
        where not exists (select 1 from sms_message m where m.tenant_id = ${ctx.tenantId} and m.action_id = t.a and m.channel = t.c)
        on conflict do nothing
        returning 1)
      select count(*)::int as n from taken`.execute(ctx.trx);
    if (rows[0]!.n > 0) await api.emit(ctx.trx, ctx.tenantId, 'sms.reminders_received', { count: rows[0]!.n });
  };
}

interface Intake { action_id: string; channel: 'sms' | 'zalo'; partner_id: string; level_id: string; date: string }

/**
 * Writes up to WRITE reminders taken in: the number checked, the text written from the
 * follow-up's facts and counted, then refused with its reason on the action (no number, opted
 * out, too long, nothing left to remind) or queued for its window — in a few statements for the
 * whole batch. Returns how many were taken.
 */
export async function writeReminders(api: SmsApi, trx: Trx, tenantId: string, settings: SmsSettings): Promise<number> {
  const { rows: intake } = await sql<Intake>`
    delete from sms_intake t using (
      select action_id, channel from sms_intake where tenant_id = ${tenantId} order by created_at, action_id limit ${WRITE} for update skip locked
    ) w
    where t.tenant_id = ${tenantId} and t.action_id = w.action_id and t.channel = w.channel
    returning t.action_id, t.channel, t.partner_id, t.level_id, t.date::text as date`.execute(trx);
  if (intake.length === 0) return 0;
  const followUp = api.service('follow-up');
  const tenant = await getTenant(trx, tenantId);
  const actions = await followUp.actions.getMany(trx, tenantId, intake.map((i) => i.action_id));
  const outcomes: Array<{ channel: Channel; actionId: string; outcome: ActionOutcome }> = [];
  const numbered: Array<{ i: Intake; action: ReminderAction; phone: string }> = [];
  for (const i of intake) {
    const action = actions.get(i.action_id);
    if (!action || action.state !== 'pending') continue; // cancelled (paid) meanwhile, or done
    const phone = normalisePhone(action.recipient);
    if (phone.ok) numbered.push({ i, action, phone: phone.e164 });
    else outcomes.push({ channel: i.channel, actionId: i.action_id, outcome: { state: 'missing_contact', code: 'missing_contact', message: `missing contact data: ${phone.reason}`, recipient: action.recipient } });
  }
  const contents = await followUp.reminders.contentMany(trx, tenantId, numbered.map(({ i }) => ({ key: `${i.action_id}/${i.channel}`, partnerId: i.partner_id, levelId: i.level_id, date: i.date })));
  const written: Array<{ i: Intake; action: ReminderAction; phone: string; content: ReminderContent }> = [];
  for (const n of numbered) {
    const content = contents.get(`${n.i.action_id}/${n.i.channel}`)!;
    if ('problem' in content) outcomes.push({ channel: n.i.channel, actionId: n.i.action_id, outcome: { state: 'cancelled', code: 'nothing_left', message: `not sent: ${content.detail}` } });
    else written.push({ ...n, content });
  }
  const partners = await partnerFacts(api, trx, tenantId, written.map((w) => ({ partnerId: w.i.partner_id, invoiceIds: w.content.items.map((x) => x.invoiceId) })));
  const optedOut = await optedOutOf(trx, tenantId, written.map((w) => w.phone));
  const notBefore = nextOpening(new Date(), tenant.timezone, settings.quietHours);
  const price = parseAmount(settings.pricePerPart, tenant.currency, { allowZero: true, field: 'pricePerPart' });
  const rows: Array<Parameters<ReturnType<Trx['insertInto']>['values']>[0]> = [];
  const unconfigured: string[] = [];
  for (const w of written) {
    let composed: Composed;
    try {
      composed = reminderText(w.content, partners.get(w.i.partner_id)!, tenant, settings);
    } catch (err) {
      outcomes.push({ channel: w.i.channel, actionId: w.i.action_id, outcome: { state: 'failed', code: 'template_error', message: `not sent: the text could not be written (${(err as Error).message.split('\n')[0]})`, recipient: w.phone } });
      continue;
    }
    let template: { id: string; data: Record<string, string> } | null = null;
    let failedZalo: string | null = null;
    if (w.i.channel === 'zalo') {
      const id = settings.zalo.templates[composed.template];
      if (id && settings.zalo.accessToken) template = { id, data: znsData(composed) };
      else failedZalo = !id ? `no ZNS template is set for the reminder template '${composed.template}' (sms settings zalo.templates)` : 'Zalo is not configured (sms settings zalo.accessToken)';
    }
    const refused = failedZalo ? null : refusalOf(optedOut.get(w.phone) ?? null, w.phone, settings, w.i.channel, composed.plan);
    if (refused) {
      outcomes.push({ channel: w.i.channel, actionId: w.i.action_id, outcome: { ...refused, recipient: w.phone } });
      continue;
    }
    const id = uuidv7();
    if (failedZalo) unconfigured.push(id);
    rows.push({
      tenant_id: tenantId, id, action_id: w.i.action_id, channel: w.i.channel, partner_id: w.i.partner_id, phone: w.phone, text: composed.text,
      encoding: composed.plan.encoding, parts: composed.plan.parts, lang: composed.lang, provider: providerOf(settings, w.i.channel),
      // A Zalo message that cannot go is on record as failed, so that its SMS fallback (if the level has one) follows it.
      state: failedZalo ? 'failed' : 'queued', not_before: notBefore, submit_state: null, cost: w.i.channel === 'sms' ? price * BigInt(composed.plan.parts) : 0n,
      template: JSON.stringify(template), fallback_of: null, created_by: null, done_at: failedZalo ? new Date() : null,
      result: failedZalo ? JSON.stringify({ code: 'not_configured', message: `not sent: ${failedZalo}` }) : null,
    });
  }
  for (const channel of ['sms', 'zalo'] as const) {
    await followUp.actions.recordMany(trx, tenantId, channel, outcomes.filter((o) => o.channel === channel));
  }
  if (rows.length === 0) return intake.length;
  const inserted = await trx.insertInto('sms_message').values(rows as never).returningAll().execute() as MessageRow[];
  await recordOnActions(api, trx, tenantId, inserted);
  await failedOnes(api, trx, tenantId, settings, inserted.filter((m) => unconfigured.includes(m.id)));
  return intake.length;
}

async function optedOutOf(trx: Trx, tenantId: string, phones: string[]): Promise<Map<string, { source: 'clerk' | 'stop'; created_at: Date }>> {
  if (phones.length === 0) return new Map();
  const rows = await trx.selectFrom('sms_opt_out').select(['phone', 'source', 'created_at']).where('tenant_id', '=', tenantId).where('phone', 'in', [...new Set(phones)]).execute();
  return new Map(rows.map((r) => [r.phone, r]));
}

/**
 * Sends the tenant's due messages: claims up to CLAIM of them (committed as `sending`), hands them
 * to the provider through its window, records every outcome at once. Rounds until none is due.
 */
export async function dispatch(api: SmsApi, ctx: SubscriberContext, senderFor: (provider: Provider, settings: SmsSettings) => Sender, probe?: { messageId: string }): Promise<number> {
  const { tenantId } = ctx;
  if (probe) {
    // Most deliveries find their message sent already by another's round: one read, nothing else.
    const { rows } = await sql`select 1 from sms_message where tenant_id = ${tenantId} and id = ${probe.messageId} and state = 'queued' and submit_state is null and not_before <= now()`.execute(ctx.trx);
    if (rows.length === 0) return 0;
  }
  const settings = await api.settings(ctx.trx, tenantId);
  const tenant = await getTenant(ctx.trx, tenantId);
  let sent = 0;
  for (let round = 0; ; round++) {
    if (round === ROUNDS) {
      // A long morning: the rest in a new delivery, so that none holds a relay worker for minutes.
      await api.emit(ctx.trx, tenantId, 'sms.reminders_received', { count: 0 });
      break;
    }
    const took = await ctx.db.transaction((t) => writeReminders(api, t, tenantId, settings));
    const now = new Date();
    const opening = nextOpening(now, tenant.timezone, settings.quietHours);
    // While this delivery's transaction is open, its round is alive: the clock leaves its messages alone.
    const batch = uuidv7();
    await sql`select pg_advisory_xact_lock(${roundLock(batch)})`.execute(ctx.trx);
    const claimed = await ctx.db.transaction(async (t) => {
      if (opening.getTime() > now.getTime()) {
        // Quiet hours began since they were queued: they wait for the next window.
        await t.updateTable('sms_message').set({ not_before: opening }).where('tenant_id', '=', tenantId).where('state', '=', 'queued').where('submit_state', 'is', null).where('not_before', '<=', now).execute();
        return [] as MessageRow[];
      }
      const { rows } = await sql<MessageRow>`
        update sms_message m set submit_state = 'sending', submit_started_at = now(), submit_batch = ${batch}::uuid
        where m.tenant_id = ${tenantId} and m.id in (
          select id from sms_message
          where tenant_id = ${tenantId} and state = 'queued' and submit_state is null and not_before <= now()
          order by not_before, id limit ${CLAIM}
          for update skip locked)
        returning m.*`.execute(t);
      if (rows.length === 0) return rows;
      // A reminder whose action is no longer pending (paid meanwhile, cancelled by a clerk) does not go.
      const actions = await api.service('follow-up').actions.getMany(t, tenantId, rows.filter((r) => r.action_id).map((r) => r.action_id!));
      const stale = rows.filter((r) => r.action_id && actions.get(r.action_id)?.state !== 'pending');
      if (stale.length > 0) {
        await t.updateTable('sms_message').set({ state: 'cancelled', submit_state: null, done_at: new Date(), result: JSON.stringify({ code: 'action_closed', message: 'not sent: the reminder was closed before its turn (paid, or cancelled)' }) })
          .where('tenant_id', '=', tenantId).where('id', 'in', stale.map((r) => r.id)).execute();
      }
      return rows.filter((r) => !stale.includes(r));
    });
    if (claimed.length === 0) {
      if (took > 0) continue;
      break;
    }
    const byProvider = new Map<Provider, MessageRow[]>();
    for (const m of claimed) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
    const outcomes = new Map<string, Outcome>();
    for (const [provider, messages] of byProvider) {
      let results: Outcome[];
      try {
        results = await senderFor(provider, settings).send(messages.map(outgoing));
      } catch (err) {
        // Some may have left before the error: never offered again by themselves.
        results = messages.map(() => ({ kind: 'unknown' as const, message: `the sender failed: ${(err as Error).message}` }));
      }
      messages.forEach((m, i) => outcomes.set(m.id, results[i]));
    }
    const retry = await ctx.db.transaction((t) => settle(api, t, tenantId, settings, claimed, outcomes));
    sent += claimed.length - retry.length;
    // The provider cannot take them now: they wait (the clock offers them again), this delivery is done.
    if (retry.length > 0) {
      ctx.log.warn({ waiting: retry.length, reason: retry[0] }, 'SMS provider cannot take messages now; they wait');
      break;
    }
  }
  return sent;
}

function outgoing(m: MessageRow): Outgoing {
  return { id: m.id, phone: m.phone, text: m.text, encoding: m.encoding, parts: m.parts, template: m.template };
}

/** Records the outcomes of a round; returns the reasons of those that wait for a later try. */
async function settle(api: SmsApi, trx: Trx, tenantId: string, settings: SmsSettings, claimed: MessageRow[], outcomes: Map<string, Outcome>): Promise<string[]> {
  const retry: string[] = [];
  const now = new Date();
  const changed: MessageRow[] = [];
  const updates = claimed.map((m) => {
    const o = outcomes.get(m.id)!;
    let next: Partial<MessageRow>;
    if (o.kind === 'submitted') next = { state: 'submitted', submit_state: 'done', provider_id: o.providerId, part_ids: o.providerId.split(' '), submitted_at: now, result: { code: 'submitted', message: `taken by ${m.provider}` } };
    else if (o.kind === 'refused') next = { state: 'failed', submit_state: 'done', done_at: now, result: { code: o.code, message: `not sent: ${o.message}` } };
    else if (o.kind === 'unknown') next = { state: 'unknown', submit_state: 'sending', result: { code: 'unknown', message: o.message } };
    else {
      retry.push(o.message);
      next = { state: 'queued', submit_state: null, not_before: new Date(now.getTime() + RETRY_AFTER_MS), result: { code: 'waiting', message: o.message } };
    }
    return { ...m, ...next } as MessageRow;
  });
  // Only rows still in this round's hand-over: nothing else may have changed them, but a guard costs nothing.
  const { rows: written } = await sql<{ id: string }>`
    update sms_message m
    set state = u.state, submit_state = u.submit_state, provider_id = u.provider_id, part_ids = u.part_ids, result = u.result,
        submitted_at = u.submitted_at, done_at = u.done_at, not_before = u.not_before
    from jsonb_to_recordset(${JSON.stringify(updates.map((u) => ({
      id: u.id, state: u.state, submit_state: u.submit_state, provider_id: u.provider_id, part_ids: u.part_ids, result: u.result, submitted_at: u.submitted_at, done_at: u.done_at, not_before: u.not_before,
    })))}::jsonb) as u(id uuid, state text, submit_state text, provider_id text, part_ids text[], result jsonb, submitted_at timestamptz, done_at timestamptz, not_before timestamptz)
    where m.tenant_id = ${tenantId} and m.id = u.id and m.state = 'queued' and m.submit_state = 'sending'
    returning m.id`.execute(trx);
  const settled = new Set(written.map((w) => w.id));
  for (const u of updates) if (settled.has(u.id) && u.state !== 'queued') changed.push(u);
  await recordOnActions(api, trx, tenantId, changed);
  const submitted = changed.filter((m) => m.state === 'submitted');
  if (submitted.length > 0) {
    await api.emitMany(trx, tenantId, 'sms.submitted', submitted.map((m) => ({
      messageId: m.id, actionId: m.action_id, partnerId: m.partner_id, channel: m.channel, phone: m.phone, provider: m.provider, providerId: m.provider_id!, parts: m.parts,
    })));
  }
  const failed = changed.filter((m) => m.state === 'failed');
  await failedOnes(api, trx, tenantId, settings, failed);
  // Reports that came before this record (a fast network): applied now.
  const parts = submitted.flatMap((m) => (m.part_ids ?? []).map((id) => ({ provider: m.provider, id })));
  if (parts.length > 0) {
    const { rows: early } = await sql<{ provider: Provider; report: Report & { at: string } }>`
      delete from sms_report r using unnest(${parts.map((p) => p.provider)}::text[], ${parts.map((p) => p.id)}::text[]) as p(provider, id)
      where r.tenant_id = ${tenantId} and r.provider = p.provider and r.provider_id = p.id
      returning r.provider, r.report`.execute(trx);
    for (const e of early) await applyReport(api, trx, tenantId, e.provider, { ...e.report, at: new Date(e.report.at) });
  }
  return retry;
}

/** `sms.failed` for each, and a Zalo message that did not go by Zalo hands over to SMS when its level says so. */
async function failedOnes(api: SmsApi, trx: Trx, tenantId: string, settings: SmsSettings, failed: MessageRow[]): Promise<void> {
  if (failed.length === 0) return;
  await api.emitMany(trx, tenantId, 'sms.failed', failed.map((m) => ({
    messageId: m.id, actionId: m.action_id, partnerId: m.partner_id, channel: m.channel, phone: m.phone,
    state: m.state as 'failed' | 'expired', code: String(m.result?.code ?? m.state), reason: String(m.result?.message ?? m.state),
  })));
  const zalo = failed.filter((m) => m.channel === 'zalo' && m.action_id);
  if (zalo.length === 0) return;
  const followUp = api.service('follow-up');
  const actions = await followUp.actions.getMany(trx, tenantId, zalo.map((m) => m.action_id!));
  const taking = zalo.filter((m) => { const a = actions.get(m.action_id!); return a && a.fallback === 'sms' && a.state !== 'cancelled'; });
  if (taking.length === 0) return;
  // Paid (or excluded, promised) since the Zalo message: no SMS asks for it.
  const today = todayIn((await getTenant(trx, tenantId)).timezone);
  const still = await followUp.reminders.contentMany(trx, tenantId, taking.map((m) => ({ key: m.id, partnerId: m.partner_id, levelId: actions.get(m.action_id!)!.levelId, date: today })));
  const existing = new Set((await trx.selectFrom('sms_message').select('action_id').where('tenant_id', '=', tenantId).where('channel', '=', 'sms')
    .where('action_id', 'in', taking.map((m) => m.action_id!)).execute()).map((r) => r.action_id));
  for (const m of taking) {
    if (existing.has(m.action_id)) continue; // its SMS exists already
    const content = still.get(m.id)!;
    if ('problem' in content) {
      await followUp.actions.record(trx, tenantId, m.action_id!, 'zalo', { state: 'cancelled', code: 'nothing_left', message: `not sent by SMS either: ${content.detail}`, recipient: m.phone });
      continue;
    }
    const text = m.text;
    const refused = await refusal(trx, tenantId, settings, m.phone, 'sms', plan(text));
    if (refused) {
      await followUp.actions.record(trx, tenantId, m.action_id!, 'zalo', { ...refused, message: `${refused.message} (the SMS that was to replace the Zalo message)`, recipient: m.phone });
      continue;
    }
    const sms = await queue(api, trx, tenantId, settings, {
      actionId: m.action_id, channel: 'sms', partnerId: m.partner_id, phone: m.phone, text, lang: m.lang, plan: plan(text),
      template: null, fallbackOf: m.id, createdBy: null,
    });
    await recordOnActions(api, trx, tenantId, [sms]);
    await followUp.timeline.note(trx, tenantId, m.partner_id, `Zalo reminder not delivered (${String(m.result?.message ?? m.state)}): sent by SMS instead`, null);
  }
}

/**
 * What the network said about a submitted message (an SMPP receipt, a gateway's callback, Zalo's
 * "received" event), idempotent: a report for a message already at its end changes nothing. A
 * report that comes before the hand-over is on record (a fast network, a round still sending) is
 * parked and applied when it is. A message in parts is delivered when every part is, failed when
 * any part failed.
 */
export async function applyReport(api: SmsApi, trx: Trx, tenantId: string, provider: Provider, report: Report): Promise<'applied' | 'parked' | 'duplicate'> {
  const { rows: [m] } = await sql<MessageRow>`
    select * from sms_message
    where tenant_id = ${tenantId} and provider = ${provider} and part_ids @> array[${report.providerId}]::text[]
    for update`.execute(trx);
  if (!m) {
    const { rows } = await sql`
      insert into sms_report (tenant_id, provider, provider_id, state, report)
      values (${tenantId}, ${provider}, ${report.providerId}, ${report.state}, ${JSON.stringify({ ...report, at: report.at.toISOString() })})
      on conflict do nothing returning 1`.execute(trx);
    return rows.length > 0 ? 'parked' : 'duplicate';
  }
  const ids = m.part_ids!;
  const parts = { ...((m.result?.parts as Record<string, string> | undefined) ?? {}) };
  parts[report.providerId] = report.state;
  if (ENDED.includes(m.state)) {
    // At its end already (every part reported, or one failed): the parts' words are kept, nothing else moves.
    await trx.updateTable('sms_message').set({ result: JSON.stringify({ ...m.result, parts }) }).where('tenant_id', '=', tenantId).where('id', '=', m.id).execute();
    return 'duplicate';
  }
  const states = ids.map((id) => parts[id]);
  const state: MessageState = states.some((s) => s === 'failed') ? 'failed' : states.some((s) => s === 'expired') ? 'expired' : states.every((s) => s === 'delivered') ? 'delivered' : m.state;
  const ended = ENDED.includes(state);
  const result = { code: ended ? report.code : m.result?.code ?? 'submitted', message: ended ? (state === 'delivered' ? report.message : `not delivered: ${report.message}`) : String(m.result?.message ?? ''), parts };
  const row = { ...m, state, result, done_at: ended ? report.at : m.done_at };
  await trx.updateTable('sms_message').set({ state, result: JSON.stringify(result), done_at: row.done_at }).where('tenant_id', '=', tenantId).where('id', '=', m.id).execute();
  if (!ended) return 'applied';
  await recordOnActions(api, trx, tenantId, [row]);
  if (state === 'delivered') {
    await api.emit(trx, tenantId, 'sms.delivered', { messageId: m.id, actionId: m.action_id, partnerId: m.partner_id, channel: m.channel, phone: m.phone, deliveredAt: report.at.toISOString() });
  } else {
    await failedOnes(api, trx, tenantId, await api.settings(trx, tenantId), [row]);
  }
  return 'applied';
}

const ENDED: MessageState[] = ['delivered', 'failed', 'expired'];

/** A STOP from a phone: the number is opted out (its partner's, when one has it). */
export async function optOutByReply(api: SmsApi, trx: Trx, tenantId: string, from: string, text: string): Promise<boolean> {
  const word = text.trim().toUpperCase().replace(/\s+/g, ' ');
  if (!['STOP', 'HUY', 'HỦY', 'TU CHOI', 'TỪ CHỐI', 'UNSUBSCRIBE', '退订', 'إلغاء'].includes(word)) return false;
  const phone = normalisePhone(from.startsWith('+') || from.startsWith('0') ? from : `+${from}`);
  if (!phone.ok) return false;
  const partner = await trx.selectFrom('sms_message').select('partner_id').where('tenant_id', '=', tenantId).where('phone', '=', phone.e164).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  const inserted = await trx.insertInto('sms_opt_out').values({ tenant_id: tenantId, phone: phone.e164, partner_id: partner?.partner_id ?? null, source: 'stop', note: `replied "${text.trim().slice(0, 40)}"`, created_by: null })
    .onConflict((oc) => oc.columns(['tenant_id', 'phone']).doNothing()).returning('phone').executeTakeFirst();
  if (inserted && partner) await api.service('follow-up').timeline.note(trx, tenantId, partner.partner_id, `${phone.e164} replied "${text.trim().slice(0, 40)}": no more SMS to this number`, null);
  await api.audit(trx, tenantId, { actor: { userId: null, tokenId: null, requestId: null }, action: 'sms.opted_out', entity: 'sms_opt_out', entityId: phone.e164, after: { phone: phone.e164, source: 'stop' } });
  return true;
}

/**
 * The clock's care: hand-overs left `sending` past the grace time are `unknown`; Zalo messages
 * not received within the setting's minutes are `expired` (and fall back to SMS); queued messages
 * whose window came are sent (the caller dispatches after).
 */
export async function sweep(api: SmsApi, trx: Trx, tenantId: string, settings: SmsSettings): Promise<void> {
  // Only rounds whose sender is gone: a live one holds its round's lock in its open transaction.
  const { rows: lost } = await sql<MessageRow>`
    update sms_message set state = 'unknown', result = jsonb_build_object('code', 'unknown', 'message', 'the server stopped while handing it over: the provider may have it')
    where tenant_id = ${tenantId} and state = 'queued' and submit_state = 'sending' and submit_started_at < ${new Date(Date.now() - SENDING_GRACE_MS)}
      and pg_try_advisory_xact_lock(hashtextextended('sms-send:' || coalesce(submit_batch, id)::text, 0))
    returning *`.execute(trx);
  await recordOnActions(api, trx, tenantId, lost as MessageRow[]);
  const late = await trx.updateTable('sms_message')
    .set({ state: 'expired', done_at: new Date(), result: sql`jsonb_build_object('code', 'zalo_not_received', 'message', ${`not received on Zalo within ${settings.zalo.deliveryMinutes} minutes`}::text)` })
    .where('tenant_id', '=', tenantId).where('channel', '=', 'zalo').where('state', '=', 'submitted').where('submitted_at', '<', new Date(Date.now() - settings.zalo.deliveryMinutes * 60_000))
    .returningAll().execute();
  await recordOnActions(api, trx, tenantId, late as MessageRow[]);
  await failedOnes(api, trx, tenantId, settings, late as MessageRow[]);
}
