import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { addDays, isIsoDate, todayIn } from '../../core/dates.js';
import { ProblemError, badRequest, notFound } from '../../core/errors.js';
import { checkBank, type BankCheck } from './bank.js';
import { channelProblems, requeueFailed, withNextAttempts, type ChannelProblem } from './delivery.js';
import { queueEmails } from './email.js';
import type { Actor } from '../../core/events/types.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, type FollowUpApi } from './context.js';
import { levelsByPlan } from './levels.js';
import { decide, nextCheckDate, type PartnerState, type PlanLevel } from './policy.js';
import * as repo from './repository.js';
import type { Channel, SentMessage } from './tables.js';

export interface RunOptions {
  date?: string; dryRun?: boolean; trigger: 'manual' | 'scheduled';
  /** Look only at the partners that changed since the last run and those whose next check date has come (see README). */
  incremental?: boolean;
}

export interface MissingContact { partner: string; ref: string; name: string; channel: Channel; missing: string }
export interface RunAction {
  partner: string; ref: string; name: string;
  level: string; levelName: string; delay: number;
  channels: Channel[];
  /** Channels that cannot be used for lack of contact data (the action is recorded as missing_contact). */
  missingContactData: Array<{ channel: Channel; missing: string }>;
  activity: string | null;
}
export interface RunView {
  id: string; date: string; dryRun: boolean; trigger: 'manual' | 'scheduled';
  /** full: every partner with open items was looked at; incremental: only those changed or due for a check. */
  mode: 'full' | 'incremental';
  /** Why an incremental run was asked for but a full run was done (null otherwise). */
  fallback: string | null;
  /** Partners with open items that were looked at. */
  partners: number;
  actions: RunAction[];
  missingContactData: MissingContact[];
  /** Partners whose due level waits for the minimum interval or for a clerk (manual level). */
  waiting: { interval: number; manual: number };
  /** The bank freshness check (null when bank-reconciliation is not enabled). */
  bank: BankCheck | null;
  /** Channels this run's actions use that cannot deliver now (email not configured, no sms or postal module). */
  channelProblems: ChannelProblem[];
  /** Failed email reminders this run queued again (a dry run: would queue), see delivery.ts. */
  requeued: number;
  /** What a clerk should know, in words: the bank check's and the channels' warnings. */
  warnings: string[];
}

export interface Planned { partnerId: string; episode: number; level: PlanLevel; invoiceIds: string[]; before: { level: string | null; delay: number | null } }

const MISSING: Record<Channel, string> = {
  email: 'missing contact data: no email address (neither a follow-up contact nor the partner has one)',
  sms: 'missing contact data: no phone number (neither a follow-up contact nor the partner has one)',
  letter: 'missing contact data: no postal address',
  zalo: 'missing contact data: no phone number for Zalo (neither a follow-up contact nor the partner has one)',
};

/** A street and a place (province, district or ward): whether the address carries a letter in its country is the postal module's check. */
function hasAddress(address: unknown): boolean {
  if (!address || typeof address !== 'object') return false;
  const a = address as Record<string, unknown>;
  const filled = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  return filled(a.street) && (filled(a.province) || filled(a.district) || filled(a.ward));
}

function addressText(address: unknown): string | null {
  if (!hasAddress(address)) return null;
  const a = address as Record<string, string | undefined>;
  return [a.street, a.ward, a.district, a.province, a.country].filter((p) => p && p.trim()).join(', ');
}

/** What the decisions rest on besides the partners' facts: the levels of every plan and the settings used. */
function basisOf(plans: Map<string, PlanLevel[]>, settings: { minIntervalDays: number; defaultPlan: string }): string {
  const levels = [...plans.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([plan, ls]) => [plan, ls.map((l) => [l.id, l.delay, l.auto])]);
  return createHash('sha256').update(JSON.stringify({ levels, minIntervalDays: settings.minIntervalDays, defaultPlan: settings.defaultPlan })).digest('hex').slice(0, 32);
}

/**
 * Whether an incremental run can stand for a full one: there must be a full run whose stored next
 * dates were computed with the same levels and settings, and no later run for a later date.
 */
