import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { daysBetween } from '../../core/dates.js';
import type { FollowUpApi } from './context.js';
import { defaultTemplate } from './templates.js';
import { reminderOf } from './preview.js';
import type { ActionOutcome, FollowUpService, ReminderAction, ReminderContent, ReminderDocuments } from './public.js';
import { levelsByPlan } from './levels.js';
import { itemsToRemind } from './policy.js';
import * as repo from './repository.js';
import type { Channel } from './tables.js';

import { mailState, queueMail } from './mail.js';

/** The follow-up's service (public.ts), built once per server in `setup`. */
export function createFollowUpService(api: FollowUpApi): FollowUpService {
  let documents: { module: string; provider: ReminderDocuments } | null = null;
  return {
    actions: {
      get: async (trx, tenantId, actionId, options) => (await actionsById(trx, tenantId, [actionId], options?.lock ?? false)).get(actionId) ?? null,
      getMany: (trx, tenantId, actionIds, options) => actionsById(trx, tenantId, actionIds, options?.lock ?? false),
      record: (trx, tenantId, actionId, channel, outcome) => recordOutcomes(trx, tenantId, channel, [{ actionId, outcome }]),
      recordMany: recordOutcomes,
    },
    timeline: {
      note: async (trx, tenantId, partnerId, text, userId) => {
        await trx.insertInto('followup_note').values({ tenant_id: tenantId, partner_id: partnerId, kind: 'note', outcome: null, text, line_id: null, next_action_on: null, user_id: userId }).execute();
      },
    },
    reminders: {
      content: async (trx, tenantId, partnerId, options) => {
        const partner = await trx.selectFrom('ledger_partner').select(['id', 'ref']).where('tenant_id', '=', tenantId).where('id', '=', partnerId).executeTakeFirstOrThrow();
        const { level, facts } = await reminderOf(api, trx, tenantId, partner, options.level, options.date);
        return {
          level: { id: level.id, plan: level.plan, name: level.name, delay: level.delay, template: level.template ?? defaultTemplate(level.delay), attachStatement: level.attachStatement, channels: level.channels },
          date: options.date,
          contactName: facts.contact?.contactName ?? null,
          lang: facts.contact?.lang ?? null,
          items: facts.items.map((i) => ({ label: i.label, invoiceId: i.invoiceId, dueDate: i.dueDate, daysOverdue: Math.max(0, daysBetween(i.dueDate, options.date)), residual: i.residual })),
          responsible: await responsibleOf(trx, tenantId, partnerId),
        };
      },
      contentMany: (trx, tenantId, requests) => contentMany(trx, tenantId, requests),
      interval: async (trx, tenantId, partnerId, date) => {
        const { minIntervalDays } = await api.settings(trx, tenantId);
        const state = await trx.selectFrom('followup_partner').select(sql<string | null>`last_reminder_on::text`.as('last')).where('tenant_id', '=', tenantId).where('partner_id', '=', partnerId).executeTakeFirst();
        const lastReminderOn = state?.last ?? null;
        return { lastReminderOn, minIntervalDays, tooSoon: lastReminderOn !== null && daysBetween(lastReminderOn, date) < minIntervalDays };
      },
    },
    documents: {
      register: (module, provider) => {
        if (documents && documents.module !== module) throw new Error(`Module '${documents.module}' already gives reminders their documents; '${module}' cannot too`);
        documents = { module, provider };
      },
      providerFor: async (trx, tenantId) => (documents && (await api.isEnabled(trx, tenantId, documents.module)) ? documents.provider : null),
    },
    mail: {
      send: (trx, tenantId, module, mail) => queueMail(api, trx, tenantId, module, mail),
      get: mailState,
    },
  };
}

