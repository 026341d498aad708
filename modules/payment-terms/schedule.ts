/**
 * What a payment term means, without a database: checking a definition, and turning a term, an
 * invoice date and a total into instalments (due date + amount) and an early-payment discount.
 * Exact: amounts are bigint minor units, percentages are integers scaled by 10^6, dates are
 * 'YYYY-MM-DD' strings. The rules and their sources are in README.md.
 */
import { addDays, compareDates, dayOfMonthAfter, endOfMonth } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import { currencyExponent, decimalText, divideRounded, formatAmount, MoneyError, parseAmount, type DecimalValue } from '../../core/money.js';
import type { DelayType, LineValue } from './tables.js';

export const LINE_VALUES: readonly LineValue[] = ['percent', 'fixed', 'balance'];
export const DELAY_TYPES: readonly DelayType[] = ['days_after', 'days_after_end_of_month', 'days_after_end_of_next_month', 'days_end_of_month_on_the'];

/** Percentages keep up to 6 decimals (Odoo's "Payment Terms" precision). */
const PERCENT_DECIMALS = 6;
const PERCENT_SCALE = 10n ** BigInt(PERCENT_DECIMALS);
const HUNDRED_PERCENT = 100n * PERCENT_SCALE;
/** Ten years: anything longer is a typing mistake, not a payment term. */
export const MAX_DAYS = 3650;
/** Counting back from a month's end stays inside that month whatever its length (28 days or more). */
export const MAX_DAYS_BACK = 27;

export interface TermLine { value: LineValue; amount: string | null; delayType: DelayType; days: number; dayOfMonth: number | null }
export interface EarlyDiscount { percent: string; days: number }
export interface TermDefinition { lines: TermLine[]; earlyDiscount: EarlyDiscount | null }

/** A definition as a client sends it (validated by checkDefinition); decimals as strings or exact JSON numbers. */
export interface TermLineInput { value: string; amount?: DecimalValue; delayType: string; days: number; dayOfMonth?: number }
export interface TermDefinitionInput { lines: TermLineInput[]; earlyDiscount?: { percent: DecimalValue; days: number } }

export interface Installment { dueDate: string; amount: bigint }
export interface Schedule { installments: Installment[]; discount: { until: string; amount: bigint } | null }

/** A term that cannot be applied to this date, total or currency; `line` is the index of the culprit. */
export class ScheduleError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/**
 * "12.50" → 12_500_000n (6 decimals). Refuses signs, exponents and more than 6 decimals. A JSON
 * number is taken where it is exact with 6 decimals (decimalText) and read as its decimal string.
 */
export function parsePercent(input: DecimalValue, field: string): bigint {
  let value: string;
  try {
    value = decimalText(input, PERCENT_DECIMALS, field, 'a percentage');
  } catch (e) {
    throw e instanceof MoneyError ? badRequest(e.message, field) : e;
  }
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) throw badRequest(`${field} '${value}' is not a percentage (digits with an optional '.', e.g. "30" or "12.5")`, field);
  if (m[1] && /[1-9]/.test(value)) throw badRequest(`${field} must be more than zero (it is ${value})`, field);
  const decimals = m[3] ?? '';
  if (decimals.length > PERCENT_DECIMALS) throw badRequest(`${field} '${value}' has more than ${PERCENT_DECIMALS} decimals`, field);
  return BigInt(m[2] + decimals.padEnd(PERCENT_DECIMALS, '0'));
}

export function percentToString(scaled: bigint): string {
  const digits = scaled.toString().padStart(PERCENT_DECIMALS + 1, '0');
  const decimals = digits.slice(-PERCENT_DECIMALS).replace(/0+$/, '');
  return digits.slice(0, -PERCENT_DECIMALS) + (decimals ? `.${decimals}` : '');
}

/** A decimal string without insignificant zeros ("0100.50" → "100.5"), so it reads the same in any currency. */
function canonicalDecimal(value: string): string {
  const [whole, decimals = ''] = value.split('.');
  const frac = decimals.replace(/0+$/, '');
  return (whole.replace(/^0+(?=\d)/, '')) + (frac ? `.${frac}` : '');
}

function money(value: DecimalValue, currency: string, field: string): bigint {
  try {
    return parseAmount(value, currency, { field });
  } catch (e) {
    if (e instanceof MoneyError) throw badRequest(e.message, field);
    throw e;
  }
}

/**
 * Checks a definition and returns it in canonical form. Every refusal is a 400 problem naming the
 * line and field (`lines[1].value`). `currency` is the company's: fixed amounts must fit it.
 */
