/**
 * Reminder texts: Handlebars templates, one per template name, channel and language
 * (`templates/<name>/<channel>.<lang>.hbs`, vi, en, zh and ar shipped), replaced per tenant by the
 * `templates` setting (`<name>/<channel>.<lang>`). A template's first line is `Subject: …`.
 * Amounts and dates are formatted with Intl for the partner's locale (vi-VN: 1.234.567 ₫, 31/03/2026).
 */
import Handlebars from 'handlebars';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMoneyForLocale } from '../../core/money.js';
import { dateFormat } from '../../core/intl.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
type Lang = (typeof LANGUAGES)[number];
const DEFAULT_LOCALE: Record<Lang, string> = { vi: 'vi-VN', en: 'en-US', zh: 'zh-CN', ar: 'ar' };

/** The template a level uses when it names none: by its delay. */
export function defaultTemplate(delay: number): string {
  return delay < 0 ? 'before_due' : delay === 0 ? 'due' : 'overdue';
}

/** A BCP 47 locale from a partner's language ('vi', 'vi_VN', 'en-GB' …), else the fallback. */
export function localeOf(lang: string | null | undefined, fallback: string): string {
  if (lang) {
    try {
      const [canonical] = Intl.getCanonicalLocales(lang.replace(/_/g, '-'));
      if (canonical) {
        const base = canonical.split('-')[0] as Lang;
        return canonical.includes('-') || !(base in DEFAULT_LOCALE) ? canonical : DEFAULT_LOCALE[base];
      }
    } catch { /* not a language tag: use the fallback */ }
  }
  return fallback;
}

const LABELS: Record<Lang, { number: string; due: string; late: string; open: string; days: (n: number) => string; notDue: string; total: string }> = {
  vi: { number: 'Số hóa đơn', due: 'Hạn thanh toán', late: 'Quá hạn', open: 'Còn phải trả', days: (n) => `${n} ngày`, notDue: 'chưa đến hạn', total: 'Tổng cộng' },
  en: { number: 'Invoice', due: 'Due date', late: 'Overdue', open: 'Amount due', days: (n) => `${n} day${n === 1 ? '' : 's'}`, notDue: 'not yet due', total: 'Total' },
  zh: { number: '发票号', due: '到期日', late: '逾期', open: '应付金额', days: (n) => `${n} 天`, notDue: '未到期', total: '合计' },
  ar: { number: 'رقم الفاتورة', due: 'تاريخ الاستحقاق', late: 'التأخير', open: 'المبلغ المستحق', days: (n) => `${n} يوم`, notDue: 'لم يحن موعده', total: 'الإجمالي' },
};

export interface ReminderItem { label: string; dueDate: string; daysOverdue: number; residual: bigint }
export interface ReminderInput {
  template: string;
  channel: 'email' | 'sms' | 'letter';
  /** The partner's (or follow-up contact's) language; the tenant's locale when unknown. */
  lang: string | null;
  tenantLocale: string;
  currency: string;
  company: string;
  partner: { name: string; ref: string };
  contactName: string | null;
  level: { name: string; delay: number };
  date: string;
  items: ReminderItem[];
  overrides: Record<string, string>;
}
export interface Rendered { subject: string; text: string; html: string; lang: Lang; locale: string }

const compiled = new Map<string, { subject: HandlebarsTemplateDelegate; body: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate }>();