async function incrementalBaseline(trx: Trx, tenantId: string, date: string, basis: string, lastRunDate: string | undefined): Promise<string | null> {
  const full = await trx.selectFrom('followup_run').select(['date', 'basis']).where('tenant_id', '=', tenantId).where('dry_run', '=', false).where('mode', '=', 'full')
    .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (!full) return 'there was no full run yet: this run looked at every partner';
  if (full.basis !== basis) return 'the levels or the settings changed since the last full run: this run looked at every partner';
  if (lastRunDate !== undefined && date < lastRunDate) return `a run for the later date ${lastRunDate} was done already: this run for ${date} looked at every partner`;
  return null;
}

/**
 * The follow-up run of one tenant for one date: one pass over the open items decides, for every
 * partner, whether a level is due; each (partner, level, channel) becomes one action row whose
 * unique key makes it happen once per follow-up episode, however often the run is repeated or by
 * how many servers at once (runs of a tenant are serialised by an advisory lock too). Nothing
 * leaves the process here: each action is an event whose channel sender runs after commit.
 *
 * Incremental (`options.incremental`): the same decisions, over only the partners noted as changed
 * since the last run (`followup_change`) and those whose next check date (stored by every run, see
 * policy.nextCheckDate) has come; every other partner's decision is the same as at its last run,
 * when nothing was due for it. Without a full run to rest on, it is a full run (`fallback` says why).
 */
