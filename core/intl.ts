/**
 * Intl formatters, made once per locale and options. Building one costs ~0.3 ms (locale data is
 * resolved each time); a reminder formats a dozen dates and amounts, so per-call construction was
 * the largest single cost of rendering one. Locales come from tenants' settings: the cache is
 * bounded, and starts over when full rather than growing with whatever is configured.
 */
const MAX = 256;
const numbers = new Map<string, Intl.NumberFormat>();
const dates = new Map<string, Intl.DateTimeFormat>();

function cached<F>(cache: Map<string, F>, locale: string, options: object, make: () => F): F {
  const key = `${locale}\u0000${JSON.stringify(options)}`;
  let found = cache.get(key);
  if (!found) {
    found = make();
    if (cache.size >= MAX) cache.clear();
    cache.set(key, found);
  }
  return found;
}

export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached(numbers, locale, options, () => new Intl.NumberFormat(locale, options));
}

export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(dates, locale, options, () => new Intl.DateTimeFormat(locale, options));
}
