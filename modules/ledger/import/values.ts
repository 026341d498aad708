import { isIsoDate } from '../../../core/dates.js';
import { MoneyError, currencyExponent, parseAmount } from '../../../core/money.js';

/** A cell as read from the file: its text, and the number when the spreadsheet stored one. */
export interface Cell { text: string; number?: number }

/**
 * Folds a header or a keyword for matching: lower case, Vietnamese diacritics removed (đ → d),
 * anything but letters and digits a single space. "Mã số thuế" → "ma so thue", "E-mail" → "e mail".
 */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ').trim();
}

/**
 * An amount from a cell, in minor units of `currency`. Accepted:
 * - a spreadsheet number cell (its exact shortest decimal form; anything with float noise is refused);
 * - "1234567", "1234567.50", "-1234" (the API's form);
 * - thousands separators, Vietnamese "1.234.567" / "1.234.567,50", English "1,234,567.50", or spaces
 *   "1 234 567"; when both '.' and ',' appear the last one is the decimal separator;
 * - a single '.' or ',' followed by exactly three digits ("1.234") is a thousands separator for a
 *   currency without decimals (VND: 1234) and refused as ambiguous otherwise;
 * - a negative sign or accounting parentheses "(1.234)"; a currency sign ₫/đ/VND/the tenant's code
 *   before or after; "-" alone is zero.
 * Everything else is refused with the reason, never guessed.
 */
export function parseCellAmount(cell: Cell, currency: string, options: { allowNegative?: boolean } = {}): bigint {
  const exponent = currencyExponent(currency);
  let s = cell.text.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
  const original = s;
  let negative = false;
  let canonical: string;
  if (cell.number !== undefined) {
    if (Number.isInteger(cell.number) && !Number.isSafeInteger(cell.number)) throw new MoneyError(`${original} is too large to be exact as a spreadsheet number; format the column as text`);
    canonical = String(Math.abs(cell.number));
    negative = cell.number < 0;
    if (!/^\d+(\.\d+)?$/.test(canonical)) throw new MoneyError(`${original} is not an exact amount (a spreadsheet number with rounding noise or an exponent); round it or format the column as text`);
  } else {
    if (s === '-' || s === '–') return 0n;
    const paren = /^\((.*)\)$/.exec(s);
    if (paren) { negative = true; s = paren[1].trim(); }
    const codes = [currency, 'VND', 'VNĐ', '₫', 'đ', 'd'].filter((v, i, a) => a.indexOf(v) === i).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    s = s.replace(new RegExp(`^(?:${codes.join('|')})\\s*|\\s*(?:${codes.join('|')})$`, 'gi'), '').trim();
    if (s.startsWith('-')) {
      if (negative) throw new MoneyError(`'${original}' has both a minus sign and parentheses`);
      negative = true;
      s = s.slice(1).trim();
    }
    if (!/^[\d., ]+$/.test(s) || !/\d/.test(s)) throw new MoneyError(`'${original}' is not an amount (digits with an optional decimal part, e.g. 1234567 or 1.234.567)`);
    canonical = canonicalNumber(s, exponent, original);
  }
  const decimals = canonical.split('.')[1] ?? '';
  if (decimals.length > exponent) {
    throw new MoneyError(exponent === 0
      ? `'${original}' has decimals; ${currency} amounts are whole numbers (for thousands separators write 1.234.567)`
      : `'${original}' has ${decimals.length} decimals; ${currency} has ${exponent}`);
  }
  if (negative && !(options.allowNegative ?? false)) throw new MoneyError(`'${original}' is negative`);
  return parseAmount((negative ? '-' : '') + canonical, currency, { allowNegative: true, allowZero: true });
}

/**
 * A non-negative decimal from a cell (a quantity, a tax rate) with at most `places` decimals, as
 * its canonical decimal string: "2,5" and "2.5" → "2.5", "10%" → "10"; separators as amounts read.
 */
export function parseCellDecimal(cell: Cell, places: number, what: string): string {
  const original = cell.text.trim();
  let canonical: string;
  if (cell.number !== undefined) {
    canonical = String(cell.number);
    if (!/^\d+(\.\d+)?$/.test(canonical)) throw new MoneyError(`${original} is not an exact ${what} (negative, rounding noise or an exponent)`);
  } else {
    const s = original.replace(/\s*%$/, '');
    if (!/^[\d., ]+$/.test(s) || !/\d/.test(s)) throw new MoneyError(`'${original}' is not a ${what} (digits with an optional decimal part, e.g. 2.5 or 2,5)`);
    canonical = canonicalNumber(s, places, original);
  }
  if ((canonical.split('.')[1] ?? '').length > places) throw new MoneyError(`'${original}' has more than ${places} decimals`);
  return canonical;
}

/** "1.234.567,5" → "1234567.5"; see parseCellAmount for the rules. */
function canonicalNumber(s: string, exponent: number, original: string): string {
  const groups = (intPart: string, sep: string): string => {
    const parts = intPart.split(sep);
    if (!/^\d{1,3}$/.test(parts[0]) || parts.slice(1).some((p) => !/^\d{3}$/.test(p))) {
      throw new MoneyError(`'${original}' has thousands separators in the wrong places`);
    }
    return parts.join('');
  };
  if (s.includes(' ')) {
    // Spaces group thousands; a '.' or ',' after the last group is the decimal separator.
    const m = /^([\d ]+)(?:[.,](\d+))?$/.exec(s);
    if (!m) throw new MoneyError(`'${original}' is not an amount`);
    return groups(m[1], ' ') + (m[2] !== undefined ? `.${m[2]}` : '');
  }
  const dots = s.split('.').length - 1;
  const commas = s.split(',').length - 1;
  if (dots === 0 && commas === 0) return s;
  if (dots > 0 && commas > 0) {
    const decimal = s.lastIndexOf('.') > s.lastIndexOf(',') ? '.' : ',';
    const group = decimal === '.' ? ',' : '.';
    const at = s.lastIndexOf(decimal);
    if (s.slice(0, at).includes(decimal)) throw new MoneyError(`'${original}' has more than one decimal separator`);
    return `${groups(s.slice(0, at), group)}.${s.slice(at + 1)}`;
  }
  const sep = dots > 0 ? '.' : ',';
  if (dots + commas > 1) return groups(s, sep);
  const [whole, frac] = s.split(sep);
  if (frac.length === 3 && whole.length >= 1 && whole.length <= 3 && whole !== '0') {
    if (exponent === 0) return whole + frac;
    throw new MoneyError(`'${original}' is ambiguous: write ${whole}${frac} for thousands or use the decimal point without thousands separators`);
  }
  if (whole === '') throw new MoneyError(`'${original}' is not an amount`);
  return `${whole}.${frac}`;
}

/**
 * A date from a cell: "2026-12-31" (also with a time after it), or day first as Vietnamese write
 * it, "31/12/2026", "31-12-2026", "31.12.2026" (never month first). Two-digit years are refused.
 */
export function parseCellDate(text: string): string {
  const s = text.trim();
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  let iso: string | null = null;
  if (m) iso = `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$/.exec(s);
  if (m) {
    if (Number(m[2]) > 12) throw new RangeError(`'${s}' is not a date: dates are read day first (DD/MM/YYYY) and there is no month ${m[2]}`);
    iso = `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  }
  if (!iso) throw new RangeError(`'${s}' is not a date (YYYY-MM-DD or DD/MM/YYYY)`);
  if (!isIsoDate(iso)) throw new RangeError(`'${s}' is not a calendar date`);
  return iso;
}
