/**
 * The follow-up module's words in the company's languages: one catalogue per language
 * (`en.ts`, `vi.ts`, `zh.ts`, `ar.ts`, the same keys), used for the names seeded on enable (in the
 * tenant's language) and for the reasons of a partner's status (in the language asked for with
 * `Accept-Language`, else the tenant's). Machine-readable fields (status codes, level ids) never
 * change with the language; level names are the company's data and are shown as stored.
 */
import { messages, type Plural } from '../../../core/messages.js';
import { ar } from './ar.js';
import { en } from './en.js';
import { vi } from './vi.js';
import { zh } from './zh.js';

export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** A language's messages: every key of the English catalogue, a string or plural forms. */
export type Catalogue = { [K in keyof typeof en]: (typeof en)[K] extends string ? string : Plural };
export type MessageKey = keyof Catalogue;

const CATALOGUES: Record<Lang, Catalogue> = { en, vi, zh, ar };

/** A message in `lang` with its `{parameters}` filled in; plural forms are chosen by `n`. */
export const msg = messages<Lang, MessageKey>(CATALOGUES, 'en');

/** The messages of one language, as a function. */
export function translator(lang: Lang): (key: MessageKey, params?: Record<string, string | number>) => string {
  return (key, params) => msg(lang, key, params);
}

/** The catalogue language of a locale or language tag ('vi-VN', 'zh_CN', 'ar'), null when there is none. */
export function languageOf(locale: string | null | undefined): Lang | null {
  if (!locale) return null;
  const base = locale.trim().replace(/_/g, '-').split('-')[0].toLowerCase();
  return (LANGUAGES as readonly string[]).includes(base) ? base as Lang : null;
}

/** The tenant's language (its locale's), English when the catalogues do not have it. */
export function tenantLanguage(locale: string | null | undefined): Lang {
  return languageOf(locale) ?? 'en';
}

/**
 * The language to answer in: the first of the `Accept-Language` header's languages (by q value)
 * that a catalogue has, else the tenant's locale's, else English.
 */
export function pickLanguage(acceptLanguage: string | string[] | undefined, tenantLocale: string | null | undefined): Lang {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage ?? '';
  const ranges = header.split(',').map((part, i) => {
    const [tag, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)).find(Boolean);
    return { tag: tag.trim(), q: q ? Number(q[1]) : 1, i };
  }).filter((r) => r.tag && r.q > 0 && Number.isFinite(r.q)).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.tag === '*') break;
    const lang = languageOf(r.tag);
    if (lang) return lang;
  }
  return tenantLanguage(tenantLocale);
}

const SEEDED_LEVELS = ['level.before_due', 'level.due', 'level.overdue_15', 'level.final_60'] as const;

/** A seeded level's name in every language, when `name` is one of them (in any language); else []. */
export function seededLevelNames(name: string): string[] {
  const wanted = name.trim().toLowerCase();
  for (const key of SEEDED_LEVELS) {
    const names = LANGUAGES.map((l) => msg(l, key));
    if (names.some((n) => n.toLowerCase() === wanted)) return names;
  }
  return [];
}
