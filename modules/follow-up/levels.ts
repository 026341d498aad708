import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { ProblemError, badRequest, notFound } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, type FollowUpApi } from './context.js';
import { tenantLanguage, translator, type Lang } from './i18n/index.js';
import type { PlanLevel } from './policy.js';
import type { Channel, ChannelFallback, LevelActivity } from './tables.js';

export interface LevelInput {
  plan?: string;
  name: string;
  delay: number;
  channels: Channel[];
  auto: boolean;
  template?: string | null;
  attachStatement?: boolean;
  activity?: LevelActivity | null;
  fallback?: ChannelFallback;
}

export interface LevelView {
  id: string; plan: string; name: string; delay: number; channels: Channel[]; auto: boolean;
  template: string | null; attachStatement: boolean; activity: LevelActivity | null; fallback: ChannelFallback;
  createdAt: string; updatedAt: string;
}

/**
 * Seeded when a company enables the module (only if it has no levels): the plan Odoo's follow-up
 * documentation suggests, named in the company's language (the catalogues in i18n/).
 */
export function defaultPlan(lang: Lang): LevelInput[] {
  const t = translator(lang);
  return [
    { name: t('level.before_due'), delay: -3, channels: ['email'], auto: true, template: 'before_due' },
    { name: t('level.due'), delay: 0, channels: ['email', 'letter'], auto: true, template: 'due' },
    { name: t('level.overdue_15'), delay: 15, channels: ['email'], auto: true, template: 'overdue', activity: { type: 'call', responsible: 'followup_responsible', dueInDays: 0, note: t('activity.call_note') } },
    { name: t('level.final_60'), delay: 60, channels: ['letter', 'email'], auto: true, template: 'final' },
  ];
}

type LevelRow = {
  id: string; plan: string; name: string; delay: number; channels: Channel[]; auto: boolean; template: string | null;
  attach_statement: boolean; activity: LevelActivity | null; fallback: ChannelFallback; created_at: Date; updated_at: Date;
};

export function toPlanLevel(row: LevelRow): PlanLevel {
  return { id: row.id, plan: row.plan, name: row.name, delay: row.delay, channels: row.channels, auto: row.auto, template: row.template, attachStatement: row.attach_statement, activity: row.activity };
}

