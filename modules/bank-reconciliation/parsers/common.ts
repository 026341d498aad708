/** Small pieces every statement parser uses: located errors, exact amounts, calendar dates. */
import { badRequest, type ProblemError } from '../../../core/errors.js';
import { MoneyError, formatAmount, isCurrency, parseAmount } from '../../../core/money.js';

/** The larger amounts a bank file may hold; more is a corrupt file (and overflows int8 columns). */
const MAX_MINOR = 10n ** 17n;

/** A 400 saying where in the file (`line 14`, `Document/BkToCstmrStmt/Stmt[2]/Ntry[3]/Amt`) and why. */
export function fail(where: string, message: string, field = 'body'): ProblemError {
  return badRequest(where ? `${where}: ${message}` : message, field);
}

/**
 * Currencies the euro replaced (ISO 4217 list of historic codes, with their minor units) that
 * statement files of old systems still carry. They are read, never booked: a company's books are
 * in a current currency, so an import of such a statement is refused on its currency.
 */
export const LEGACY_CURRENCIES: Readonly<Record<string, number>> = {
  ATS: 2, BEF: 0, CYP: 2, DEM: 2, EEK: 2, ESP: 0, FIM: 2, FRF: 2, GRD: 0, IEP: 2, ITL: 0, LTL: 2, LUF: 0, LVL: 2, MTL: 2,
  NLG: 2, PTE: 0, SIT: 2, SKK: 2,
};

/**
 * A current ISO 4217 code; a legacy one (LEGACY_CURRENCIES) only where the caller passes
 * `warnings`, which then say so.
 */
export function checkCurrency(code: string, where: string, warnings?: string[]): string {
  if (warnings && LEGACY_CURRENCIES[code] !== undefined && !isCurrency(code)) {
    warnings.push(`${where}: currency ${code} is no longer in use (the euro replaced it); amounts are read in ${code} as the file writes them`);
    return code;
  }
  if (!isCurrency(code)) throw fail(where, `currency ${quoted(code)} is not a current ISO 4217 currency code`);
  return code;
}

/** A statement amount as a decimal string, legacy currencies included. */
export function statementAmount(minor: bigint, currency: string): string {
  const exponent = LEGACY_CURRENCIES[currency];
  if (exponent === undefined || isCurrency(currency)) return formatAmount(minor, currency);
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return minor < 0n ? `-${text}` : text;
}

/**
 * Minor units from a sign, whole digits and decimal digits. Decimals beyond the currency's are
 * accepted only when they are zeros ("1000000,00" VND, as banks pad them); anything else is refused
 * with the reason, never rounded.
 */
export function minorUnits(negative: boolean, whole: string, fraction: string, currency: string, where: string, original: string): bigint {
  const trimmed = fraction.replace(/0+$/, '');
  const legacy = isCurrency(currency) ? undefined : LEGACY_CURRENCIES[currency];
  let minor: bigint;
  if (legacy !== undefined) {
    if (!/^\d*$/.test(whole + trimmed)) throw fail(where, `amount ${quoted(original)} is not a number`);
    if (trimmed.length > legacy) throw fail(where, `amount ${quoted(original)} has ${trimmed.length} decimals; ${currency} has ${legacy}`);
    minor = BigInt((whole || '0') + trimmed.padEnd(legacy, '0')) * (negative ? -1n : 1n);
  } else {
    try {
      minor = parseAmount(`${negative ? '-' : ''}${whole || '0'}${trimmed ? `.${trimmed}` : ''}`, currency, { allowNegative: true, allowZero: true, field: 'amount' });
    } catch (err) {
      if (err instanceof MoneyError) throw fail(where, `amount ${quoted(original)} ${err.message.replace(/^amount '[^']*' /, '')}`);
      throw err;
    }
  }
  if (minor >= MAX_MINOR || minor <= -MAX_MINOR) throw fail(where, `amount ${quoted(original)} is too large for a bank statement`);
  return minor;
}

