/**
 * The reminder email as it goes out: one function builds it — subject, text, HTML, Reply-To,
 * attachments — for the sender (`email.ts`, after a run) and for a clerk's preview
 * (`GET /partners/{id}/preview`), so what a clerk sees is what the customer receives.
 *
 * It speaks as of a date (the run's, or today for a preview) and lists what is open *now*: the
 * partner's open items followed up (not excluded, no promise running) due by that date plus the
 * plan's lead (the days its first level comes before the due date).
 */
import Handlebars from 'handlebars';
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { daysBetween } from '../../core/dates.js';
import { getTenant } from '../../core/tenants.js';
import type { FollowUpApi, FollowUpSettings } from './context.js';
import { levelsByPlan } from './levels.js';
import { itemsToRemind, type Item } from './policy.js';
import * as repo from './repository.js';
import type { SentMessage } from './tables.js';
import { defaultTemplate, renderReminder } from './templates.js';

/** The level a reminder is about (a level row, or a level of a plan). */
export interface ReminderLevel { name: string; delay: number; template: string | null; plan: string; attachStatement: boolean }

export interface ReminderFacts {
  contact: repo.Contact | null;
  /** The open items the reminder lists (empty: nothing left to remind). */
  items: Item[];
}

export interface ReminderEmail {
  /** The sender setting (`email.from`); empty when email is not configured. */
  from: string;
  to: string | null;
  replyTo: string | null;
  subject: string;
  text: string;
  html: string;
  /** The language the reminder is written in (vi, en, zh, ar) and the locale of its numbers and dates. */
  lang: string;
  locale: string;
  /** Inline parts have a `cid` the HTML refers to (the payment QR code). */
  attachments: Array<{ filename: string; content: Buffer; contentType: string; cid?: string }>;
}

/** Who the reminder goes to and which open items it lists, as of `date`. */
export async function reminderFacts(trx: Trx, tenantId: string, partnerId: string, plan: string, date: string): Promise<ReminderFacts> {
  return (await reminderFactsMany(trx, tenantId, [{ partnerId, plan, date }]))[0]!;
}

/** reminderFacts for many reminders at once (in their order), in three statements. */
export async function reminderFactsMany(trx: Trx, tenantId: string, requests: Array<{ partnerId: string; plan: string; date: string }>): Promise<ReminderFacts[]> {
  const partnerIds = [...new Set(requests.map((r) => r.partnerId))];
  const [reach, plans, items] = [await repo.contacts(trx, tenantId, partnerIds), await levelsByPlan(trx, tenantId), await repo.partnersItems(trx, tenantId, partnerIds)];
  return requests.map((r) => {
    return { contact: reach.get(r.partnerId) ?? null, items: itemsToRemind(items.get(r.partnerId) ?? [], plans.get(r.plan), r.date) };
  });
}

/** Builds the reminder email of `level` for the partner as of `date` (the facts from reminderFacts, with items). */
export async function composeReminder(api: FollowUpApi, trx: Trx, tenantId: string, partnerId: string, level: ReminderLevel, date: string, facts: ReminderFacts, settings: FollowUpSettings,
  replyTo?: string | null): Promise<ReminderEmail> {
  const tenant = await getTenant(trx, tenantId);
  const contact = facts.contact;
  const rendered = renderReminder({
    template: level.template ?? defaultTemplate(level.delay), channel: 'email', lang: contact?.lang ?? null, tenantLocale: tenant.locale,
    currency: tenant.currency, company: tenant.name, partner: { name: contact?.name ?? '', ref: '' }, contactName: contact?.contactName ?? null,
    level: { name: level.name, delay: level.delay }, date,
    items: facts.items.map((i) => ({ label: i.label, dueDate: i.dueDate, daysOverdue: Math.max(0, daysBetween(i.dueDate, date)), residual: i.residual })),
    overrides: settings.templates,
  });
  replyTo = replyTo === undefined ? (await replyTos(trx, tenantId, [partnerId])).get(partnerId) ?? null : replyTo;
  // The statement and the QR code come from the documents module, when the tenant has it.
  const documents = await api.ownService().documents.providerFor(trx, tenantId);
  const attachments: ReminderEmail['attachments'] = [];
  let html = rendered.html;
  if (documents) {
    const total = facts.items.reduce((s, i) => s + i.residual, 0n);
    const code = total > 0n ? await documents.paymentCode(trx, tenantId, partnerId, total, rendered.lang, facts.items.map((i) => i.invoiceId)) : null;
    if (code) {
      attachments.push({ filename: `vietqr-${code.reference}.png`, content: code.png, contentType: 'image/png', cid: 'payment-qr@congno' });
      html = html.replace('</body>', `<p><img src="cid:payment-qr@congno" alt="VietQR" width="180" height="180"><br>${Handlebars.escapeExpression(code.caption)}</p></body>`);
    }
    if (level.attachStatement) {
      const statement = await documents.statement(trx, tenantId, partnerId, date, rendered.locale);
      attachments.push({ filename: statement.filename, content: statement.content, contentType: 'application/pdf' });
    }
  }
  return {
    from: settings.email.from, to: contact?.email ?? null, replyTo,
    subject: rendered.subject, text: rendered.text, html, lang: rendered.lang, locale: rendered.locale, attachments,
  };
}

/** What the timeline keeps of a message that went out (or was refused): everything but the attachments' bytes. */
export function messageRecord(m: ReminderEmail): SentMessage {
  return {
    from: m.from, to: m.to, replyTo: m.replyTo, subject: m.subject, text: m.text, html: m.html, language: m.lang,
    attachments: m.attachments.map((a) => a.filename),
  };
}

/** Replies go to the partner's follow-up responsible, else to its salesperson (when they have an email). */
export async function replyTos(trx: Trx, tenantId: string, partnerIds: string[]): Promise<Map<string, string | null>> {
  const { rows } = await sql<{ id: string; email: string | null }>`
    select p.id, coalesce(r.email, s.email) as email
    from ledger_partner p
    left join followup_partner f on f.tenant_id = p.tenant_id and f.partner_id = p.id
    left join core_user r on r.tenant_id = p.tenant_id and r.id = f.responsible_user_id
    left join core_user s on s.tenant_id = p.tenant_id and s.id = p.salesperson_id
    where p.tenant_id = ${tenantId} and p.id = any(${partnerIds}::uuid[])`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.email]));
}
