/**
 * A clerk sees a reminder before it goes: the email a level would send the partner today (or on
 * `date`), built by the same function the sender uses (`message.ts`), with what would stop it now.
 */
import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate, todayIn } from '../../core/dates.js';
import { ProblemError, badRequest } from '../../core/errors.js';
import { getTenant } from '../../core/tenants.js';
import { UUID, partnerOr404, type FollowUpApi } from './context.js';
import { NOT_CONFIGURED, emailConfigured } from './delivery.js';
import { seededLevelNames } from './i18n/index.js';
import { levelsByPlan } from './levels.js';
import { composeReminder, reminderFacts, type ReminderFacts } from './message.js';
import { decide, factsOf, type PlanLevel } from './policy.js';
import * as repo from './repository.js';

export interface PreviewInput { level?: string; channel: 'email' | 'sms' | 'letter'; date?: string }
export interface PreviewView {
  subject: string; html: string; text: string; attachments: string[];
  from: string | null; to: string | null; replyTo: string | null; language: string; date: string;
  level: { id: string; name: string; delay: number };
  warnings: string[];
}

/** A level of the plan by id or name (case-insensitive; a seeded level also by its name in another language). */
function findLevel(levels: PlanLevel[], wanted: string, plan: string): PlanLevel {
  const byId = UUID.test(wanted) ? levels.find((l) => l.id === wanted) : undefined;
  if (byId) return byId;
  const lower = wanted.trim().toLowerCase();
  const byName = levels.find((l) => l.name.toLowerCase() === lower);
  if (byName) return byName;
  const aliases = seededLevelNames(wanted).map((n) => n.toLowerCase());
  const byAlias = levels.find((l) => aliases.includes(l.name.toLowerCase()));
  if (byAlias) return byAlias;
  throw badRequest(`no level '${wanted}' in plan '${plan}' (the partner's plan): give the id or name of one of ${levels.map((l) => `'${l.name}'`).join(', ') || 'its levels (it has none)'}`, 'level');
}

/**
 * The level a reminder is about and what it lists: `wanted` (id or name), else the level due on
 * `date`, else the one the partner is at (done in this episode), else the one reached. A 409 when
 * no level applies or nothing would be reminded (the reminder would be cancelled).
 */
export async function reminderOf(api: FollowUpApi, trx: Trx, tenantId: string, partner: { id: string; ref: string }, wanted: string | undefined, date: string): Promise<{ level: PlanLevel; facts: ReminderFacts }> {
  const settings = await api.settings(trx, tenantId);
  const state = (await repo.partnerStates(trx, tenantId, partner.id)).get(partner.id) ?? null;
  const plan = state?.plan ?? settings.defaultPlan;
  const levels = (await levelsByPlan(trx, tenantId)).get(plan) ?? [];

  let level: PlanLevel | null;
  if (wanted !== undefined) level = findLevel(levels, wanted, plan);
  else {
    const decision = decide(levels, factsOf(await repo.partnerItems(trx, tenantId, partner.id), date), state, date, settings.minIntervalDays);
    level = decision.dueLevel ?? decision.done ?? decision.reached;
  }
  if (!level) {
    throw new ProblemError(409, 'no-level', 'No level applies', `No level of plan '${plan}' applies to ${partner.ref} on ${date} (nothing is overdue far enough): name one with ?level=.`, 'level');
  }
  const facts = await reminderFacts(trx, tenantId, partner.id, level.plan, date);
  if (facts.items.length === 0) {
    throw new ProblemError(409, 'nothing-to-remind', 'Nothing to remind',
      `Nothing to remind ${partner.ref} of on ${date}: no open item followed up (not excluded, no promise running) is due by then${levels[0] && levels[0].delay < 0 ? ` or within ${-levels[0].delay} days` : ''}. A reminder would be cancelled, not sent.`);
  }
  return { level, facts };
}

export async function previewReminder(api: FollowUpApi, trx: Trx, tenantId: string, idOrRef: string, visible: string[] | null, input: PreviewInput): Promise<PreviewView> {
  const partner = await partnerOr404(api, trx, tenantId, idOrRef, visible);
  if (input.channel !== 'email') {
    throw badRequest(`no preview of the ${input.channel} channel here: the follow-up module renders email reminders; ${input.channel === 'sms' ? 'text messages' : 'letters'} are rendered by their own module`, 'channel');
  }
  const tenant = await getTenant(trx, tenantId);
  const date = input.date ?? todayIn(tenant.timezone);
  if (!isIsoDate(date)) throw badRequest(`date '${date}' is not a date (YYYY-MM-DD)`, 'date');
  const settings = await api.settings(trx, tenantId);
  const { level, facts } = await reminderOf(api, trx, tenantId, partner, input.level, date);
  const mail = await composeReminder(api, trx, tenantId, partner.id, { name: level.name, delay: level.delay, template: level.template, plan: level.plan, attachStatement: level.attachStatement }, date, facts, settings);
  const warnings: string[] = [];
  if (!level.channels.includes('email')) warnings.push(`Level '${level.name}' does not send email (its channels: ${level.channels.join(', ') || 'none'}).`);
  if (!emailConfigured(settings)) warnings.push(`Not sent now: ${NOT_CONFIGURED}.`);
  if (!mail.to) warnings.push('Not sent now: missing contact data: no email address (neither a follow-up contact nor the partner has one).');
  return {
    subject: mail.subject, html: mail.html, text: mail.text, attachments: mail.attachments.map((a) => a.filename),
    from: mail.from || null, to: mail.to, replyTo: mail.replyTo, language: mail.lang, date,
    level: { id: level.id, name: level.name, delay: level.delay }, warnings,
  };
}
