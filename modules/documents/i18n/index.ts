/**
 * The documents' words: one catalogue per language (vi, en, zh, ar; the same keys as en.ts), and
 * the locale each language formats amounts and dates in. Company data (names, addresses, the
 * tenant's letter templates) is printed as stored.
 */
import { messages, type Plural } from '../../../core/messages.js';
import { ar } from './ar.js';
import { en } from './en.js';
import { vi } from './vi.js';
import { zh } from './zh.js';

export const LANGUAGES = ['vi', 'en', 'zh', 'ar'] as const;
export type Lang = (typeof LANGUAGES)[number];

export type Catalogue = { [K in keyof typeof en]: (typeof en)[K] extends string ? string : Plural };
export type MessageKey = keyof Catalogue;

const CATALOGUES: Record<Lang, Catalogue> = { en, vi, zh, ar };
/** The locale of a language's numbers and dates when the partner names none more precise. */
export const DEFAULT_LOCALE: Record<Lang, string> = { vi: 'vi-VN', en: 'en-US', zh: 'zh-CN', ar: 'ar' };

/** A message in `lang` with its `{parameters}` filled in; plural forms are chosen by `n`. */
export const msg = messages<Lang, MessageKey>(CATALOGUES, 'en');

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