export async function runFollowUp(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, options: RunOptions): Promise<RunView> {
  const started = performance.now();
  const ms: Record<string, number> = {};
  const lap = (phase: string): void => { ms[phase] = Math.round(performance.now() - started - Object.values(ms).reduce((a, b) => a + b, 0)); };
  const tenant = await getTenant(trx, tenantId);
  const date = options.date ?? todayIn(tenant.timezone);
  if (!isIsoDate(date)) throw badRequest(`date '${date}' is not a date (YYYY-MM-DD)`, 'date');
  const dryRun = options.dryRun ?? false;
  const settings = await api.settings(trx, tenantId);
  if (!dryRun) await sql`select pg_advisory_xact_lock(hashtextextended(${`followup-run:${tenantId}`}, 0))`.execute(trx);
  const bank = await checkBank(api, trx, tenantId, date, tenant.currency, settings, dryRun);
  if (bank?.refused) {
    const detail = `The follow-up run of ${date} is refused (setting bankFreshness.onStale = 'refuse'): ${bank.warnings.join(' ')} Import the latest statements and match them first.`;
    if (options.trigger === 'manual') throw new ProblemError(409, 'bank-not-fresh', 'Bank statements are not up to date', detail);
    const refused = await trx.insertInto('followup_run').values({ tenant_id: tenantId, date, dry_run: false, trigger: options.trigger, actor_user_id: actor.userId, partners: 0, actions: 0, bank: JSON.stringify(bank), mode: 'refused' })
      .returning('id').executeTakeFirstOrThrow();
    await api.audit(trx, tenantId, { actor, action: 'followup.run_refused', entity: 'followup_run', entityId: refused.id, after: { date, reason: detail } });
    return { id: refused.id, date, dryRun, trigger: options.trigger, mode: 'full', fallback: null, partners: 0, actions: [], missingContactData: [], waiting: { interval: 0, manual: 0 }, bank, channelProblems: [], requeued: 0, warnings: bank.warnings };
  }

  const plans = await levelsByPlan(trx, tenantId);
  const basis = basisOf(plans, settings);
  let lead = 0;
  for (const levels of plans.values()) lead = Math.max(lead, -levels[0].delay);
  const lastRun = await trx.selectFrom('followup_run').select('date').where('tenant_id', '=', tenantId).where('dry_run', '=', false)
    .where('mode', 'in', ['full', 'incremental']).orderBy('date', 'desc').limit(1).executeTakeFirst();
  const fallback = options.incremental ? await incrementalBaseline(trx, tenantId, date, basis, lastRun?.date) : null;
  // A real run for a date before the last real one is allowed (a missed day caught up), but the
  // clerk is told: its reminders are decided as of that earlier date.
  const later = !dryRun && lastRun && date < lastRun.date ? lastRun : undefined;
  const mode: 'full' | 'incremental' = options.incremental && fallback === null ? 'incremental' : 'full';
  // The partners noted as changed: a real run consumes the rows it sees (rows of transactions not yet
  // committed stay for the next run, which sees their changes); a dry run only reads them.
  let scope: string[] | undefined;
  if (mode === 'incremental') {
    const { rows: changed } = dryRun
      ? await sql<{ partner_id: string }>`select distinct partner_id from followup_change where tenant_id = ${tenantId}`.execute(trx)
      : await sql<{ partner_id: string }>`delete from followup_change where tenant_id = ${tenantId} returning partner_id`.execute(trx);
    const { rows: due } = await sql<{ partner_id: string }>`
      select partner_id from followup_partner where tenant_id = ${tenantId} and next_check_on <= ${date}::date`.execute(trx);
    scope = [...new Set([...changed.map((r) => r.partner_id), ...due.map((r) => r.partner_id)])];
  } else if (!dryRun) {
    await sql`delete from followup_change where tenant_id = ${tenantId}`.execute(trx);
  }
  lap('lockAndBank');
  const facts = await repo.openItemFacts(trx, tenantId, date, scope);
  lap('openItems');
  const states = await repo.partnerStates(trx, tenantId, scope);

  const planned: Planned[] = [];
  const resets: string[] = [];
  const waiting = { interval: 0, manual: 0 };
  const seen = new Set<string>();
  const checks: Array<{ partnerId: string; next: string | null }> = [];
  for (const f of facts) {
    seen.add(f.partnerId);
    const state = states.get(f.partnerId) ?? null;
    const levels = plans.get(state?.plan ?? settings.defaultPlan) ?? [];
    const decision = decide(levels, f, state, date, settings.minIntervalDays);
    if (decision.episodeOver && state?.lastLevelId) resets.push(f.partnerId);
    if (decision.act) {
      const level = decision.dueLevel!;
      planned.push({
        partnerId: f.partnerId, episode: state?.episode ?? 1, level, invoiceIds: [],
        before: { level: state?.lastLevelId ?? null, delay: state?.lastLevelDelay ?? null },
      });
    } else if (decision.dueLevel && decision.heldUntil) waiting.interval++;
    else if (decision.manual) waiting.manual++;
    // The state this run leaves (record() and the resets below write it): what the next check date counts from.
    const after: PartnerState | null = decision.act
      ? { episode: state?.episode ?? 1, lastLevelId: decision.dueLevel!.id, lastLevelDelay: decision.dueLevel!.delay, lastReminderOn: date, nextActionOn: state?.nextActionOn ?? null }
      : decision.episodeOver && state?.lastLevelId ? { ...state, episode: state.episode + 1, lastLevelId: null, lastLevelDelay: null } : state;
    const next = nextCheckDate(levels, f, after, date, settings.minIntervalDays);
    if (next !== (state?.nextCheckOn ?? null)) checks.push({ partnerId: f.partnerId, next });
  }
  for (const [partnerId, state] of states) {
    if (seen.has(partnerId)) continue;
    if (state.lastLevelId) resets.push(partnerId);
    if (state.nextCheckOn !== null) checks.push({ partnerId, next: null });
  }

  lap('decide');
  const invoices = await repo.reminderInvoices(trx, tenantId, planned.map((p) => p.partnerId), date, lead);
  for (const p of planned) p.invoiceIds = invoices.get(p.partnerId) ?? [];
  const prepared = await prepare(trx, tenantId, planned);
  const run = await trx.insertInto('followup_run').values({
    tenant_id: tenantId, date, dry_run: dryRun, trigger: options.trigger, actor_user_id: actor.userId, partners: facts.length, actions: dryRun ? 0 : prepared.rows.length,
    bank: bank ? JSON.stringify(bank) : null, mode, basis,
  }).returning('id').executeTakeFirstOrThrow();
  const view: RunView = {
    id: run.id, date, dryRun, trigger: options.trigger, mode, fallback, partners: facts.length, actions: prepared.actions, missingContactData: prepared.missingContactData, waiting, bank,
    channelProblems: [], requeued: 0, warnings: [],
  };
  lap('prepare');
  /** The run's answer says which channels it uses cannot deliver now (counting the reminders queued again). */
  const explain = async (rows: ActionRow[], requeued: number): Promise<void> => {
    const counts = new Map<Channel, number>();
    for (const r of rows) if (r.state === 'pending') counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
    if (requeued > 0) counts.set('email', (counts.get('email') ?? 0) + requeued);
    view.requeued = requeued;
    view.channelProblems = await channelProblems(api, trx, tenantId, settings, counts, dryRun);
    view.warnings = [...(bank?.warnings ?? []), ...view.channelProblems.map((p) => p.message)];
    if (requeued > 0) view.warnings.push(`${requeued} email reminder${requeued === 1 ? '' : 's'} that had failed (email not configured, login refused, mail server unreachable) ${dryRun ? 'would be' : 'are'} queued again.`);
    if (later) view.warnings.push(`A run for the later date ${later.date} was done already: this run decided the reminders as of ${date}.`);
  };
  if (dryRun) {
    // What a real run would do: an action whose (partner, episode, level, channel) row exists already is not done again.
    const done = await alreadyDone(trx, tenantId, planned);
    const freshRows = prepared.rows.filter((r) => !done.has(`${r.partnerId}/${r.episode}/${r.levelId}/${r.channel}`));
    const fresh = new Set(freshRows.map((r) => r.partnerId));
    view.actions = prepared.actions.filter((a) => fresh.has(a.partner));
    view.missingContactData = prepared.missingContactData.filter((m) => fresh.has(m.partner));
    const plannedEmail = new Set(freshRows.filter((r) => r.channel === 'email' && r.state === 'pending').map((r) => r.partnerId));
    await explain(freshRows, await requeueFailed(api, trx, tenantId, actor, run.id, date, settings, true, plannedEmail));
    api.log.info({ tenantId, runId: run.id, date, dryRun, mode, partners: facts.length, actions: prepared.rows.length, ms }, 'follow-up dry run');
    return view;
  }

  if (resets.length > 0) {
    await sql`
      update followup_partner set episode = episode + 1, last_level_id = null, last_level_delay = null, updated_at = now()
      where tenant_id = ${tenantId} and partner_id = any(${resets}::uuid[]) and last_level_id is not null`.execute(trx);
  }
  let acted = { count: 0, partners: new Set<string>(), rows: [] as ActionRow[] };
  if (planned.length > 0) acted = await record(api, trx, tenantId, actor, run.id, date, planned, prepared, states);
  // Failed email reminders go again once email works (after this run's own: one it replaces is superseded).
  await explain(acted.rows, await requeueFailed(api, trx, tenantId, actor, run.id, date, settings, false));
  // The next check dates that changed (a partner without a row and without a date needs none).
  const writes = checks.filter((c) => c.next !== null || states.has(c.partnerId) || acted.partners.has(c.partnerId));
  if (writes.length > 0) {
    await sql`
      insert into followup_partner (tenant_id, partner_id, episode, next_check_on)
      select ${tenantId}, p, 1, n from unnest(${writes.map((c) => c.partnerId)}::uuid[], ${writes.map((c) => c.next)}::date[]) as t(p, n)
      on conflict (tenant_id, partner_id) do update set next_check_on = excluded.next_check_on
        where followup_partner.next_check_on is distinct from excluded.next_check_on`.execute(trx);
  }
  lap('write');
  if (planned.length === 0) {
    await queueEmails(api, trx, tenantId, actor, 0);
    api.log.info({ tenantId, runId: run.id, date, mode, partners: facts.length, actions: 0, checks: writes.length, ms }, 'follow-up run');
    return view;
  }
  await trx.updateTable('followup_run').set({ actions: acted.count }).where('tenant_id', '=', tenantId).where('id', '=', run.id).execute();
  await api.audit(trx, tenantId, { actor, action: 'followup.run_executed', entity: 'followup_run', entityId: run.id, after: { date, trigger: options.trigger, mode, partners: facts.length, actions: acted.count } });
  view.actions = prepared.actions.filter((a) => acted.partners.has(a.partner));
  view.missingContactData = prepared.missingContactData.filter((m) => acted.partners.has(m.partner));
  lap('audit');
  api.log.info({ tenantId, runId: run.id, date, mode, partners: facts.length, actions: acted.count, checks: writes.length, ms }, 'follow-up run');
  return view;
}

