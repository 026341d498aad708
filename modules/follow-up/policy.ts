/**
 * Which follow-up level a partner is at, whether a reminder is due, and why — pure functions,
 * shared by the daily run (over aggregated open items, set-based) and the partner status (over
 * the partner's items, with reasons in words a clerk understands).
 */
import { addDays as addDaysChecked, daysBetween as daysBetweenChecked } from '../../core/dates.js';
import type { Channel, ExclusionReason, LevelActivity } from './tables.js';

// A run decides for every partner (100k at size L) with a few date sums each, over a few thousand
// distinct dates: day numbers are cached, so a date is parsed once, not once per partner.
const dayNumbers = new Map<string, number>();
const dayTexts = new Map<number, string>();
function dayNo(date: string): number {
  let n = dayNumbers.get(date);
  if (n === undefined) {
    n = daysBetweenChecked('1970-01-01', date);
    if (dayNumbers.size > 50_000) dayNumbers.clear();
    dayNumbers.set(date, n);
  }
  return n;
}
function dayText(n: number): string {
  let s = dayTexts.get(n);
  if (s === undefined) {
    s = addDaysChecked('1970-01-01', n);
    if (dayTexts.size > 50_000) dayTexts.clear();
    dayTexts.set(n, s);
  }
  return s;
}
const daysBetween = (a: string, b: string): number => dayNo(b) - dayNo(a);
const addDays = (date: string, days: number): string => dayText(dayNo(date) + days);

export interface PlanLevel {
  id: string;
  plan: string;
  name: string;
  delay: number;
  channels: Channel[];
  auto: boolean;
  template: string | null;
  attachStatement: boolean;
  activity: LevelActivity | null;
}

/** What the run's one SQL pass gives per partner (see repository.openItemFacts). */
export interface Facts {
  /** Oldest due date among open items that are followed up now (not excluded, no promise running). */
  oldestEligibleDue: string | null;
  /** Oldest due date among open items not excluded (running promises included): the episode goes on while there is one. */
  oldestRelevantDue: string | null;
  /** All open items, credits included. */
  balance: bigint;
  /** The last day of the earliest promise to pay still running on `date` (on an open item not excluded): the day after, the item is followed up again. */
  promiseRunsUntil?: string | null;
}

export interface PartnerState {
  episode: number;
  lastLevelId: string | null;
  lastLevelDelay: number | null;
  lastReminderOn: string | null;
  /** A clerk rescheduled the follow-up: nothing is due before this date. */
  nextActionOn?: string | null;
}

export type Status = 'in_need_of_action' | 'with_overdue_invoices' | 'no_action_needed';

export interface Decision {
  /** The level whose reminder is due on this date (interval and manual levels aside): null if none. */
  dueLevel: PlanLevel | null;
  /** The highest level whose delay the oldest followed-up item has reached. */
  reached: PlanLevel | null;
  /** The level already done for the current oldest item in this episode (null: none). */
  done: PlanLevel | null;
  /** The minimum interval (or a clerk's rescheduling) holds the due level back until this date. */
  heldUntil: string | null;
  /** heldUntil comes from a clerk's rescheduling. */
  rescheduled: boolean;
  /** The due level is manual: a clerk acts, the run does not. */
  manual: boolean;
  /** Execute now (automatic level, not held back). */
  act: boolean;
  /** The episode is over: nothing left that a level applies to (the state resets). */
  episodeOver: boolean;
  creditCovers: boolean;
  daysOverdue: number | null;
}

const highestAtMost = (levels: PlanLevel[], days: number): PlanLevel | null => {
  let found: PlanLevel | null = null;
  for (const l of levels) if (l.delay <= days) found = l;
  return found;
};

/**
 * The decision for one partner on `date`. `levels` are the plan's active levels sorted by delay.
 *
 * - The level reached is the highest whose delay ≤ days overdue of the oldest open item that is
 *   followed up (not excluded, no promise running): after missed days, one action at the right level.
 * - A level is done once per episode. The episode's last level counts for the current oldest item
 *   only as far as that item had reached it when it was sent (so when the oldest item was paid,
 *   the next one is not held back by the old item's level, nor reminded twice at its own).
 * - The episode ends (state resets) when no open, not-excluded item is within reach of the first level.
 * - Between two reminders at least `minIntervalDays` pass.
 */
export function decide(levels: PlanLevel[], facts: Facts, state: PartnerState | null, date: string, minIntervalDays: number): Decision {
  const none: Decision = { dueLevel: null, reached: null, done: null, heldUntil: null, rescheduled: false, manual: false, act: false, episodeOver: true, creditCovers: false, daysOverdue: null };
  if (levels.length === 0) return none;
  const first = levels[0].delay;
  const episodeOver = facts.oldestRelevantDue === null || daysBetween(facts.oldestRelevantDue, date) < first;
  const creditCovers = facts.balance <= 0n && facts.oldestRelevantDue !== null;
  const oldest = facts.oldestEligibleDue;
  const daysOverdue = oldest === null ? null : daysBetween(oldest, date);
  const reached = daysOverdue === null ? null : highestAtMost(levels, daysOverdue);

  let done: PlanLevel | null = null;
  if (!episodeOver && state?.lastLevelDelay !== null && state?.lastLevelDelay !== undefined && state.lastReminderOn && oldest !== null) {
    const thenDays = daysBetween(oldest, state.lastReminderOn);
    const coveredThen = highestAtMost(levels, Math.min(thenDays, state.lastLevelDelay));
    done = coveredThen;
  }
  const dueLevel = !creditCovers && reached && (done === null || reached.delay > done.delay) ? reached : null;
  let heldUntil: string | null = null;
  let rescheduled = false;
  if (dueLevel && state?.lastReminderOn) {
    const earliest = addDays(state.lastReminderOn, minIntervalDays);
    if (earliest > date) heldUntil = earliest;
  }
  if (dueLevel && state?.nextActionOn && state.nextActionOn > date && (heldUntil === null || state.nextActionOn > heldUntil)) {
    heldUntil = state.nextActionOn;
    rescheduled = true;
  }
  const manual = dueLevel !== null && !dueLevel.auto;
  return {
    dueLevel, reached, done, heldUntil, rescheduled, manual, act: dueLevel !== null && heldUntil === null && !manual,
    episodeOver, creditCovers, daysOverdue,
  };
}

