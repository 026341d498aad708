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

/** An invoice line as a request sends it: decimals as strings or exact JSON numbers. */
export interface LineInput { description: string; quantity: DecimalValue; unitPrice: DecimalValue; taxRate?: DecimalValue }

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
 * half-up to the currency's minor unit per line (as Vietnamese e-invoices print them).
 */
export function computeLine(line: LineInput, currency: string, index: number): ComputedLine {
  const at = `lines[${index}]`;
  if (!line.description.trim()) throw new MoneyError(`${at}.description must not be blank`, `${at}.description`);
  const quantity = parseScaled(line.quantity, 6, `${at}.quantity`, 'quantity');
  if (quantity === 0n) throw new MoneyError(`${at}.quantity must be more than zero`, `${at}.quantity`);
  const unitPrice = parseAmount(line.unitPrice, currency, { field: `${at}.unitPrice`, allowZero: true });
  const rate = parseScaled(line.taxRate ?? '0', 4, `${at}.taxRate`, 'percentage');
  if (rate > 100n * RATE_SCALE) throw new MoneyError(`${at}.taxRate must be at most 100`, `${at}.taxRate`);
  const subtotal = divideRounded(quantity * unitPrice, QTY_SCALE);
  const tax = divideRounded(subtotal * rate, 100n * RATE_SCALE);
  return { description: line.description, quantity: scaledToString(quantity, 6), unitPrice, taxRate: scaledToString(rate, 4), subtotal, tax };
}