export function checkDefinition(input: TermDefinitionInput, currency: string): TermDefinition {
  if (input.lines.length === 0) throw badRequest('a term needs at least one line: the balance line', 'lines');
  let percentTotal = 0n;
  let balanceAt = -1;
  const lines = input.lines.map((line, i): TermLine => {
    const at = `lines[${i}]`;
    if (!(LINE_VALUES as readonly string[]).includes(line.value)) throw badRequest(`${at}.value '${line.value}' is not one of ${LINE_VALUES.join(', ')}`, `${at}.value`);
    if (!(DELAY_TYPES as readonly string[]).includes(line.delayType)) throw badRequest(`${at}.delayType '${line.delayType}' is not one of ${DELAY_TYPES.join(', ')}`, `${at}.delayType`);
    const value = line.value as LineValue;
    const delayType = line.delayType as DelayType;
    let amount: string | null = null;
    if (value === 'balance') {
      if (balanceAt >= 0) throw badRequest(`${at} is a second balance line; a term has exactly one (lines[${balanceAt}])`, `${at}.value`);
      balanceAt = i;
      if (line.amount !== undefined) throw badRequest(`${at}.amount must be left out: the balance line takes whatever the other lines leave`, `${at}.amount`);
    } else if (line.amount === undefined) {
      throw badRequest(`${at}.amount is required for a ${value} line`, `${at}.amount`);
    } else if (value === 'percent') {
      const percent = parsePercent(line.amount, `${at}.amount`);
      if (percent === 0n) throw badRequest(`${at}.amount must be more than zero`, `${at}.amount`);
      percentTotal += percent;
      if (percentTotal > HUNDRED_PERCENT) throw badRequest(`the percent lines add up to ${percentToString(percentTotal)}% at ${at}, more than 100%`, `${at}.amount`);
      amount = percentToString(percent);
    } else {
      amount = canonicalDecimal(formatAmount(money(line.amount, currency, `${at}.amount`), currency));
    }

    const backwards = delayType === 'days_after_end_of_month' || delayType === 'days_after_end_of_next_month';
    if (!Number.isInteger(line.days)) throw badRequest(`${at}.days must be a whole number of days`, `${at}.days`);
    if (line.days > MAX_DAYS) throw badRequest(`${at}.days must be at most ${MAX_DAYS}`, `${at}.days`);
    if (line.days < 0 && !backwards) throw badRequest(`${at}.days must not be negative for ${delayType}; only the end-of-month delays count back from the month's end`, `${at}.days`);
    if (line.days < -MAX_DAYS_BACK) throw badRequest(`${at}.days counts back at most ${MAX_DAYS_BACK} days from the month's end (so the date stays in that month)`, `${at}.days`);

    let dayOfMonth: number | null = null;
    if (delayType === 'days_end_of_month_on_the') {
      if (line.dayOfMonth === undefined) throw badRequest(`${at}.dayOfMonth is required for days_end_of_month_on_the (1–31, or 0 for the end of the month itself)`, `${at}.dayOfMonth`);
      if (!Number.isInteger(line.dayOfMonth) || line.dayOfMonth < 0 || line.dayOfMonth > 31) throw badRequest(`${at}.dayOfMonth must be a day from 1 to 31 (or 0 for the end of the month itself)`, `${at}.dayOfMonth`);
      dayOfMonth = line.dayOfMonth;
    } else if (line.dayOfMonth !== undefined) {
      throw badRequest(`${at}.dayOfMonth only applies to days_end_of_month_on_the`, `${at}.dayOfMonth`);
    }
    return { value, amount, delayType, days: line.days, dayOfMonth };
  });
  if (balanceAt < 0) throw badRequest('a term needs one balance line, last: it takes what the other lines leave, rounding included', 'lines');
  if (balanceAt !== lines.length - 1) throw badRequest(`the balance line must be the last line (it is lines[${balanceAt}] of ${lines.length})`, `lines[${balanceAt}].value`);

  let earlyDiscount: EarlyDiscount | null = null;
  if (input.earlyDiscount) {
    const { percent, days } = input.earlyDiscount;
    if (lines.length > 1) throw badRequest('an early-payment discount needs a term with a single line (as in Odoo): with instalments it is unclear what paying early means', 'earlyDiscount');
    const scaled = parsePercent(percent, 'earlyDiscount.percent');
    if (scaled === 0n || scaled >= HUNDRED_PERCENT) throw badRequest('earlyDiscount.percent must be more than 0 and less than 100', 'earlyDiscount.percent');
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw badRequest(`earlyDiscount.days must be from 1 to ${MAX_DAYS}`, 'earlyDiscount.days');
    earlyDiscount = { percent: percentToString(scaled), days };
  }
  return { lines, earlyDiscount };
}

