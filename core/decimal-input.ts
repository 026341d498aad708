import { Type } from 'typebox';

/** What every decimal input says about itself in /openapi.json. */
export const DECIMAL_INPUT_NOTE = 'a decimal string ("1250000", "12.50"), or a JSON number where it is exact: an integer, or a number '
  + 'with no more decimals than the field takes, below 2^52 in the field\'s smallest unit (2^53 without decimals). Any other JSON number '
  + '(0.30000000000000004, 1e21, 2^53 + 2, 1000.5 VND) is a 400 asking for a decimal string. Answers always carry decimal strings.';

/**
 * The request schema of a quantity, unit price, tax rate, percentage or amount: a decimal string,
 * or a JSON number. The schema only admits both forms; whether a number is exact in its unit is
 * decided where the value is read (core/money.ts `decimalText`, through parseAmount and the
 * quantity and percentage parsers), so a refusal is a 400 naming the field.
 */
export function DecimalInput(description: string) {
  return Type.Union([
    Type.String({ description: 'decimal string' }),
    Type.Number({ description: 'JSON number, where exact' }),
  ], { description: `${description} — ${DECIMAL_INPUT_NOTE}` });
}