interface ActionRow { partnerId: string; levelId: string; episode: number; channel: Channel; state: 'pending' | 'missing_contact'; recipient: string | null; invoiceIds: string[]; missing: string | null }
export interface Prepared { rows: ActionRow[]; actions: RunAction[]; missingContactData: MissingContact[]; reach: Map<string, repo.Contact> }

/** The action rows of the planned levels: one per channel, with the address or what is missing. */
export async function prepare(trx: Trx, tenantId: string, planned: Planned[]): Promise<Prepared> {
  const reach = await repo.contacts(trx, tenantId, planned.map((p) => p.partnerId));
  const partners = await partnerNames(trx, tenantId, planned.map((p) => p.partnerId));
  const rows: ActionRow[] = [];
  const actions: RunAction[] = [];
  const missingContactData: MissingContact[] = [];
  for (const p of planned) {
    const c = reach.get(p.partnerId);
    const who = partners.get(p.partnerId)!;
    const missing: RunAction['missingContactData'] = [];
    for (const channel of p.level.channels) {
      const recipient = channel === 'email' ? c?.email ?? null : channel === 'sms' || channel === 'zalo' ? c?.phone ?? null : addressText(c?.address);
      const lack = recipient ? null : MISSING[channel];
      if (lack) {
        missing.push({ channel, missing: lack });
        missingContactData.push({ partner: p.partnerId, ref: who.ref, name: who.name, channel, missing: lack });
      }
      rows.push({ partnerId: p.partnerId, levelId: p.level.id, episode: p.episode, channel, state: lack ? 'missing_contact' : 'pending', recipient, invoiceIds: p.invoiceIds, missing: lack });
    }
    actions.push({
      partner: p.partnerId, ref: who.ref, name: who.name, level: p.level.id, levelName: p.level.name, delay: p.level.delay,
      channels: p.level.channels, missingContactData: missing, activity: p.level.activity?.type ?? null,
    });
  }
  actions.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  missingContactData.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { rows, actions, missingContactData, reach };
}

