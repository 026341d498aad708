/**
 * Message catalogues, one per language with the same keys (a module's `i18n/`): a message is a
 * string with `{parameters}`, or plural forms chosen by the parameter `n` (Intl.PluralRules).
 */
export type Plural = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
export type Message = string | Plural;

/** `msg(lang, key, params)` over a module's catalogues; a key missing in a language falls back to `fallback`'s. */
export function messages<L extends string, K extends string>(catalogues: Record<L, Record<K, Message>>, fallback: L) {
  const plurals = new Map<L, Intl.PluralRules>();
  return function msg(lang: L, key: K, params: Record<string, string | number> = {}): string {
    const entry = catalogues[lang][key] ?? catalogues[fallback][key];
    if (entry === undefined) return key;
    let template: string;
    if (typeof entry === 'string') template = entry;
    else {
      let rules = plurals.get(lang);
      if (!rules) plurals.set(lang, (rules = new Intl.PluralRules(lang)));
      template = entry[rules.select(Number(params.n ?? 0))] ?? entry.other;
    }
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (params[name] === undefined ? whole : String(params[name])));
  };
}