/** One open item as the partner status sees it. */
export interface Item {
  id: string;
  invoiceId: string | null;
  /** Invoice number or the entry's reference. */
  label: string;
  dueDate: string;
  residual: bigint;
  excluded: { reason: ExclusionReason; note: string | null } | null;
  promise: { amount: bigint; date: string; by: string | null; channel: string | null; residualThen: bigint | null } | null;
}

export const promiseRunning = (item: Item, date: string): boolean => item.promise !== null && item.promise.date >= date;

/**
 * What a reminder of a plan lists on `date`: the items still open, not excluded, without a running
 * promise, and due by then — or due within the lead of a plan whose first level comes before the
 * due date (a negative delay).
 */
export function itemsToRemind<I extends Item>(items: I[], plan: PlanLevel[] | undefined, date: string): I[] {
  const lead = Math.max(0, -((plan ?? [])[0]?.delay ?? 0));
  const until = addDays(date, lead);
  return items.filter((i) => i.residual > 0n && !i.excluded && !promiseRunning(i, date) && i.dueDate <= until);
}

export function factsOf(items: Item[], date: string): Facts {
  let oldestEligibleDue: string | null = null;
  let oldestRelevantDue: string | null = null;
  let promiseRunsUntil: string | null = null;
  let balance = 0n;
  for (const i of items) {
    balance += i.residual;
    if (i.residual <= 0n || i.excluded) continue;
    if (oldestRelevantDue === null || i.dueDate < oldestRelevantDue) oldestRelevantDue = i.dueDate;
    if (promiseRunning(i, date)) {
      if (promiseRunsUntil === null || i.promise!.date < promiseRunsUntil) promiseRunsUntil = i.promise!.date;
    } else if (oldestEligibleDue === null || i.dueDate < oldestEligibleDue) oldestEligibleDue = i.dueDate;
  }
  return { oldestEligibleDue, oldestRelevantDue, balance, promiseRunsUntil };
}

/**
 * The first date after `date` on which a run could act for the partner without any change to its
 * books or follow-up facts (an incremental run leaves it alone until then). With its facts fixed,
 * `decide` depends on the date only through: the oldest followed-up item reaching a level's delay,
 * the first level coming within reach (the episode), the minimum interval since the last reminder
 * ending, a clerk's rescheduled date — so `act` can only turn true on one of those dates, and each
 * is tried in order — and a running promise ending (the day after, the item is followed up again
 * and the facts change: the partner must be looked at then, whatever comes after). A reset (the
 * episode over) never comes from time alone: it is done by the run that sees it. `state` is the
 * partner's state after the run (a reminder sent today counts). null: never.
 */
export function nextCheckDate(levels: PlanLevel[], facts: Facts, state: PartnerState | null, date: string, minIntervalDays: number): string | null {
  if (levels.length === 0) return null;
  const promiseEnds = facts.promiseRunsUntil ? addDays(facts.promiseRunsUntil, 1) : null;
  const candidates = new Set<string>();
  if (facts.oldestEligibleDue !== null) for (const l of levels) candidates.add(addDays(facts.oldestEligibleDue, l.delay));
  if (facts.oldestRelevantDue !== null) candidates.add(addDays(facts.oldestRelevantDue, levels[0].delay));
  if (state?.lastReminderOn) candidates.add(addDays(state.lastReminderOn, minIntervalDays));
  if (state?.nextActionOn) candidates.add(state.nextActionOn);
  for (const d of [...candidates].filter((d) => d > date && (promiseEnds === null || d < promiseEnds)).sort()) {
    if (decide(levels, facts, state, d, minIntervalDays).act) return d;
  }
  return promiseEnds !== null && promiseEnds > date ? promiseEnds : null;
}

export function statusOf(decision: Decision, items: Item[], date: string): Status {
  if (decision.act || (decision.manual && decision.heldUntil === null)) return 'in_need_of_action';
  if (decision.creditCovers) return 'no_action_needed';
  return items.some((i) => i.residual > 0n && !i.excluded && i.dueDate < date) ? 'with_overdue_invoices' : 'no_action_needed';
}

/**
 * The first date after `date` on which an action would be due if nothing changes (no payment, no
 * new invoice): tried on the dates where something can change — an item reaching a level's delay,
 * a promise running out, the minimum interval ending. null when no level is ahead.
 */
export function nextActionDate(levels: PlanLevel[], items: Item[], state: PartnerState | null, date: string, minIntervalDays: number): string | null {
  const candidates = new Set<string>();
  for (const i of items) {
    if (i.residual <= 0n || i.excluded) continue;
    for (const l of levels) candidates.add(addDays(i.dueDate, l.delay));
    if (i.promise) candidates.add(addDays(i.promise.date, 1));
  }
  if (state?.lastReminderOn) candidates.add(addDays(state.lastReminderOn, minIntervalDays));
  if (state?.nextActionOn) candidates.add(state.nextActionOn);
  for (const d of [...candidates].filter((d) => d > date).sort()) {
    const decision = decide(levels, factsOf(items, d), state, d, minIntervalDays);
    if (decision.dueLevel && decision.heldUntil === null) return d;
  }
  return null;
}
