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