/**
 * Writes what the planned levels do, set-based: the partners' new level, one action row per
 * (partner, episode, level, channel) — a row that already exists is left alone and sends nothing
 * again —, one `followup.action_created` per new pending action, the activities, audit rows.
 */
export async function record(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, runId: string, date: string, planned: Planned[], prepared: Prepared, states: Map<string, repo.StoredState>): Promise<{ count: number; partners: Set<string>; rows: ActionRow[] }> {
  const { rows, reach } = prepared;
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const lap = (phase: string): void => { ms[phase] = Math.round(performance.now() - t0 - Object.values(ms).reduce((a, b) => a + b, 0)); };
  await sql`
    insert into followup_partner (tenant_id, partner_id, episode, last_level_id, last_level_delay, last_reminder_on)
    select ${tenantId}, p, e, l, d, ${date}::date
    from unnest(${planned.map((p) => p.partnerId)}::uuid[], ${planned.map((p) => p.episode)}::integer[], ${planned.map((p) => p.level.id)}::uuid[], ${planned.map((p) => p.level.delay)}::integer[]) as t(p, e, l, d)
    on conflict (tenant_id, partner_id) do update
      set last_level_id = excluded.last_level_id, last_level_delay = excluded.last_level_delay, last_reminder_on = excluded.last_reminder_on, updated_at = now()`.execute(trx);
  const { rows: inserted } = await sql<{ id: string; partner_id: string; level_id: string; channel: Channel; state: string }>`
    insert into followup_action (tenant_id, run_id, partner_id, level_id, episode, channel, date, state, recipient, invoice_ids, result, done_at)
    select ${tenantId}, ${runId}::uuid, p, l, e, c, ${date}::date, s, r, i::uuid[],
           case when m is null then null else jsonb_build_object('code', 'missing_contact', 'message', m, 'reason', m) end, case when m is null then null else now() end
    from unnest(${rows.map((r) => r.partnerId)}::uuid[], ${rows.map((r) => r.levelId)}::uuid[], ${rows.map((r) => r.episode)}::integer[],
                ${rows.map((r) => r.channel)}::text[], ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.recipient)}::text[],
                ${rows.map((r) => `{${r.invoiceIds.join(',')}}`)}::text[], ${rows.map((r) => r.missing)}::text[]) as t(p, l, e, c, s, r, i, m)
    on conflict (tenant_id, partner_id, episode, level_id, channel) do nothing
    returning id, partner_id, level_id, channel, state`.execute(trx);
  lap('partnersAndActions');
  const pending = inserted.filter((a) => a.state === 'pending');
  await api.emitMany(trx, tenantId, 'followup.action_created', pending.map((a) => ({
    actionId: a.id, partnerId: a.partner_id, levelId: a.level_id, channel: a.channel, runId, date,
  })), { actor });
  const emails = pending.filter((a) => a.channel === 'email').length;
  await queueEmails(api, trx, tenantId, actor, emails);

  lap('events');
  const withActivity = planned.filter((p) => p.level.activity);
  if (withActivity.length > 0) {
    const responsible = withActivity.map((p) => {
      const who = p.level.activity!.responsible ?? 'followup_responsible';
      if (who === 'followup_responsible') return states.get(p.partnerId)?.responsibleUserId ?? reach.get(p.partnerId)?.salespersonId ?? null;
      if (who === 'salesperson') return reach.get(p.partnerId)?.salespersonId ?? null;
      return who;
    });
    await sql`
      insert into followup_activity (tenant_id, partner_id, level_id, episode, run_id, type, responsible_user_id, due_on, note)
      select ${tenantId}, p, l, e, ${runId}::uuid, t, r, d, n
      from unnest(${withActivity.map((p) => p.partnerId)}::uuid[], ${withActivity.map((p) => p.level.id)}::uuid[], ${withActivity.map((p) => p.episode)}::integer[],
                  ${withActivity.map((p) => p.level.activity!.type)}::text[], ${responsible}::uuid[],
                  ${withActivity.map((p) => addDays(date, p.level.activity!.dueInDays ?? 0))}::date[], ${withActivity.map((p) => p.level.activity!.note ?? null)}::text[]) as x(p, l, e, t, r, d, n)
      on conflict (tenant_id, partner_id, episode, level_id) do nothing`.execute(trx);
  }
  lap('activities');
  // One audit row per partner whose level changed, written 2,000 at a time (a statement takes at most 65,535 parameters).
  for (let i = 0; i < planned.length; i += 2000) {
    await api.audit(trx, tenantId, planned.slice(i, i + 2000).map((p) => ({
      actor, action: 'followup.level_reached', entity: 'partner', entityId: p.partnerId,
      before: p.before, after: { level: p.level.id, delay: p.level.delay, name: p.level.name, date, run: runId },
    })));
  }
  lap('audit');
  if (planned.length >= 1000) api.log.info({ tenantId, runId, partners: planned.length, actions: inserted.length, ms }, 'follow-up run writes');
  const made = new Set(inserted.map((a) => `${a.partner_id}/${a.level_id}/${a.channel}`));
  return { count: inserted.length, partners: new Set(inserted.map((a) => a.partner_id)), rows: rows.filter((r) => made.has(`${r.partnerId}/${r.levelId}/${r.channel}`)) };
}

