import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { daysBetween } from '../../core/dates.js';
import type { FollowUpApi } from './context.js';
import { defaultTemplate } from './templates.js';
import { reminderOf } from './preview.js';
import type { FollowUpService, ReminderDocuments } from './public.js';

import { mailState, queueMail } from './mail.js';

/** The follow-up's service (public.ts), built once per server in `setup`. */
export function createFollowUpService(api: FollowUpApi): FollowUpService {
  let documents: { module: string; provider: ReminderDocuments } | null = null;
  return {
    actions: {
      get: async (trx, tenantId, actionId, options = {}) => {
        let q = trx.selectFrom('followup_action as a')
          .innerJoin('followup_level as l', (j) => j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.id', '=', 'a.level_id'))
          .select(['a.id', 'a.partner_id', 'a.level_id', 'l.name', 'a.channel', sql<string>`a.date::text`.as('date'), 'a.state', 'a.recipient', 'a.invoice_ids', 'l.attach_statement'])
          .where('a.tenant_id', '=', tenantId).where('a.id', '=', actionId);
        if (options.lock) q = q.forNoKeyUpdate('a');
        const r = await q.executeTakeFirst();
        return r ? {
          id: r.id, partnerId: r.partner_id, levelId: r.level_id, levelName: r.name, channel: r.channel, date: r.date, state: r.state,
          recipient: r.recipient, invoiceIds: r.invoice_ids, attachStatement: r.attach_statement,
        } : null;
      },
      record: async (trx, tenantId, actionId, channel, outcome) => {
        await trx.updateTable('followup_action').set({
          state: outcome.state,
          result: JSON.stringify({ ...outcome.details, code: outcome.code, message: outcome.message, reason: outcome.message }),
          done_at: outcome.state === 'pending' ? null : new Date(),
          ...(outcome.recipient !== undefined ? { recipient: outcome.recipient } : {}),
        }).where('tenant_id', '=', tenantId).where('id', '=', actionId).where('channel', '=', channel).execute();
      },
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