/**
 * A decimal amount with the given decimal separator and no thousands separators: "1234,5",
 * "-0.07", "100,", ",50". Returns minor units.
 */
export function decimalAmount(text: string, decimal: '.' | ',', currency: string, where: string, what = 'amount'): bigint {
  const s = text.trim();
  const sep = decimal === '.' ? '\\.' : ',';
  const m = new RegExp(`^([+-]?)(\\d*)(?:${sep}(\\d*))?$`).exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw fail(where, `${what} ${quoted(text)} is not a number`);
  return minorUnits(m[1] === '-', m[2], m[3] ?? '', currency, where, text);
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in a month (1–12) of a year. */
export const daysInMonth = (year: number, month: number): number => (month === 2 && !isLeap(year) ? 28 : DAYS_IN_MONTH[month - 1]);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD' from numbers that make a calendar date (unchecked). */
export const isoOf = (year: number, month: number, day: number): string => `${pad(year, 4)}-${pad(month)}-${pad(day)}`;

/**
 * 'YYYY-MM-DD' from numbers. A date that does not exist (30 February, 31 April) is refused on
 * its line like any other bad date: moving it to another day would book the line on a day the
 * bank did not write. A format with a documented bank quirk handles it before calling this
 * (MT940: German banks' 30-day February in value dates, see mt940.ts).
 */
export function calendarDate(year: number, month: number, day: number, where: string, original: string): string {
  const shown = quoted(original);
  if (!Number.isInteger(year) || year < 1900 || year > 2999) throw fail(where, `date ${shown}: year ${year} is not plausible`);
  if (!(month >= 1 && month <= 12)) throw fail(where, `date ${shown}: there is no month ${month}`);
  if (!(day >= 1 && day <= 31)) throw fail(where, `date ${shown}: there is no day ${day}`);
  const last = daysInMonth(year, month);
  if (day > last) throw fail(where, `date ${shown} does not exist (${month === 2 ? `February ${year}` : MONTHS[month - 1]} has ${last} days)`);
  return isoOf(year, month, day);
}

/** Characters of a file's text that a message quotes; a longer text is cut ('1234…'). */
const MAX_QUOTED = 40;

/** A text from the file quoted for a message, cut short when long: a 400 never echoes a whole file. */
export function quoted(text: string, max = MAX_QUOTED): string {
  const chars = [...text.slice(0, max * 2)];
  return `'${chars.length > max ? `${chars.slice(0, max).join('')}…` : text}'`;
}

/**
 * Statement lines a file may hold (all its statements together), as sheet.ts bounds the rows of
 * a CSV/XLSX file: more is not a statement a clerk reconciles but a file to split.
 */
export const MAX_STATEMENT_LINES = 200_000;

/** Throws once `count` lines have passed MAX_STATEMENT_LINES; `where` is the line that did. */
export function checkLineCount(count: number, where: string): void {
  if (count > MAX_STATEMENT_LINES) throw fail(where, `the file has more than ${MAX_STATEMENT_LINES} statement lines; split it`);
}

/** Two-digit SWIFT/bank years: 80–99 are 19xx, 00–79 are 20xx. */
export const fullYear = (yy: number): number => (yy >= 80 ? 1900 + yy : 2000 + yy);

/** Whitespace runs (line breaks included) as one space, trimmed. */
export const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** `undefined` for a blank text, the squashed text otherwise. */
export function optional(text: string | undefined | null): string | undefined {
  if (text === undefined || text === null) return undefined;
  const s = squash(text);
  return s === '' ? undefined : s;
}

/** Control characters other than tab and line breaks (NUL, SUB …) are dropped from text fields. */
export const dropControls = (text: string): string => text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');

/** ISO 13616 check (mod 97) of an IBAN written without spaces. */
export function isIban(text: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(text)) return false;
  const moved = text.slice(4) + text.slice(0, 4);
  let rest = 0;
  for (const c of moved) {
    const v = c >= 'A' ? String(c.charCodeAt(0) - 55) : c;
    for (const d of v) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}
