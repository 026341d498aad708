import { MoneyError, decimalText, divideRounded, parseAmount, type DecimalValue } from '../../core/money.js';

const QTY_SCALE = 1_000_000n; // quantities keep 6 decimals
const RATE_SCALE = 10_000n; // tax rates keep 4 decimals (percent)

/**
 * "1.5" → 1_500_000n (6 decimals), refusing more decimals, signs and exponents. A JSON number is
 * taken where it is exact with those decimals (decimalText) and read as its decimal string.
 */
export function parseScaled(value: DecimalValue, decimals: number, field: string, what: string): bigint {
  const text = decimalText(value, decimals, field, `a ${what}`);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new MoneyError(`${field} '${text}' is not a ${what} (digits with an optional '.')`, field);
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new MoneyError(`${field} '${text}' has more than ${decimals} decimals`, field);
  return BigInt(m[1] + frac.padEnd(decimals, '0'));
}

export function scaledToString(value: bigint, decimals: number): string {
  const s = value.toString().padStart(decimals + 1, '0');
  const whole = s.slice(0, -decimals);
  const frac = s.slice(-decimals).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

/**
 * An invoice line as a request sends it: decimals as strings or exact JSON numbers. `tax`: the
 * line's VAT as the document states it, when the document rounds VAT per rate rather than per line.
 */
export interface LineInput { description: string; quantity: DecimalValue; unitPrice: DecimalValue; taxRate?: DecimalValue; tax?: DecimalValue }

export interface ComputedLine {
  description: string;
  quantity: string;
  unitPrice: bigint;
  taxRate: string;
  subtotal: bigint;
  tax: bigint;
}

/**
 * Line amounts, exactly: subtotal = quantity × unit price and tax = subtotal × rate, each rounded
 * half away from zero to the currency's minor unit per line (as Vietnamese e-invoices print them).
 * A negative unit price is a discount line (chiết khấu thương mại written on the invoice, an
 * e-invoice's TChat 3): it lowers the revenue and the VAT of its rate (checkDiscounts). A `tax`
 * given with the line is taken when it is within one minor unit of the computed one: a document
 * that rounds VAT once per rate spreads that rounding over its lines so.
 */
export function computeLine(line: LineInput, currency: string, index: number): ComputedLine {
  const at = `lines[${index}]`;
  if (!line.description.trim()) throw new MoneyError(`${at}.description must not be blank`, `${at}.description`);
  const quantity = parseScaled(line.quantity, 6, `${at}.quantity`, 'quantity');
  if (quantity === 0n) throw new MoneyError(`${at}.quantity must be more than zero`, `${at}.quantity`);
  const unitPrice = parseAmount(line.unitPrice, currency, { field: `${at}.unitPrice`, allowZero: true, allowNegative: true });
  const rate = parseScaled(line.taxRate ?? '0', 4, `${at}.taxRate`, 'percentage');
  if (rate > 100n * RATE_SCALE) throw new MoneyError(`${at}.taxRate must be at most 100`, `${at}.taxRate`);
  const subtotal = divideRounded(quantity * unitPrice, QTY_SCALE);
  let tax = divideRounded(subtotal * rate, 100n * RATE_SCALE);
  if (line.tax !== undefined) {
    const stated = parseAmount(line.tax, currency, { field: `${at}.tax`, allowZero: true, allowNegative: true });
    const off = stated - tax;
    if (off > 1n || off < -1n) throw new MoneyError(`${at}.tax differs from the line's subtotal × its rate by more than one minor unit`, `${at}.tax`);
    tax = stated;
  }
  return { description: line.description, quantity: scaledToString(quantity, 6), unitPrice, taxRate: scaledToString(rate, 4), subtotal, tax };
}

/** The VAT rates (as written, e.g. '10') whose lines add up below zero, with their sum. */
export function ratesBelowZero(lines: Array<{ taxRate: string; subtotal: bigint }>): Array<[string, bigint]> {
  const byRate = new Map<string, bigint>();
  for (const l of lines) byRate.set(l.taxRate, (byRate.get(l.taxRate) ?? 0n) + l.subtotal);
  return [...byRate].filter(([, sum]) => sum < 0n);
}

/**
 * Discount lines lower the goods of their own VAT rate and never more: per rate, the lines add up
 * to zero or more (so no rate's VAT is negative). The finding, or null.
 */
export function checkDiscounts(lines: ComputedLine[]): MoneyError | null {
  const [below] = ratesBelowZero(lines);
  return below ? new MoneyError(`the lines at ${below[0]} % VAT add up to less than zero: a discount may not exceed the goods of its rate`, 'lines') : null;
}

/** A subtotal's exact VAT at a rate (percent, up to 4 decimals) as the fraction `num / den` that computeLine rounds. */
export function taxFraction(subtotal: bigint, taxRate: string): { num: bigint; den: bigint } {
  return { num: subtotal * parseScaled(taxRate, 4, 'taxRate', 'percentage'), den: 100n * RATE_SCALE };
}
