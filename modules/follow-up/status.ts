import type { Trx } from '../../core/db/kysely.js';
import { addDays, daysBetween, todayIn } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { formatAmount } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, partnerOr404, type FollowUpApi, type FollowUpSettings } from './context.js';
import { checkPlanName, levelsByPlan } from './levels.js';
import { decide, factsOf, nextActionDate, promiseRunning, statusOf, type Item, type PlanLevel, type Status } from './policy.js';
import * as repo from './repository.js';

export interface LevelRef { id: string; name: string; delay: number; channels: string[]; auto: boolean }
export interface ItemView {
  id: string; invoice: string | null; label: string; dueDate: string; residual: string; daysOverdue: number;
  followedUp: boolean;
  excluded: { reason: string; note: string | null } | null;
  promise: { amount: string; date: string; by: string | null; channel: string | null; state: 'running' | 'kept' | 'broken' } | null;
}
export interface PartnerStatusView {
  partner: { id: string; ref: string; name: string };
  date: string;
  status: Status;
  plan: string;
  level: LevelRef | null;
  lastLevel: (LevelRef & { reachedOn: string }) | null;
  nextLevel: LevelRef | null;
  nextActionDate: string | null;
  manual: boolean;
  responsible: string | null;
  overdue: string;
  balance: string;
  reasons: string[];
  items: ItemView[];
}

const ref = (l: PlanLevel): LevelRef => ({ id: l.id, name: l.name, delay: l.delay, channels: l.channels, auto: l.auto });
const days = (n: number): string => `${n} day${Math.abs(n) === 1 ? '' : 's'}`;
const REASONS: Record<string, string> = { dispute: 'in dispute', litigation: 'in litigation', agreed_delay: 'a delay was agreed' };

function promiseState(item: Item, date: string): 'running' | 'kept' | 'broken' | null {
  if (!item.promise) return null;
  if (promiseRunning(item, date)) return 'running';
  const paidSince = item.promise.residualThen === null ? 0n : item.promise.residualThen - item.residual;
  return paidSince >= item.promise.amount ? 'kept' : 'broken';
}

/**
 * Where a partner stands in its follow-up on `date` (default today), with the reasons: which open
 * items count, which level rule applies, and why the next date is what it is.
 */