/** reminders.contentMany: the same facts as `content`, a handful of statements for the whole batch. */
async function contentMany(trx: Trx, tenantId: string, requests: Array<{ key: string; partnerId: string; levelId: string; date: string }>): Promise<Map<string, ReminderContent | { problem: string; detail: string }>> {
  const out = new Map<string, ReminderContent | { problem: string; detail: string }>();
  if (requests.length === 0) return out;
  const partnerIds = [...new Set(requests.map((r) => r.partnerId))];
  const plans = await levelsByPlan(trx, tenantId);
  const levels = new Map([...plans.values()].flat().map((l) => [l.id, l]));
  const [reach, items, responsible] = [await repo.contacts(trx, tenantId, partnerIds), await repo.partnersItems(trx, tenantId, partnerIds), await responsibleMany(trx, tenantId, partnerIds)];
  for (const r of requests) {
    const level = levels.get(r.levelId);
    if (!level) { out.set(r.key, { problem: 'no-level', detail: 'the level was deleted since the run' }); continue; }
    const open = itemsToRemind(items.get(r.partnerId) ?? [], plans.get(level.plan), r.date);
    if (open.length === 0) { out.set(r.key, { problem: 'nothing-to-remind', detail: `nothing to remind on ${r.date}: paid, excluded or promised since the run` }); continue; }
    const contact = reach.get(r.partnerId) ?? null;
    out.set(r.key, {
      level: { id: level.id, plan: level.plan, name: level.name, delay: level.delay, template: level.template ?? defaultTemplate(level.delay), attachStatement: level.attachStatement, channels: level.channels },
      date: r.date, contactName: contact?.contactName ?? null, lang: contact?.lang ?? null,
      items: open.map((i) => ({ label: i.label, invoiceId: i.invoiceId, dueDate: i.dueDate, daysOverdue: Math.max(0, daysBetween(i.dueDate, r.date)), residual: i.residual })),
      responsible: responsible.get(r.partnerId) ?? null,
    });
  }
  return out;
}

async function responsibleMany(trx: Trx, tenantId: string, partnerIds: string[]): Promise<Map<string, { name: string; phone: string | null; email: string | null }>> {
  const { rows } = await sql<{ id: string; name: string; phone: string | null; email: string | null }>`
    select p.id, u.name, u.phone, u.email
    from ledger_partner p
    left join followup_partner f on f.tenant_id = p.tenant_id and f.partner_id = p.id
    join core_user u on u.tenant_id = p.tenant_id and u.id = coalesce(f.responsible_user_id, p.salesperson_id)
    where p.tenant_id = ${tenantId} and p.id = any(${partnerIds}::uuid[])`.execute(trx);
  return new Map(rows.map((r) => [r.id, { name: r.name, phone: r.phone, email: r.email }]));
}

/** The partner's follow-up responsible, else its salesperson. */
export async function responsibleOf(trx: Trx, tenantId: string, partnerId: string): Promise<{ name: string; phone: string | null; email: string | null } | null> {
  const { rows } = await sql<{ name: string; phone: string | null; email: string | null }>`
    select u.name, u.phone, u.email
    from ledger_partner p
    left join followup_partner f on f.tenant_id = p.tenant_id and f.partner_id = p.id
    join core_user u on u.tenant_id = p.tenant_id and u.id = coalesce(f.responsible_user_id, p.salesperson_id)
    where p.tenant_id = ${tenantId} and p.id = ${partnerId}`.execute(trx);
  return rows[0] ?? null;
}

/** Actions by id, with their level's name and whether it attaches the statement; `lock`: rows locked for the caller's transaction. */
async function actionsById(trx: Trx, tenantId: string, ids: string[], lock: boolean): Promise<Map<string, ReminderAction>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ id: string; partner_id: string; level_id: string; name: string; channel: Channel; date: string; state: ReminderAction['state']; recipient: string | null; invoice_ids: string[]; attach_statement: boolean; fallback: Channel | null }>`
    select a.id, a.partner_id, a.level_id, l.name, a.channel, a.date::text as date, a.state, a.recipient, a.invoice_ids, l.attach_statement, l.fallback->>a.channel as fallback
    from followup_action a join followup_level l on l.tenant_id = a.tenant_id and l.id = a.level_id
    where a.tenant_id = ${tenantId} and a.id = any(${ids}::uuid[])
    order by a.id
    ${lock ? sql`for no key update of a` : sql``}`.execute(trx);
  return new Map(rows.map((r) => [r.id, {
    id: r.id, partnerId: r.partner_id, levelId: r.level_id, levelName: r.name, channel: r.channel, date: r.date, state: r.state,
    recipient: r.recipient, invoiceIds: r.invoice_ids, attachStatement: r.attach_statement, fallback: r.fallback,
  }]));
}

/** What became of actions of `channel`, in one statement (`recipient` kept when an outcome gives none). */
async function recordOutcomes(trx: Trx, tenantId: string, channel: Channel, outcomes: Array<{ actionId: string; outcome: ActionOutcome }>): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map(({ actionId, outcome: o }) => ({
    id: actionId, state: o.state, result: { ...o.details, code: o.code, message: o.message, reason: o.message },
    recipient: o.recipient ?? null, keepRecipient: o.recipient === undefined,
  }));
  await sql`
    update followup_action a
    set state = o.state, result = o.result, done_at = case when o.state = 'pending' then null else now() end,
        recipient = case when o."keepRecipient" then a.recipient else o.recipient end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as o(id uuid, state text, result jsonb, recipient text, "keepRecipient" boolean)
    where a.tenant_id = ${tenantId} and a.id = o.id and a.channel = ${channel}`.execute(trx);
}
