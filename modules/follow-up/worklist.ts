/**
 * The clerk's day: the worklist (partners in need of action — manual levels, calls to make —
 * ranked by overdue amount × days × trust), logging a call with its outcome, rescheduling the next
 * action, and sending a level by hand (warned when a reminder went out recently).
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { daysBetween, isIsoDate, todayIn } from '../../core/dates.js';
import { ProblemError, badRequest, conflict } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { formatAmount } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, partnerOr404, type FollowUpApi } from './context.js';
import { setPromise } from './items.js';
import { levelsByPlan } from './levels.js';
import { decide, factsOf } from './policy.js';
import * as repo from './repository.js';
import { prepare, record, type RunAction, type MissingContact } from './runs.js';
import type { CallOutcome, PromiseChannel } from './tables.js';

const TRUST_WEIGHT: Record<string, bigint> = { bad: 3n, normal: 2n, good: 1n };

export interface WorklistRow {
  partner: string; ref: string; name: string; trust: string;
  overdue: string; daysOverdue: number;
  level: { id: string; name: string; delay: number; auto: boolean } | null;
  manual: boolean;
  /** Calls and tasks of the partner that are due. */
  activities: Array<{ id: string; type: string; dueOn: string; level: string }>;
  /** overdue (minor units) × days overdue × trust weight (bad 3, normal 2, good 1) */
  score: string;
}

/**
 * Partners in need of action on `date`: a level is due (a manual one, or an automatic one the
 * run has not done yet) or a call/task of theirs is due. Rescheduled partners wait until their date.
 */
export async function worklist(api: FollowUpApi, trx: Trx, tenantId: string, date: string | undefined, visible: string[] | null, limit: number): Promise<{ date: string; count: number; rows: WorklistRow[] }> {
  const tenant = await getTenant(trx, tenantId);
  const on = date ?? todayIn(tenant.timezone);
  const settings = await api.settings(trx, tenantId);
  const plans = await levelsByPlan(trx, tenantId);
  const facts = await repo.openItemFacts(trx, tenantId, on);
  const states = await repo.partnerStates(trx, tenantId);
  const { rows: due } = await sql<{ id: string; partner_id: string; type: string; due_on: string; level: string }>`
    select a.id, a.partner_id, a.type, a.due_on, l.name as level from followup_activity a
    join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
    left join followup_partner f on f.tenant_id = a.tenant_id and f.partner_id = a.partner_id
    where a.tenant_id = ${tenantId} and a.state = 'open' and a.due_on <= ${on}::date and (f.next_action_on is null or f.next_action_on <= ${on}::date)
    order by a.due_on`.execute(trx);
  const activities = new Map<string, WorklistRow['activities']>();
  for (const a of due) {
    const list = activities.get(a.partner_id) ?? [];
    list.push({ id: a.id, type: a.type, dueOn: a.due_on, level: a.level });
    activities.set(a.partner_id, list);
  }
  const candidates: Array<{ partnerId: string; overdue: bigint; days: number; level: WorklistRow['level']; manual: boolean }> = [];
  const seen = new Set<string>();
  for (const f of facts) {
    const state = states.get(f.partnerId) ?? null;
    const levels = plans.get(state?.plan ?? settings.defaultPlan) ?? [];
    const d = decide(levels, f, state, on, settings.minIntervalDays);
    const needed = d.dueLevel !== null && d.heldUntil === null;
    if (!needed && !activities.has(f.partnerId)) continue;
    seen.add(f.partnerId);
    candidates.push({
      partnerId: f.partnerId, overdue: f.overdue, days: Math.max(0, d.daysOverdue ?? 0),
      level: needed ? { id: d.dueLevel!.id, name: d.dueLevel!.name, delay: d.dueLevel!.delay, auto: d.dueLevel!.auto } : null, manual: needed && d.manual,
    });
  }
  for (const partnerId of activities.keys()) if (!seen.has(partnerId)) candidates.push({ partnerId, overdue: 0n, days: 0, level: null, manual: false });
  const ids = candidates.map((c) => c.partnerId);
  const partners = ids.length === 0 ? [] : await trx.selectFrom('ledger_partner').select(['id', 'ref', 'name', 'trust', 'salesperson_id'])
    .where('tenant_id', '=', tenantId).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  const byId = new Map(partners.map((p) => [p.id, p]));
  const rows = candidates
    .filter((c) => !visible || visible.includes(byId.get(c.partnerId)?.salesperson_id ?? ''))
    .map((c) => {
      const p = byId.get(c.partnerId)!;
      const score = c.overdue * BigInt(c.days) * (TRUST_WEIGHT[p.trust] ?? 2n);
      return { c, p, score };
    })
    .sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : a.p.ref < b.p.ref ? -1 : 1));
  return {
    date: on, count: rows.length,
    rows: rows.slice(0, limit).map(({ c, p, score }) => ({
      partner: p.id, ref: p.ref, name: p.name, trust: p.trust, overdue: formatAmount(c.overdue, tenant.currency), daysOverdue: c.days,
      level: c.level, manual: c.manual, activities: activities.get(c.partnerId) ?? [], score: score.toString(),
    })),
  };
}