export async function partnerStatus(api: FollowUpApi, trx: Trx, tenantId: string, idOrRef: string, visible: string[] | null, date?: string): Promise<PartnerStatusView> {
  const partner = await partnerOr404(trx, tenantId, idOrRef, visible);
  const tenant = await getTenant(trx, tenantId);
  const on = date ?? todayIn(tenant.timezone);
  const settings = await api.settings(trx, tenantId);
  const state = (await repo.partnerStates(trx, tenantId, partner.id)).get(partner.id) ?? null;
  const plan = state?.plan ?? settings.defaultPlan;
  const levels = (await levelsByPlan(trx, tenantId)).get(plan) ?? [];
  const items = await repo.partnerItems(trx, tenantId, partner.id);
  const money = (v: bigint): string => `${formatAmount(v, tenant.currency)} ${tenant.currency}`;

  const facts = factsOf(items, on);
  const decision = decide(levels, facts, state, on, settings.minIntervalDays);
  const status = statusOf(decision, items, on);
  const reasons: string[] = [];

  const debits = items.filter((i) => i.residual > 0n);
  const overdueItems = debits.filter((i) => i.dueDate < on && !i.excluded);
  const overdue = overdueItems.reduce((s, i) => s + i.residual, 0n);
  const balance = items.reduce((s, i) => s + i.residual, 0n);

  if (levels.length === 0) reasons.push(`Plan '${plan}' has no follow-up levels, so nothing is ever sent to this partner.`);
  if (debits.length === 0) reasons.push('The partner has no open invoices.');
  else {
    reasons.push(`${debits.length} open item${debits.length === 1 ? '' : 's'}, ${money(debits.reduce((s, i) => s + i.residual, 0n))} in all; ${overdueItems.length} overdue on ${on} (${money(overdue)}).`);
  }
  for (const i of debits) {
    const late = daysBetween(i.dueDate, on);
    const when = late > 0 ? `${days(late)} overdue` : late === 0 ? 'due today' : `due in ${days(-late)}`;
    let line = `${i.label}: ${money(i.residual)} open, due ${i.dueDate} (${when})`;
    if (i.excluded) line += ` — excluded from follow-up: ${REASONS[i.excluded.reason]}${i.excluded.note ? ` (${i.excluded.note})` : ''}; it is never reminded while excluded`;
    else if (i.promise) {
      const p = `promise to pay ${money(i.promise.amount)} by ${i.promise.date}${i.promise.by ? ` (${i.promise.by}${i.promise.channel ? `, by ${i.promise.channel}` : ''})` : ''}`;
      const ps = promiseState(i, on);
      if (ps === 'running') line += ` — ${p}: reminders about it wait until that date has passed unpaid`;
      else if (ps === 'kept') line += ` — ${p}: kept`;
      else line += ` — ${p}: broken (not paid by then), so it is followed up again`;
    }
    reasons.push(line + '.');
  }
  const credits = items.filter((i) => i.residual < 0n);
  if (credits.length > 0) reasons.push(`Unallocated credit of ${money(-credits.reduce((s, i) => s + i.residual, 0n))} (payments or credit notes not yet applied) lowers the balance to ${money(balance)}.`);
  if (decision.creditCovers) reasons.push('The unallocated credit covers everything open: no reminder is sent; allocate it to the invoices.');

  if (levels.length > 0 && facts.oldestEligibleDue !== null) {
    const oldest = debits.find((i) => i.dueDate === facts.oldestEligibleDue && !i.excluded && !promiseRunning(i, on))!;
    const d = decision.daysOverdue!;
    reasons.push(`The oldest item followed up is ${oldest.label}, due ${oldest.dueDate}: ${d >= 0 ? `${days(d)} overdue` : `${days(-d)} before its due date`} on ${on}.`);
    if (decision.reached) {
      reasons.push(`Level rule: the highest level of plan '${plan}' whose delay is at most ${d} is '${decision.reached.name}' (${decision.reached.delay} days).`);
    } else {
      reasons.push(`Level rule: no level of plan '${plan}' applies yet: the first, '${levels[0].name}', starts at ${levels[0].delay} days.`);
    }
  } else if (levels.length > 0 && debits.length > 0 && debits.every((i) => i.excluded || promiseRunning(i, on))) {
    reasons.push('Every open item is excluded or has a promise to pay running: nothing is followed up now.');
  }
  if (decision.done && state?.lastReminderOn) {
    reasons.push(`Level '${decision.done.name}' was already done in this follow-up episode (last reminder on ${state.lastReminderOn}); a level is done once per episode.`);
  }
  if (decision.dueLevel) {
    if (decision.heldUntil && decision.rescheduled) {
      reasons.push(`A clerk rescheduled the follow-up to ${decision.heldUntil}: level '${decision.dueLevel.name}' waits until then.`);
    } else if (decision.heldUntil) {
      reasons.push(`A reminder went out on ${state!.lastReminderOn}; at least ${days(settings.minIntervalDays)} must pass between two reminders, so level '${decision.dueLevel.name}' waits until ${decision.heldUntil}.`);
    } else if (decision.manual) {
      reasons.push(`Level '${decision.dueLevel.name}' is manual: a clerk sends it; the daily run does not.`);
    } else {
      reasons.push(`Level '${decision.dueLevel.name}' is due now (${decision.dueLevel.channels.join(' + ') || 'no channel'}${decision.dueLevel.activity ? `, ${decision.dueLevel.activity.type} activity` : ''}): the next run sends it.`);
    }
  }

  let next: string | null;
  if (status === 'in_need_of_action') next = on;
  else next = levels.length > 0 && !decision.creditCovers ? nextActionDate(levels, items, state, on, settings.minIntervalDays) : null;
  const current = decision.done ?? null;
  const base = decision.dueLevel ?? current;
  const upcoming = base ? levels.find((l) => l.delay > base.delay) ?? null : levels[0] ?? null;
  if (status !== 'in_need_of_action') {
    if (next) {
      const nextDecision = decide(levels, factsOf(items, next), state, next, settings.minIntervalDays);
      const lvl = nextDecision.dueLevel!;
      const because = facts.oldestEligibleDue && addDays(facts.oldestEligibleDue, lvl.delay) === next
        ? `when the oldest item followed up reaches ${lvl.delay} days`
        : state?.nextActionOn === next
          ? 'the date a clerk rescheduled the follow-up to'
          : state?.lastReminderOn && addDays(state.lastReminderOn, settings.minIntervalDays) === next
            ? 'when the minimum interval since the last reminder has passed'
            : items.some((i) => i.promise && addDays(i.promise.date, 1) === next)
              ? 'the day after a promise to pay runs out, if it is not kept'
              : `when an item reaches ${lvl.delay} days`;
      reasons.push(`Next action: level '${lvl.name}' on ${next}, ${because} (if nothing is paid before).`);
    } else if (debits.length > 0 && levels.length > 0 && !decision.creditCovers) {
      reasons.push('No further level is ahead in this episode: the last level of the plan was done.');
    }
  }

  const lastLevel = state?.lastLevelId ? levels.find((l) => l.id === state.lastLevelId) ?? null : null;
  return {
    partner: { id: partner.id, ref: partner.ref, name: partner.name },
    date: on, status, plan,
    level: decision.dueLevel ? ref(decision.dueLevel) : current ? ref(current) : null,
    lastLevel: lastLevel && state?.lastReminderOn && !decision.episodeOver ? { ...ref(lastLevel), reachedOn: state.lastReminderOn } : null,
    nextLevel: upcoming ? ref(upcoming) : null,
    nextActionDate: next,
    manual: decision.manual,
    responsible: state?.responsibleUserId ?? null,
    overdue: formatAmount(overdue, tenant.currency),
    balance: formatAmount(balance, tenant.currency),
    reasons,
    items: items.map((i) => ({
      id: i.id, invoice: i.invoiceId, label: i.label, dueDate: i.dueDate, residual: formatAmount(i.residual, tenant.currency),
      daysOverdue: Math.max(0, daysBetween(i.dueDate, on)),
      followedUp: i.residual > 0n && !i.excluded && !promiseRunning(i, on),
      excluded: i.excluded,
      promise: i.promise ? { amount: formatAmount(i.promise.amount, tenant.currency), date: i.promise.date, by: i.promise.by, channel: i.promise.channel, state: promiseState(i, on)! } : null,
    })),
  };
}