function compile(source: string) {
  const key = source;
  let found = compiled.get(key);
  if (!found) {
    const [first, ...rest] = source.replace(/^\uFEFF/, '').split(/\r?\n/);
    const m = /^Subject:\s*(.*)$/i.exec(first);
    if (!m) throw new Error('a reminder template starts with a line "Subject: …"');
    const body = rest.join('\n').replace(/^\s*\n/, '');
    found = {
      subject: Handlebars.compile(m[1], { noEscape: true, strict: false }),
      body: Handlebars.compile(body, { noEscape: true }),
      html: Handlebars.compile(body),
    };
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

function source(name: string, channel: string, lang: Lang, overrides: Record<string, string>): string | null {
  const key = `${name}/${channel}.${lang}`;
  // A tenant template without its Subject line cannot be used: the shipped one goes out instead.
  if (overrides[key] && /^\uFEFF?Subject:/i.test(overrides[key])) return overrides[key];
  const file = path.join(DIR, name, `${channel}.${lang}.hbs`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

function formatDate(date: string, locale: string): string {
  return dateFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

const escape = (s: string): string => Handlebars.escapeExpression(s);

/** Renders a reminder in the partner's language (else the company's, else English). */
export function renderReminder(input: ReminderInput): Rendered {
  const locale = localeOf(input.lang, input.tenantLocale);
  const wanted = [locale.split('-')[0], input.tenantLocale.split('-')[0], 'en'].filter((l): l is Lang => (LANGUAGES as readonly string[]).includes(l));
  let lang: Lang = 'en';
  let text: string | null = null;
  for (const l of wanted) {
    text = source(input.template, input.channel, l, input.overrides) ?? source(defaultTemplate(input.level.delay), input.channel, l, input.overrides);
    if (text) { lang = l; break; }
  }
  if (!text) throw new Error(`no ${input.channel} template '${input.template}' in ${wanted.join(', ')}`);
  const labels = LABELS[lang];
  const money = (v: bigint): string => formatMoneyForLocale(v, input.currency, locale);
  const items = input.items.map((i) => ({
    label: i.label, dueDate: formatDate(i.dueDate, locale), residual: money(i.residual),
    overdue: i.daysOverdue > 0 ? labels.days(i.daysOverdue) : labels.notDue, daysOverdue: i.daysOverdue,
  }));
  const total = input.items.reduce((s, i) => s + i.residual, 0n);
  const overdueTotal = input.items.filter((i) => i.daysOverdue > 0).reduce((s, i) => s + i.residual, 0n);
  const context = {
    company: input.company, partner: input.partner, contactName: input.contactName ?? input.partner.name, level: input.level,
    date: formatDate(input.date, locale), items, total: money(total), overdueTotal: money(overdueTotal), count: items.length,
  };
  const table = (html: boolean): string => {
    const head = [labels.number, labels.due, labels.late, labels.open];
    const rows = items.map((i) => [i.label, i.dueDate, i.overdue, i.residual]);
    if (html) {
      const th = head.map((h) => `<th style="text-align:left;padding:4px 8px;border-bottom:1px solid #999">${escape(h)}</th>`).join('');
      const tr = rows.map((r) => `<tr>${r.map((c, k) => `<td style="padding:4px 8px;${k === 3 ? 'text-align:right' : ''}">${escape(c)}</td>`).join('')}</tr>`).join('');
      const foot = `<tr><td colspan="3" style="padding:4px 8px;font-weight:bold">${escape(labels.total)}</td><td style="padding:4px 8px;text-align:right;font-weight:bold">${escape(context.total)}</td></tr>`;
      return `<table style="border-collapse:collapse"${lang === 'ar' ? ' dir="rtl"' : ''}><thead><tr>${th}</tr></thead><tbody>${tr}${foot}</tbody></table>`;
    }
    const all = [head, ...rows, [labels.total, '', '', context.total]];
    const widths = head.map((_, k) => Math.max(...all.map((r) => [...r[k]].length)));
    const line = (r: string[]) => r.map((c, k) => (k === 3 ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join('  ').trimEnd();
    return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(all[all.length - 1])].join('\n');
  };
  const t = compile(text);
  const helpers = (html: boolean) => ({ helpers: { itemsTable: () => (html ? new Handlebars.SafeString(table(true)) : table(false)) } });
  const body = t.body(context, helpers(false)).trim() + '\n';
  const htmlBody = t.html(context, helpers(true)).trim()
    .split(/\n{2,}/).map((p) => (p.startsWith('<table') ? p : `<p>${p.replace(/\n/g, '<br>')}</p>`)).join('\n');
  return {
    subject: t.subject(context, helpers(false)).trim(), text: body, lang, locale,
    html: `<!doctype html><html lang="${lang}"${lang === 'ar' ? ' dir="rtl"' : ''}><body>${htmlBody}</body></html>`,
  };
}

/**
 * Why a tenant's template (settings `templates`, key `<template>/<channel>.<lang>`) cannot be
 * used, or null: it is rendered once with sample data, as a reminder would be.
 */
export function checkTemplate(key: string, text: string): string | null {
  const m = /^([a-z0-9_-]+)\/(email|sms|letter)\.([a-z]{2})$/.exec(key);
  const lang = m?.[3] as Lang;
  if (!m || !(LANGUAGES as readonly string[]).includes(lang)) return null; // never used: ignored
  if (!/^\uFEFF?Subject:/i.test(text)) return null; // not used: the shipped template goes out instead
  try {
    renderReminder({
      template: m[1]!, channel: m[2] as ReminderInput['channel'], lang, tenantLocale: lang, currency: 'VND', company: 'ACME', partner: { name: 'Khách hàng', ref: 'KH001' },
      contactName: null, level: { name: 'Level', delay: 15 }, date: '2026-01-31',
      items: [{ label: 'INV/2026/00001', dueDate: '2026-01-01', daysOverdue: 30, residual: 1_000_000n }], overrides: { [key]: text },
    });
    return null;
  } catch (err) {
    return `not a template that can be written: ${(err as Error).message.split('\n')[0]}`;
  }
}