export interface CallInput {
  outcome: CallOutcome;
  notes?: string;
  /** Reschedule: nothing is due for the partner before this date (automatic reminders included). */
  nextActionDate?: string;
  /** outcome promise_made: the promise on one open item. */
  promise?: { item: string; amount: string | number; date: string; by: string };
}

/** Logs a call: its outcome and notes on the timeline, the partner's due calls done, an optional promise and new date. */
export async function logCall(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, input: CallInput) {
  const partner = await partnerOr404(api, trx, tenantId, idOrRef);
  const tenant = await getTenant(trx, tenantId);
  const today = todayIn(tenant.timezone);
  if (input.nextActionDate !== undefined && (!isIsoDate(input.nextActionDate) || input.nextActionDate <= today)) {
    throw badRequest(`nextActionDate '${input.nextActionDate}' must be a date after today (${today})`, 'nextActionDate');
  }
  if (input.outcome === 'promise_made' && !input.promise) throw badRequest('a call whose outcome is promise_made records the promise: give promise {item, amount, date, by}', 'promise');
  if (input.promise) {
    const view = await setPromise(api, trx, tenantId, actor, input.promise.item, { ...input.promise, channel: 'phone' as PromiseChannel, note: input.notes });
    if (view.item.partner !== partner.id) throw badRequest(`item ${input.promise.item} is not an item of partner ${partner.ref}`, 'promise.item');
  }
  const note = await trx.insertInto('followup_note').values({
    tenant_id: tenantId, partner_id: partner.id, kind: 'call', outcome: input.outcome, text: input.notes?.trim() || null, line_id: null,
    next_action_on: input.nextActionDate ?? null, user_id: actor.userId,
  }).returning(['id', 'created_at']).executeTakeFirstOrThrow();
  const done = await trx.updateTable('followup_activity').set({ state: 'done' })
    .where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id).where('state', '=', 'open').where('type', '=', 'call').where('due_on', '<=', today)
    .returning('id').execute();
  if (input.nextActionDate) {
    await repo.noteChanged(trx, tenantId, [partner.id]);
    await trx.insertInto('followup_partner').values({ tenant_id: tenantId, partner_id: partner.id, plan: null, responsible_user_id: null, episode: 1, last_level_id: null, last_level_delay: null, last_reminder_on: null, next_action_on: input.nextActionDate })
      .onConflict((oc) => oc.columns(['tenant_id', 'partner_id']).doUpdateSet({ next_action_on: input.nextActionDate!, updated_at: new Date() })).execute();
  }
  await api.audit(trx, tenantId, { actor, action: 'followup.call_logged', entity: 'partner', entityId: partner.id, after: { outcome: input.outcome, notes: input.notes ?? null, nextActionDate: input.nextActionDate ?? null, activitiesDone: done.map((d) => d.id) } });
  return { id: note.id, partner: partner.id, outcome: input.outcome, notes: input.notes?.trim() || null, nextActionDate: input.nextActionDate ?? null, activitiesDone: done.length, createdAt: note.created_at.toISOString() };
}

export interface SendInput { level?: string; force?: boolean }

/**
 * A clerk sends a level now (the due one, a manual level, or the one named). Refused with 409
 * when a reminder went out less than the minimum interval ago, unless `force`; refused when the
 * level was already done in this episode.
 */