/** The action keys (partner/episode/level/channel) the planned partners already have. */
async function alreadyDone(trx: Trx, tenantId: string, planned: Planned[]): Promise<Set<string>> {
  if (planned.length === 0) return new Set();
  const { rows } = await sql<{ k: string }>`
    select a.partner_id || '/' || a.episode || '/' || a.level_id || '/' || a.channel as k
    from followup_action a join unnest(${planned.map((p) => p.partnerId)}::uuid[], ${planned.map((p) => p.episode)}::integer[]) as t(p, e)
      on a.partner_id = t.p and a.episode = t.e
    where a.tenant_id = ${tenantId}`.execute(trx);
  return new Set(rows.map((r) => r.k));
}

async function partnerNames(trx: Trx, tenantId: string, ids: string[]): Promise<Map<string, { ref: string; name: string }>> {
  const out = new Map<string, { ref: string; name: string }>();
  if (ids.length === 0) return out;
  const rows = await trx.selectFrom('ledger_partner').select(['id', 'ref', 'name']).where('tenant_id', '=', tenantId).where('id', '=', sql<string>`any(${ids}::uuid[])`).execute();
  for (const r of rows) out.set(r.id, { ref: r.ref, name: r.name });
  return out;
}

export interface ActionView {
  id: string; run: string; date: string; partner: string; level: { id: string; name: string; delay: number }; channel: Channel; state: string;
  recipient: string | null; invoices: string[];
  /** `{code, message, …}`: what became of it, in words (delivery.ts). */
  result: Record<string, unknown> | null; createdAt: string; doneAt: string | null;
  /** The message as it went out (the partner's timeline only). */
  message?: SentMessage | null;
}

