/**
 * Money is an integer count of minor units (bigint) inside congno and a decimal string in major
 * units in JSON ("1234567" VND, "12.50" USD, "1.250" KWD). No floating point anywhere.
 */
import { numberFormat } from './intl.js';

/** ISO 4217 minor-unit exponents that differ from 2. */
const EXPONENT_EXCEPTIONS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export class MoneyError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN_CURRENCIES.has(code);
}

export function currencyExponent(currency: string): number {
  if (!isCurrency(currency)) throw new MoneyError(`'${currency}' is not an ISO 4217 currency code`);
  return EXPONENT_EXCEPTIONS[currency] ?? 2;
}

/** A decimal as a request may carry it: a decimal string, or a JSON number where that is exact. */
export type DecimalValue = string | number;

/**
 * Below this, in the field's smallest unit, a JSON number is read exactly: no two decimals with at
 * most `places` decimals land on the same binary double, and `String(n)` gives back the one sent.
 * With no decimals that holds up to 2^53 (the safe integers); with decimals only up to 2^52
 * (above it, 90071992547409.01 and .02 USD — still below 2^53 cents — are one double).
 */
function exactLimit(places: number): bigint {
  return places === 0 ? 2n ** 53n : 2n ** 52n;
}

/**
 * The decimal text of a request value with at most `places` decimals: a string as sent (its parser
 * checks it), a JSON number as `String(n)` when the number is exact in its unit — no exponent, no
 * more decimals than `places`, and small enough that a binary double tells every such decimal
 * apart (see exactLimit). Anything else is a MoneyError naming the field and asking for a decimal
 * string. `unit` says what the places belong to ("VND", "a quantity"). No arithmetic is done on
 * the number: it is checked as text and then read by the string parser like any other.
 */
export function decimalText(value: unknown, places: number, field: string, unit: string): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'number') {
    throw new MoneyError(`${field} must be a decimal string such as "1234.50" (or a JSON number where exact), not ${value === null ? 'null' : `a ${typeof value}`}`, field);
  }
  const text = String(value);
  const m = /^-?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new MoneyError(`${field} ${text} is not exact as a JSON number (it is written with an exponent, or is not finite); send it as a decimal string`, field);
  const [, whole, decimals = ''] = m;
  if (decimals.length > places) {
    throw new MoneyError(`${field} ${text} is not exact as a JSON number: ${unit} takes at most ${places} decimals; send it as a decimal string`, field);
  }
  if (BigInt(whole + decimals.padEnd(places, '0')) >= exactLimit(places)) {
    throw new MoneyError(`${field} ${text} is too large to be exact as a JSON number in ${unit}; send it as a decimal string`, field);
  }
  return text;
}

/** An amount from a request as decimal text in major units (a JSON number made text where exact), to keep as given. */
export function amountText(value: unknown, currency: string, field = 'amount'): string {
  return decimalText(value, currencyExponent(currency), field, currency);
}

export interface ParseAmountOptions {
  /** Name of the field in the request, used in the error. */
  field?: string;
  allowNegative?: boolean;
  allowZero?: boolean;
}

/**
 * Parses a decimal string in major units into minor units, exactly. Refuses exponents,
 * thousands separators, more decimals than the currency has, and (unless allowed) zero and
 * negative amounts — each with a message that names the field. A JSON number is taken where it
 * is exact in the currency (decimalText) and then read as its decimal string.
 */
export function parseAmount(value: unknown, currency: string, options: ParseAmountOptions = {}): bigint {
  const field = options.field ?? 'amount';
  const exponent = currencyExponent(currency);
  const text = decimalText(value, exponent, field, currency);
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new MoneyError(`${field} '${text}' is not a decimal amount (digits, an optional '.' and decimals; no exponent, no separators)`, field);
  const [, sign, whole, decimals = ''] = m;
  if (decimals.length > exponent) {
    throw new MoneyError(`${field} '${text}' has ${decimals.length} decimals; ${currency} has ${exponent}`, field);
  }
  const minor = BigInt(whole + decimals.padEnd(exponent, '0')) * (sign ? -1n : 1n);
  if (minor < 0n && !options.allowNegative) throw new MoneyError(`${field} must not be negative`, field);
  if (minor === 0n && !options.allowZero) throw new MoneyError(`${field} must not be zero`, field);
  return minor;
}

/** Minor units → decimal string in major units with exactly the currency's decimals. */
export function formatAmount(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const frac = exponent === 0 ? '' : '.' + digits.slice(-exponent);
  return (negative ? '-' : '') + whole + frac;
}

/** For people: `Intl` in the partner's locale, e.g. vi-VN → "1.234.567 ₫". */
export function formatMoneyForLocale(minor: bigint, currency: string, locale: string): string {
  const exponent = currencyExponent(currency);
  return numberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent })
    .format(formatAmount(minor, currency) as unknown as number); // a decimal string is formatted exactly
}

export type RoundingMode = 'half-up' | 'half-even';

/** numerator / denominator rounded to an integer by the given rule (ties away from zero or to even). */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode = 'half-up'): bigint {
  if (denominator === 0n) throw new MoneyError('division by zero');
  if (denominator < 0n) { numerator = -numerator; denominator = -denominator; }
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let q = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (mode === 'half-up' || q % 2n === 1n))) q += 1n;
  return negative ? -q : q;
}

/**
 * Splits `total` in proportion to `weights`; each part is rounded half-up and the last part takes
 * the remainder, so the parts always sum to the whole.
 */
export function splitByWeights(total: bigint, weights: bigint[]): bigint[] {
  if (weights.length === 0) throw new MoneyError('nothing to split into');
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum <= 0n || weights.some((w) => w < 0n)) throw new MoneyError('split weights must be non-negative with a positive sum');
  const parts = weights.slice(0, -1).map((w) => divideRounded(total * w, sum));
  parts.push(total - parts.reduce((a, b) => a + b, 0n));
  return parts;
}