export async function sendNow(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, input: SendInput): Promise<{ run: string; actions: RunAction[]; missingContactData: MissingContact[] }> {
  const partner = await partnerOr404(api, trx, tenantId, idOrRef);
  await sql`select pg_advisory_xact_lock(hashtextextended(${`followup-run:${tenantId}`}, 0))`.execute(trx);
  const tenant = await getTenant(trx, tenantId);
  const today = todayIn(tenant.timezone);
  const settings = await api.settings(trx, tenantId);
  const states = await repo.partnerStates(trx, tenantId, partner.id);
  const state = states.get(partner.id) ?? null;
  const plan = state?.plan ?? settings.defaultPlan;
  const levels = (await levelsByPlan(trx, tenantId)).get(plan) ?? [];
  const items = await repo.partnerItems(trx, tenantId, partner.id);
  const decision = decide(levels, factsOf(items, today), state, today, settings.minIntervalDays);
  let level = decision.dueLevel;
  if (input.level) {
    if (!UUID.test(input.level)) throw badRequest(`no level ${input.level} in plan '${plan}'`, 'level');
    level = levels.find((l) => l.id === input.level) ?? null;
    if (!level) throw badRequest(`no level ${input.level} in plan '${plan}' (the partner's plan)`, 'level');
  }
  if (!level) throw conflict(`Nothing is due for ${partner.ref}: no level applies on ${today} that was not already done. Name a level to send it anyway.`, 'nothing-due');
  if (level.channels.length === 0) throw badRequest(`level '${level.name}' has no channel to send`, 'level');
  if (state?.lastReminderOn && !input.force) {
    const since = daysBetween(state.lastReminderOn, today);
    if (since < settings.minIntervalDays) {
      throw new ProblemError(409, 'reminder-sent-recently', 'A reminder was sent recently',
        `A reminder went out to ${partner.ref} on ${state.lastReminderOn} (${since} day${since === 1 ? '' : 's'} ago); the minimum interval is ${settings.minIntervalDays} days. Send with "force": true to send anyway.`, 'force');
    }
  }
  const episode = decision.episodeOver && state?.lastLevelId ? state.episode + 1 : state?.episode ?? 1;
  if (episode !== (state?.episode ?? 1)) {
    await trx.updateTable('followup_partner').set({ episode, last_level_id: null, last_level_delay: null }).where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id).execute();
  }
  const already = await trx.selectFrom('followup_action').select('id').where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id)
    .where('episode', '=', episode).where('level_id', '=', level.id).limit(1).executeTakeFirst();
  if (already) throw conflict(`Level '${level.name}' was already sent to ${partner.ref} in this follow-up episode.`, 'level-already-sent');
  const open = items.filter((i) => i.residual > 0n && !i.excluded && i.invoiceId);
  const planned = [{ partnerId: partner.id, episode, level, invoiceIds: [...new Set(open.map((i) => i.invoiceId!))], before: { level: state?.lastLevelId ?? null, delay: state?.lastLevelDelay ?? null } }];
  const prepared = await prepare(trx, tenantId, planned);
  const run = await trx.insertInto('followup_run').values({ tenant_id: tenantId, date: today, dry_run: false, trigger: 'manual', actor_user_id: actor.userId, partners: 1, actions: prepared.rows.length, mode: 'send' })
    .returning('id').executeTakeFirstOrThrow();
  // The level sent by hand is the partner's level now (never lower than what was reached).
  const keep = state?.lastLevelDelay !== null && state?.lastLevelDelay !== undefined && state.lastLevelDelay > level.delay && !decision.episodeOver;
  await record(api, trx, tenantId, actor, run.id, today, planned, prepared, states);
  if (keep) {
    await trx.updateTable('followup_partner').set({ last_level_id: state!.lastLevelId, last_level_delay: state!.lastLevelDelay })
      .where('tenant_id', '=', tenantId).where('partner_id', '=', partner.id).execute();
  }
  await repo.noteChanged(trx, tenantId, [partner.id]);
  await trx.insertInto('followup_note').values({ tenant_id: tenantId, partner_id: partner.id, kind: 'manual_send', outcome: null, text: `Level '${level.name}' sent by hand (${level.channels.join(' + ')})${input.force ? ', despite the minimum interval' : ''}`, line_id: null, next_action_on: null, user_id: actor.userId }).execute();
  return { run: run.id, actions: prepared.actions, missingContactData: prepared.missingContactData };
}