async function actionViews(trx: Trx, tenantId: string, where: { runId?: string; partnerId?: string; visible?: string[] | null; withMessage?: boolean }, limit = 1000): Promise<ActionView[]> {
  let q = trx.selectFrom('followup_action as a')
    .innerJoin('followup_level as l', (j) => j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.id', '=', 'a.level_id'))
    .select(['a.id', 'a.run_id', 'a.date', 'a.partner_id', 'a.level_id', 'l.name', 'l.delay', 'a.channel', 'a.state', 'a.recipient', 'a.invoice_ids', 'a.result', 'a.created_at', 'a.done_at'])
    .$if(where.withMessage === true, (qb) => qb.select('a.message'))
    .where('a.tenant_id', '=', tenantId);
  if (where.runId) q = q.where('a.run_id', '=', where.runId);
  if (where.partnerId) q = q.where('a.partner_id', '=', where.partnerId);
  const visible = where.visible;
  if (visible) {
    q = q.where('a.partner_id', 'in', (eb) => eb.selectFrom('ledger_partner').select('id').where('tenant_id', '=', tenantId)
      .where('salesperson_id', 'in', visible.length ? visible : ['00000000-0000-0000-0000-000000000000']));
  }
  const rows = await q.orderBy('a.created_at', 'desc').orderBy('l.delay', 'desc').orderBy('a.channel').limit(limit).execute();
  return withNextAttempts(trx, tenantId, rows.map((r) => ({
    id: r.id, run: r.run_id, date: r.date, partner: r.partner_id, level: { id: r.level_id, name: r.name, delay: r.delay }, channel: r.channel, state: r.state,
    recipient: r.recipient, invoices: r.invoice_ids, result: r.result, createdAt: r.created_at.toISOString(), doneAt: r.done_at?.toISOString() ?? null,
    ...(where.withMessage ? { message: (r as { message?: SentMessage | null }).message ?? null } : {}),
  })));
}

/** A run's actions by state, and what went wrong, in words (the first action's message for each code). */
function deliverySummary(actions: ActionView[]): { states: Record<string, number>; problems: Array<{ code: string; actions: number; message: string }> } {
  const states: Record<string, number> = {};
  const problems = new Map<string, { code: string; actions: number; message: string }>();
  for (const a of actions) {
    states[a.state] = (states[a.state] ?? 0) + 1;
    const code = typeof a.result?.code === 'string' ? a.result.code : null;
    if (!code || !PROBLEMS.includes(code)) continue;
    const p = problems.get(code) ?? { code, actions: 0, message: String(a.result?.message ?? '') };
    p.actions++;
    problems.set(code, p);
  }
  return { states, problems: [...problems.values()].sort((a, b) => PROBLEMS.indexOf(a.code) - PROBLEMS.indexOf(b.code)) };
}
/** What a clerk must look at, the ones a person can fix first. */
const PROBLEMS = ['not_configured', 'auth_failed', 'unreachable', 'retrying', 'refused', 'uncertain', 'missing_contact'];

/** A run with its actions; a salesperson sees only the actions for their partners. */
export async function getRun(trx: Trx, tenantId: string, id: string, visible: string[] | null = null) {
  const run = UUID.test(id) ? await trx.selectFrom('followup_run').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst() : undefined;
  if (!run) throw notFound(`No follow-up run ${id}.`);
  const actions = await actionViews(trx, tenantId, { runId: id, visible }, 100_000);
  return {
    id: run.id, date: run.date, dryRun: run.dry_run, trigger: run.trigger, partners: run.partners, createdAt: run.created_at.toISOString(),
    actions, delivery: deliverySummary(actions),
  };
}

/** What was sent (or not) to a partner, newest first: every action with its delivery result, and the activities. */
export async function partnerTimeline(trx: Trx, tenantId: string, partnerId: string) {
  const activities = await trx.selectFrom('followup_activity as a')
    .innerJoin('followup_level as l', (j) => j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.id', '=', 'a.level_id'))
    .select(['a.id', 'a.type', 'a.due_on', 'a.state', 'a.note', 'a.responsible_user_id', 'l.name', 'a.created_at'])
    .where('a.tenant_id', '=', tenantId).where('a.partner_id', '=', partnerId).orderBy('a.created_at', 'desc').limit(200).execute();
  const notes = await trx.selectFrom('followup_note').selectAll().where('tenant_id', '=', tenantId).where('partner_id', '=', partnerId)
    .orderBy('created_at', 'desc').orderBy('id').limit(200).execute();
  return {
    actions: await actionViews(trx, tenantId, { partnerId, withMessage: true }, 200),
    notes: notes.map((r) => ({ id: r.id, kind: r.kind, outcome: r.outcome, text: r.text, item: r.line_id, nextActionDate: r.next_action_on, user: r.user_id, createdAt: r.created_at.toISOString() })),
    activities: activities.map((a) => ({ id: a.id, type: a.type, level: a.name, dueOn: a.due_on, state: a.state, note: a.note, responsible: a.responsible_user_id, createdAt: a.created_at.toISOString() })),
  };
}
