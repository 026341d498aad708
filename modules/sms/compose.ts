/**
 * The reminder's text: the follow-up's facts of the level on the run's date (what is owed, the
 * oldest due date), the ledger's payment reference, written with the tenant's or the shipped
 * Handlebars template `templates/<template>/sms.<lang>.hbs` in the partner's language. Amounts
 * carry the currency's code ("12.500.000 VND"): ₫ is not in GSM-7 and a phone may not show it.
 */
import Handlebars from 'handlebars';
import { sql } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trx } from '../../core/db/kysely.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import { currencyExponent, formatAmount } from '../../core/money.js';
import type { ReminderContent } from '../follow-up/public.js';
import type { LedgerBooks } from '../ledger/public.js';
import type { SmsApi, SmsSettings } from './context.js';
import { plan, unaccent, type SmsPlan } from './text.js';
import { dateFormat, numberFormat } from '../../core/intl.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
export type Lang = (typeof LANGUAGES)[number];
const LOCALE: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB', zh: 'zh-CN', ar: 'ar' };

/** The reminder's facts a ZNS template's data are made of, as text. */
export interface ReminderData { customer: string; amount: string; oldestDue: string; reference: string; company: string; hotline: string }

export interface Composed {
  text: string; lang: Lang; plan: SmsPlan; template: string;
  data: ReminderData;
}

export function languageOf(tag: string | null | undefined, fallback: Lang): Lang {
  const base = (tag ?? '').toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(base) ? base as Lang : fallback;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();
function compile(source: string): HandlebarsTemplateDelegate {
  let t = compiled.get(source);
  if (!t) {
    t = Handlebars.compile(source, { noEscape: true, strict: false });
    if (compiled.size > 500) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

/** Why a tenant's template cannot be used (it does not parse, or names a helper that does not exist), or null. */
export function checkTemplate(source: string): string | null {
  try {
    Handlebars.compile(source, { noEscape: true, strict: false })({ company: 'C', partner: 'P', customer: 'P', amount: '1 VND', oldestDue: '01/01/2026', reference: 'R', hotline: '1' });
    return null;
  } catch (err) {
    return `not a template that can be written: ${(err as Error).message.split('\n')[0]}`;
  }
}

function source(name: string, lang: Lang, overrides: Record<string, string>): string | null {
  const own = overrides[`${name}/sms.${lang}`];
  if (own) return own;
  const file = path.join(DIR, name, `sms.${lang}.hbs`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

export function formatMoney(minor: bigint, currency: string, lang: Lang): string {
  const exponent = currencyExponent(currency);
  const number = numberFormat(LOCALE[lang], { minimumFractionDigits: exponent, maximumFractionDigits: exponent })
    .format(formatAmount(minor, currency) as unknown as number); // a decimal string is formatted exactly
  return `${number} ${currency}`;
}

export function formatDate(date: string, lang: Lang): string {
  return dateFormat(LOCALE[lang], { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC', numberingSystem: 'latn' }).format(new Date(`${date}T00:00:00Z`));
}

/** A text as it goes out: without diacritics when the tenant writes unaccented (Vietnamese only). */
export function finalText(text: string, lang: Lang, settings: SmsSettings): string {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  return settings.unaccented && lang === 'vi' ? unaccent(trimmed) : trimmed;
}

/** What a reminder's text needs besides the follow-up's facts, for each partner of a batch. */
export interface PartnerFacts { name: string; reference: string }

/**
 * The partners' names and payment references for reminders: one invoice reminded → that
 * invoice's reference; several → the customer's own (given on first use, by the ledger).
 */
export async function partnerFacts(api: SmsApi, trx: Trx, tenantId: string, wanted: Array<{ partnerId: string; invoiceIds: Array<string | null> }>): Promise<Map<string, PartnerFacts>> {
  const out = new Map<string, PartnerFacts>();
  if (wanted.length === 0) return out;
  const single = wanted.map((w) => { const ids = [...new Set(w.invoiceIds)]; return ids.length === 1 && ids[0] ? ids[0] : null; });
  const { rows } = await sql<{ id: string; name: string; reference: string | null }>`
    select p.id, p.name, coalesce(i.payment_reference, p.payment_reference) as reference
    from unnest(${wanted.map((w) => w.partnerId)}::uuid[], ${single}::uuid[]) as w(partner_id, invoice_id)
    join ledger_partner p on p.tenant_id = ${tenantId} and p.id = w.partner_id
    left join ledger_invoice i on i.tenant_id = p.tenant_id and i.id = w.invoice_id`.execute(trx);
  let books: LedgerBooks | null = null;
  for (const r of rows) {
    let reference = r.reference;
    if (reference === null) {
      const ledger = api.service('ledger');
      books ??= await ledger.books.open(trx, tenantId, SYSTEM_ACTOR);
      reference = await ledger.partners.paymentReference(books, r.id);
    }
    out.set(r.id, { name: r.name, reference });
  }
  return out;
}

/** The text of a reminder: the follow-up's facts, the partner's, in the partner's language (else the company's). */
export function reminderText(content: ReminderContent, partner: PartnerFacts, tenant: { name: string; locale: string; currency: string }, settings: SmsSettings): Composed {
  const lang = languageOf(content.lang, languageOf(tenant.locale, 'vi'));
  const total = content.items.reduce((s, i) => s + i.residual, 0n);
  const oldest = content.items.reduce<string | null>((d, i) => (d === null || i.dueDate < d ? i.dueDate : d), null) ?? content.date;
  const data: ReminderData = {
    customer: content.contactName ?? partner.name, amount: formatMoney(total, tenant.currency, lang), oldestDue: formatDate(oldest, lang),
    reference: partner.reference, company: tenant.name, hotline: settings.hotline || content.responsible?.phone || '',
  };
  const template = content.level.template;
  const src = source(template, lang, settings.templates) ?? source(defaultTemplate(content.level.delay), lang, settings.templates) ?? source(defaultTemplate(content.level.delay), 'vi', {})!;
  const text = finalText(compile(src)({ ...data, partner: data.customer }), lang, settings);
  return { text, lang, plan: plan(text), template, data };
}

/** The shipped template a level without one of its own uses, by its delay (as the follow-up's email). */
export function defaultTemplate(delay: number): string {
  return delay < 0 ? 'before_due' : delay === 0 ? 'due' : delay >= 60 ? 'final' : 'overdue';
}
