/**
 * The documents' words: one catalogue per language (vi, en, zh, ar; the same keys as en.ts), and
 * the locale each language formats amounts and dates in. Company data (names, addresses, the
 * tenant's letter templates) is printed as stored.
 */
import { ar } from './ar.js';
import { en } from './en.js';
import { vi } from './vi.js';
import { zh } from './zh.js';

export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
export type Lang = (typeof LANGUAGES)[number];

type Plural = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
export type Catalogue = { [K in keyof typeof en]: (typeof en)[K] extends string ? string : Plural };
export type MessageKey = keyof Catalogue;

const CATALOGUES: Record<Lang, Catalogue> = { en, vi, zh, ar };
/** The locale of a language's numbers and dates when the partner names none more precise. */
export const DEFAULT_LOCALE: Record<Lang, string> = { vi: 'vi-VN', en: 'en-US', zh: 'zh-CN', ar: 'ar' };
const plurals = new Map<Lang, Intl.PluralRules>();

/** A message in `lang` with its `{parameters}` filled in; plural forms are chosen by `n`. */
export function msg(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const entry = CATALOGUES[lang][key];
  let template: string;
  if (typeof entry === 'string') template = entry;
  else {
    let rules = plurals.get(lang);
    if (!rules) plurals.set(lang, (rules = new Intl.PluralRules(lang)));
    template = entry[rules.select(Number(params.n ?? 0))] ?? entry.other;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
}

/** Whether a language tag names one of the document languages ('vi', 'vi-VN', 'ar_SA' …). */
export function isDocumentLanguage(tag: string): boolean {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.replace(/_/g, '-'));
    return (LANGUAGES as readonly string[]).includes(canonical?.split('-')[0] ?? '');
  } catch {
    return false;
  }
}

/** The document language of a partner's language tag ('vi', 'vi_VN', 'zh-Hans', 'ar-SA' …), else the fallback's. */
export function languageOf(tag: string | null | undefined, fallback: string): { lang: Lang; locale: string } {
  for (const candidate of [tag, fallback]) {
    if (!candidate) continue;
    try {
      const [canonical] = Intl.getCanonicalLocales(candidate.replace(/_/g, '-'));
      const base = canonical?.split('-')[0] as Lang | undefined;
      if (base && (LANGUAGES as readonly string[]).includes(base)) return { lang: base, locale: canonical.includes('-') ? canonical : DEFAULT_LOCALE[base] };
    } catch { /* not a language tag */ }
  }
  return { lang: 'vi', locale: 'vi-VN' };
}