/**
 * The due date of one line for an invoice dated `date`. Never before the invoice date (a date
 * counted back from a month's end that falls earlier is due on the invoice date, as ERPNext does).
 */
export function dueDate(line: Pick<TermLine, 'delayType' | 'days' | 'dayOfMonth'>, date: string): string {
  let due: string;
  switch (line.delayType) {
    case 'days_after':
      due = addDays(date, line.days);
      break;
    case 'days_after_end_of_month':
      due = addDays(endOfMonth(date), line.days);
      break;
    case 'days_after_end_of_next_month':
      due = addDays(endOfMonth(dayOfMonthAfter(date, 1, 1)), line.days);
      break;
    case 'days_end_of_month_on_the': {
      const reached = addDays(date, line.days);
      due = line.dayOfMonth ? dayOfMonthAfter(reached, 1, line.dayOfMonth) : endOfMonth(reached);
      break;
    }
  }
  return compareDates(due, date) < 0 ? date : due;
}

/**
 * Splits `total` (minor units of `currency`) by the term. Fixed lines are taken as they are,
 * percent lines are a percentage of the total rounded half-up to the currency's minor unit, and the
 * balance line takes the rest, so the instalments always sum exactly to the total. Instalments are
 * in due-date order; those falling on the same day are merged into one and empty ones are dropped
 * (as Odoo does).
 */
export function computeSchedule(term: TermDefinition, date: string, total: bigint, currency: string): Schedule {
  if (total <= 0n) throw new RangeError('a schedule needs a total above zero');
  // What the lines take, exactly, in 1/(100·10^6) of a minor unit: more than the total is an error,
  // not a rounding matter.
  const whole = total * HUNDRED_PERCENT;
  let exact = 0n;
  const fixed = new Map<number, bigint>();
  term.lines.forEach((line, i) => {
    if (line.value === 'balance') return;
    if (line.value === 'fixed') {
      let minor: bigint;
      try {
        minor = parseAmount(line.amount!, currency, { field: `lines[${i}].amount` });
      } catch {
        throw new ScheduleError(`lines[${i}] is a fixed amount of ${line.amount}, which ${currency} cannot hold (${currencyExponent(currency)} decimals)`, i);
      }
      fixed.set(i, minor);
      exact += minor * HUNDRED_PERCENT;
    } else {
      exact += total * parsePercent(line.amount!, `lines[${i}].amount`);
    }
    if (exact > whole) {
      const what = line.value === 'fixed' ? `a fixed ${line.amount}` : `${line.amount}%`;
      throw new ScheduleError(`lines[${i}] (${what}) brings the instalments above the total of ${formatAmount(total, currency)} ${currency}`, i);
    }
  });

  // Fixed amounts are exact, so they come off first; a percent line rounded up on a tiny total
  // never takes more than what is left (the balance is never negative).
  let left = total - [...fixed.values()].reduce((a, b) => a + b, 0n);
  const amounts = term.lines.map((line, i) => {
    if (line.value !== 'percent') return fixed.get(i) ?? 0n;
    let amount = divideRounded(total * parsePercent(line.amount!, `lines[${i}].amount`), HUNDRED_PERCENT);
    if (amount > left) amount = left;
    left -= amount;
    return amount;
  });
  amounts[amounts.length - 1] = left; // the balance line, last (checkDefinition)

  const byDate = term.lines
    .map((line, i) => ({ dueDate: dueDate(line, date), amount: amounts[i], position: i }))
    .sort((a, b) => compareDates(a.dueDate, b.dueDate) || a.position - b.position);
  const installments: Installment[] = [];
  for (const part of byDate) {
    if (part.amount === 0n) continue;
    const last = installments.at(-1);
    if (last && last.dueDate === part.dueDate) last.amount += part.amount;
    else installments.push({ dueDate: part.dueDate, amount: part.amount });
  }

  let discount: Schedule['discount'] = null;
  if (term.earlyDiscount) {
    let amount = divideRounded(total * parsePercent(term.earlyDiscount.percent, 'earlyDiscount.percent'), HUNDRED_PERCENT);
    if (amount >= total) amount = total - 1n; // rounding up on a tiny total never gives the whole invoice away
    if (amount > 0n) discount = { until: addDays(date, term.earlyDiscount.days), amount };
  }
  return { installments, discount };
}
