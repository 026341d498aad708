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
import { tenantLanguage, translator, type Lang, type MessageKey } from './i18n/index.js';

/** A channel (reminder or promise) by its name in the language; an unknown one as it is. */
function channelName(t: ReturnType<typeof translator>, channel: string): string {
  const key = `channel.${channel}` as MessageKey;
  const name = t(key);
  return name === key ? channel : name;
}

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

function promiseState(item: Item, date: string): 'running' | 'kept' | 'broken' | null {
  if (!item.promise) return null;
  if (promiseRunning(item, date)) return 'running';
  const paidSince = item.promise.residualThen === null ? 0n : item.promise.residualThen - item.residual;
  return paidSince >= item.promise.amount ? 'kept' : 'broken';
}

/**
 * Where a partner stands in its follow-up on `date` (default today), with the reasons: which open
 * items count, which level rule applies, and why the next date is what it is — in `lang` (the
 * language asked for; default the tenant's), from the catalogues in i18n/.
 */
export async function partnerStatus(api: FollowUpApi, trx: Trx, tenantId: string, idOrRef: string, visible: string[] | null, date?: string, lang?: Lang): Promise<PartnerStatusView> {
  const partner = await partnerOr404(api, trx, tenantId, idOrRef, visible);
  const tenant = await getTenant(trx, tenantId);
  const t = translator(lang ?? tenantLanguage(tenant.locale));
  const days = (n: number): string => t('days', { n: Math.abs(n) });
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

  if (levels.length === 0) reasons.push(t('reason.no_levels', { plan }));
  if (debits.length === 0) reasons.push(t('reason.no_open_items'));
  else {
    reasons.push(t('reason.open_items', { n: debits.length, total: money(debits.reduce((s, i) => s + i.residual, 0n)), overdueCount: overdueItems.length, date: on, overdue: money(overdue) }));
  }
  for (const i of debits) {
    const late = daysBetween(i.dueDate, on);
    const when = late > 0 ? t('when.overdue', { days: days(late) }) : late === 0 ? t('when.due_today') : t('when.due_in', { days: days(-late) });
    let line = t('reason.item', { label: i.label, amount: money(i.residual), dueDate: i.dueDate, when });
    if (i.excluded) {
      line += t('item.excluded', { reason: t(`exclusion.${i.excluded.reason}`), note: i.excluded.note ? t('item.excluded_note', { note: i.excluded.note }) : '' });
    } else if (i.promise) {
      const by = i.promise.by
        ? i.promise.channel ? t('item.promise_by_channel', { by: i.promise.by, channel: channelName(t, i.promise.channel) }) : t('item.promise_by', { by: i.promise.by })
        : '';
      const promise = t('item.promise', { amount: money(i.promise.amount), date: i.promise.date }) + by;
      const ps = promiseState(i, on);
      line += t(ps === 'running' ? 'item.promise_running' : ps === 'kept' ? 'item.promise_kept' : 'item.promise_broken', { promise });
    }
    reasons.push(line + t('sentence.end'));
  }
  const credits = items.filter((i) => i.residual < 0n);
  if (credits.length > 0) reasons.push(t('reason.credit', { credit: money(-credits.reduce((s, i) => s + i.residual, 0n)), balance: money(balance) }));
  if (decision.creditCovers) reasons.push(t('reason.credit_covers'));

  if (levels.length > 0 && facts.oldestEligibleDue !== null) {
    const oldest = debits.find((i) => i.dueDate === facts.oldestEligibleDue && !i.excluded && !promiseRunning(i, on))!;
    const d = decision.daysOverdue!;
    reasons.push(t('reason.oldest', { label: oldest.label, dueDate: oldest.dueDate, when: d >= 0 ? t('when.overdue', { days: days(d) }) : t('when.before_due', { days: days(-d) }), date: on }));
    if (decision.reached) {
      reasons.push(t('reason.level_rule', { plan, days: d, level: decision.reached.name, delay: decision.reached.delay }));
    } else {
      reasons.push(t('reason.no_level_yet', { plan, level: levels[0].name, delay: levels[0].delay }));
    }
  } else if (levels.length > 0 && debits.length > 0 && debits.every((i) => i.excluded || promiseRunning(i, on))) {
    reasons.push(t('reason.all_paused'));
  }
  if (decision.done && state?.lastReminderOn) {
    reasons.push(t('reason.already_done', { level: decision.done.name, date: state.lastReminderOn }));
  }
  if (decision.dueLevel) {
    const level = decision.dueLevel.name;
    if (decision.heldUntil && decision.rescheduled) {
      reasons.push(t('reason.rescheduled', { date: decision.heldUntil, level }));
    } else if (decision.heldUntil) {
      reasons.push(t('reason.interval', { last: state!.lastReminderOn!, days: days(settings.minIntervalDays), level, until: decision.heldUntil }));
    } else if (decision.manual) {
      reasons.push(t('reason.manual', { level }));
    } else {
      const activity = decision.dueLevel.activity;
      reasons.push(t('reason.due_now', {
        level,
        channels: decision.dueLevel.channels.map((c) => channelName(t, c)).join(' + ') || t('reason.no_channel'),
        activity: activity ? t('reason.activity', { type: t(activity.type === 'call' ? 'activity.call' : 'activity.task') }) : '',
      }));
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
        ? t('because.oldest_reaches', { delay: lvl.delay })
        : state?.nextActionOn === next
          ? t('because.rescheduled')
          : state?.lastReminderOn && addDays(state.lastReminderOn, settings.minIntervalDays) === next
            ? t('because.interval')
            : items.some((i) => i.promise && addDays(i.promise.date, 1) === next)
              ? t('because.promise')
              : t('because.item_reaches', { delay: lvl.delay });
      reasons.push(t('reason.next', { level: lvl.name, date: next, because }));
    } else if (debits.length > 0 && levels.length > 0 && !decision.creditCovers) {
      reasons.push(t('reason.last_done'));
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
export async function setPartnerFollowUp(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, input: PartnerSettingsInput, lang?: Lang): Promise<PartnerStatusView> {
  const partner = await partnerOr404(api, trx, tenantId, idOrRef);
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
  return partnerStatus(api, trx, tenantId, partner.id, null, undefined, lang);
}

export type { FollowUpSettings };