function view(row: LevelRow): LevelView {
  return {
    id: row.id, plan: row.plan, name: row.name, delay: row.delay, channels: row.channels, auto: row.auto, template: row.template,
    attachStatement: row.attach_statement, activity: row.activity, fallback: row.fallback, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

const COLUMNS = ['id', 'plan', 'name', 'delay', 'channels', 'auto', 'template', 'attach_statement', 'activity', 'fallback', 'created_at', 'updated_at'] as const;

export async function activeLevels(trx: Trx, tenantId: string, plan?: string): Promise<LevelRow[]> {
  let q = trx.selectFrom('followup_level').select(COLUMNS).where('tenant_id', '=', tenantId).where('archived_at', 'is', null);
  if (plan !== undefined) q = q.where('plan', '=', plan);
  return q.orderBy('plan').orderBy('delay').execute() as Promise<LevelRow[]>;
}

/** Active levels by plan, each sorted by delay. */
export async function levelsByPlan(trx: Trx, tenantId: string): Promise<Map<string, PlanLevel[]>> {
  const out = new Map<string, PlanLevel[]>();
  for (const row of await activeLevels(trx, tenantId)) {
    const list = out.get(row.plan) ?? [];
    list.push(toPlanLevel(row));
    out.set(row.plan, list);
  }
  return out;
}

export async function listLevels(trx: Trx, tenantId: string, plan?: string): Promise<LevelView[]> {
  return (await activeLevels(trx, tenantId, plan)).map(view);
}

async function levelOr404(trx: Trx, tenantId: string, id: string, lock = false): Promise<LevelRow & { archived_at: Date | null }> {
  if (!UUID.test(id)) throw notFound(`No follow-up level ${id}.`);
  let q = trx.selectFrom('followup_level').select([...COLUMNS, 'archived_at']).where('tenant_id', '=', tenantId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(`No follow-up level ${id}.`);
  return row as LevelRow & { archived_at: Date | null };
}

export async function getLevel(trx: Trx, tenantId: string, id: string): Promise<LevelView> {
  return view(await levelOr404(trx, tenantId, id));
}

export function checkPlanName(plan: string, field = 'plan'): string {
  const trimmed = plan.trim();
  if (!trimmed || trimmed.length > 64) throw badRequest(`${field} must be 1–64 characters`, field);
  return trimmed;
}

async function checkInput(trx: Trx, tenantId: string, input: LevelInput) {
  const plan = checkPlanName(input.plan ?? 'default');
  const name = input.name.trim();
  if (!name) throw badRequest('name must not be blank', 'name');
  if (name.length > 100) throw badRequest('name must be at most 100 characters', 'name');
  if (new Set(input.channels).size !== input.channels.length) throw badRequest('channels must not repeat a channel', 'channels');
  if (input.channels.length === 0 && !input.activity) throw badRequest('a level needs at least one channel or an activity: otherwise it does nothing', 'channels');
  const template = input.template?.trim() || null;
  if (template !== null && !/^[a-z0-9_-]{1,40}$/.test(template)) throw badRequest(`template '${template}' must be 1–40 lower-case letters, digits, '_' or '-'`, 'template');
  const activity = input.activity ?? null;
  if (activity?.responsible && !['followup_responsible', 'salesperson'].includes(activity.responsible)) {
    if (!UUID.test(activity.responsible)) throw badRequest("activity.responsible must be 'followup_responsible', 'salesperson' or a user id", 'activity.responsible');
    const user = await trx.selectFrom('core_user').select('id').where('tenant_id', '=', tenantId).where('id', '=', activity.responsible).executeTakeFirst();
    if (!user) throw badRequest(`no user ${activity.responsible} in this company`, 'activity.responsible');
  }
  return { plan, name, template, activity, fallback: checkFallback(input.channels, input.fallback) };
}

/**
 * A level's fallbacks: only `zalo` → `sms` is known (the sms module sends both). Given none, a level
 * with `zalo` and without `sms` falls back to SMS; `{}` says it must not.
 */
function checkFallback(channels: Channel[], fallback: ChannelFallback | undefined): ChannelFallback {
  if (fallback === undefined) return channels.includes('zalo') && !channels.includes('sms') ? { zalo: 'sms' } : {};
  for (const [from, to] of Object.entries(fallback) as Array<[Channel, Channel]>) {
    if (!channels.includes(from)) throw badRequest(`fallback.${from}: the level does not send by ${from}`, `fallback.${from}`);
    if (channels.includes(to)) throw badRequest(`fallback.${from}: the level sends by ${to} anyway; a fallback is a channel it does not use`, `fallback.${from}`);
  }
  return fallback;
}

async function assertFree(trx: Trx, tenantId: string, plan: string, name: string, delay: number, exceptId: string | null): Promise<void> {
  const clash = await sql<{ name: string; delay: number }>`
    select name, delay from followup_level
    where tenant_id = ${tenantId} and plan = ${plan} and archived_at is null and (delay = ${delay} or lower(name) = lower(${name}))
      and (${exceptId}::uuid is null or id <> ${exceptId}::uuid)
    limit 1`.execute(trx);
  const row = clash.rows[0];
  if (!row) return;
  if (row.delay === delay) {
    throw new ProblemError(409, 'level-delay-taken', 'Conflict', `Plan '${plan}' already has the level '${row.name}' at ${delay} days: a partner's level must never be ambiguous.`, 'delay');
  }
  throw new ProblemError(409, 'level-name-taken', 'Conflict', `Plan '${plan}' already has a level named '${row.name}'.`, 'name');
}

export async function createLevel(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, input: LevelInput): Promise<LevelView> {
  const { plan, name, template, activity, fallback } = await checkInput(trx, tenantId, input);
  await assertFree(trx, tenantId, plan, name, input.delay, null);
  const row = await trx.insertInto('followup_level').values({
    tenant_id: tenantId, plan, name, delay: input.delay, channels: input.channels, auto: input.auto, template,
    attach_statement: input.attachStatement ?? false, activity: JSON.stringify(activity), fallback: JSON.stringify(fallback), archived_at: null,
  }).returning(COLUMNS).executeTakeFirstOrThrow();
  const created = view(row as LevelRow);
  await api.audit(trx, tenantId, { actor, action: 'followup.level_created', entity: 'followup_level', entityId: created.id, after: created });
  return created;
}

export async function updateLevel(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string, input: LevelInput): Promise<LevelView> {
  const before = await levelOr404(trx, tenantId, id, true);
  if (before.archived_at) throw new ProblemError(409, 'level-archived', 'Conflict', `Follow-up level '${before.name}' was deleted; create a new one.`);
  const { plan, name, template, activity, fallback } = await checkInput(trx, tenantId, { ...input, plan: input.plan ?? before.plan });
  await assertFree(trx, tenantId, plan, name, input.delay, id);
  const row = await trx.updateTable('followup_level').set({
    plan, name, delay: input.delay, channels: input.channels, auto: input.auto, template,
    attach_statement: input.attachStatement ?? false, activity: JSON.stringify(activity), fallback: JSON.stringify(fallback), updated_at: new Date(),
  }).where('tenant_id', '=', tenantId).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
  const after = view(row as LevelRow);
  await api.audit(trx, tenantId, { actor, action: 'followup.level_changed', entity: 'followup_level', entityId: id, before: view(before), after });
  return after;
}

/** Deleting keeps the row (reminders already sent name it) but takes it out of its plan. */
export async function deleteLevel(api: FollowUpApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<LevelView> {
  const before = await levelOr404(trx, tenantId, id, true);
  if (!before.archived_at) {
    await trx.updateTable('followup_level').set({ archived_at: new Date(), updated_at: new Date() }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await api.audit(trx, tenantId, { actor, action: 'followup.level_deleted', entity: 'followup_level', entityId: id, before: view(before) });
  }
  return view(before);
}

/** onEnable: the suggested plan, once (a company that already has levels keeps its own), in the company's language. */
export async function seedDefaultPlan(trx: Trx, tenantId: string): Promise<void> {
  const existing = await trx.selectFrom('followup_level').select('id').where('tenant_id', '=', tenantId).limit(1).executeTakeFirst();
  if (existing) return;
  const { locale } = await getTenant(trx, tenantId);
  await trx.insertInto('followup_level').values(defaultPlan(tenantLanguage(locale)).map((l) => ({
    tenant_id: tenantId, plan: 'default', name: l.name, delay: l.delay, channels: l.channels, auto: l.auto, template: l.template ?? null,
    attach_statement: l.attachStatement ?? false, activity: JSON.stringify(l.activity ?? null), archived_at: null,
  }))).execute();
}