export interface PartnerSettingsInput { plan?: string | null; responsible?: string | null }

/** A partner's plan (null: the default plan) and follow-up responsible. */
export async function setPartnerFollowUp(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, input: PartnerSettingsInput): Promise<PartnerStatusView> {
  const partner = await partnerOr404(trx, tenantId, idOrRef);
  const before = (await repo.partnerStates(trx, tenantId, partner.id)).get(partner.id);
  const plan = input.plan === undefined ? before?.plan ?? null : input.plan === null ? null : checkPlanName(input.plan);
  if (plan !== null && plan !== before?.plan) {
    const exists = await trx.selectFrom('followup_level').select('id').where('tenant_id', '=', tenantId).where('plan', '=', plan).where('archived_at', 'is', null).limit(1).executeTakeFirst();
    if (!exists) throw badRequest(`plan '${plan}' has no levels; create its levels first (POST /api/follow-up/levels with "plan": "${plan}")`, 'plan');
  }
  let responsible = input.responsible === undefined ? before?.responsibleUserId ?? null : input.responsible;
  if (responsible !== null) {
    const user = UUID.test(responsible) ? await trx.selectFrom('core_user').select('id').where('tenant_id', '=', tenantId).where('id', '=', responsible).executeTakeFirst() : undefined;
    if (!user) throw badRequest(`no user ${responsible} in this company`, 'responsible');
    responsible = user.id;
  }
  await trx.insertInto('followup_partner').values({ tenant_id: tenantId, partner_id: partner.id, plan, responsible_user_id: responsible, episode: 1, last_level_id: null, last_level_delay: null, last_reminder_on: null })
    .onConflict((oc) => oc.columns(['tenant_id', 'partner_id']).doUpdateSet({ plan, responsible_user_id: responsible, updated_at: new Date() })).execute();
  if (plan !== (before?.plan ?? null)) await repo.noteChanged(trx, tenantId, [partner.id]);
  await api.audit(trx, tenantId, {
    actor, action: 'followup.partner_changed', entity: 'partner', entityId: partner.id,
    before: { plan: before?.plan ?? null, responsible: before?.responsibleUserId ?? null }, after: { plan, responsible },
  });
  return partnerStatus(api, trx, tenantId, partner.id, null);
}

export type { FollowUpSettings };
