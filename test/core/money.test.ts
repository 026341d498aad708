import t from 'tap';
import fc from 'fast-check';
import {
  MoneyError, currencyExponent, divideRounded, formatAmount, formatMoneyForLocale, isCurrency, parseAmount, splitByWeights,
} from '../../core/money.js';

// Property runs are reproducible: a fixed seed unless FC_SEED asks for another.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20260401), numRuns: 500 });

/** Runs a fast-check property as one tap assertion; a counterexample fails it with the shrunk case. */
function property(t: { pass(msg: string): unknown; fail(msg: string): unknown }, name: string, prop: fc.IProperty<any>): void {
  try {
    fc.assert(prop);
    t.pass(name);
  } catch (err) {
    t.fail(`${name}\n${(err as Error).message}`);
  }
}

function refusal(fn: () => unknown): MoneyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MoneyError) return err;
    throw err;
  }
  throw new Error('expected a MoneyError, nothing was thrown');
}

t.test('currencies and their exponents', async (t) => {
  t.equal(currencyExponent('VND'), 0);
  t.equal(currencyExponent('USD'), 2);
  t.equal(currencyExponent('KWD'), 3);
  t.equal(currencyExponent('JPY'), 0);
  t.ok(isCurrency('EUR'));
  t.notOk(isCurrency('vnd'), 'lower case is not a code');
  t.notOk(isCurrency('ABC'), 'unknown code');
  t.match(refusal(() => currencyExponent('XXXX')).message, /'XXXX' is not an ISO 4217 currency code/);
});

t.test('parseAmount reads major units into exact minor units', async (t) => {
  t.equal(parseAmount('1234567', 'VND'), 1234567n);
  t.equal(parseAmount('12.50', 'USD'), 1250n);
  t.equal(parseAmount('12.5', 'USD'), 1250n, 'fewer decimals than the currency are padded');
  t.equal(parseAmount('12', 'USD'), 1200n);
  t.equal(parseAmount('1.250', 'KWD'), 1250n);
  t.equal(parseAmount('0.001', 'KWD'), 1n);
  t.equal(parseAmount('99999999999999999999.99', 'USD'), 9999999999999999999999n, 'beyond 2^53 stays exact');
  t.equal(parseAmount('-5', 'VND', { allowNegative: true }), -5n);
  t.equal(parseAmount('0', 'VND', { allowZero: true }), 0n);
});

t.test('parseAmount refuses what is not an exact amount, naming the field', async (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    ['0.001', 'USD', /has 3 decimals; USD has 2/],
    ['1.5', 'VND', /has 1 decimals; VND has 0/],
    ['-5', 'VND', /must not be negative/],
    ['0', 'USD', /must not be zero/],
    ['0.00', 'USD', /must not be zero/],
    ['1e3', 'VND', /is not a decimal amount/],
    ['1,000', 'VND', /is not a decimal amount/],
    ['1.000,50', 'USD', /is not a decimal amount/],
    [' 5', 'VND', /is not a decimal amount/],
    ['5 ', 'VND', /is not a decimal amount/],
    ['+5', 'VND', /is not a decimal amount/],
    ['', 'VND', /is not a decimal amount/],
    ['.5', 'USD', /is not a decimal amount/],
    ['5.', 'USD', /is not a decimal amount/],
    ['0x10', 'VND', /is not a decimal amount/],
    ['١٢٣', 'VND', /is not a decimal amount/],
    [5, 'VND', /must be a decimal string such as "1234.50", not a number/],
    [5n, 'VND', /not a bigint/],
    [null, 'VND', /not a object/],
  ];
  for (const [value, currency, message] of cases) {
    const err = refusal(() => parseAmount(value, currency, { field: 'lines[2].amount' }));
    t.equal(err.field, 'lines[2].amount', `${JSON.stringify(String(value))} ${currency}: field named`);
    t.match(err.message, /^lines\[2\]\.amount/, `${JSON.stringify(String(value))}: message starts with the field`);
    t.match(err.message, message, `${JSON.stringify(String(value))} ${currency}: ${message}`);
  }
  t.equal(refusal(() => parseAmount('abc', 'VND')).field, 'amount', 'the field defaults to amount');
  t.match(refusal(() => parseAmount('5', 'ZZZ')).message, /'ZZZ' is not an ISO 4217/, 'an unknown currency is refused');
});

t.test('formatAmount writes exactly the currency decimals', async (t) => {
  t.equal(formatAmount(1234567n, 'VND'), '1234567');
  t.equal(formatAmount(1250n, 'USD'), '12.50');
  t.equal(formatAmount(5n, 'USD'), '0.05');
  t.equal(formatAmount(0n, 'USD'), '0.00');
  t.equal(formatAmount(-5n, 'USD'), '-0.05');
  t.equal(formatAmount(1250n, 'KWD'), '1.250');
  t.equal(formatAmount(1n, 'KWD'), '0.001');
  t.equal(formatAmount(-1234567n, 'VND'), '-1234567');
  for (const [text, currency] of [['1234567', 'VND'], ['12.50', 'USD'], ['1.250', 'KWD'], ['0.01', 'USD']] as const) {
    t.equal(formatAmount(parseAmount(text, currency), currency), text, `${text} ${currency} round-trips`);
  }
});

t.test('formatMoneyForLocale follows the reader’s locale, exactly', async (t) => {
  t.equal(formatMoneyForLocale(1234567n, 'VND', 'vi-VN'), '1.234.567\u00a0₫', 'U+00A0 before ₫');
  t.equal(formatMoneyForLocale(1250n, 'USD', 'en-US'), '$12.50');
  t.equal(formatMoneyForLocale(1250n, 'KWD', 'en-US'), 'KWD\u00a01.250');
  t.equal(formatMoneyForLocale(-1250n, 'USD', 'en-US'), '-$12.50');
  t.equal(formatMoneyForLocale(123456789012345678901234n, 'USD', 'en-US'), '$1,234,567,890,123,456,789,012.34', 'no float rounding on huge amounts');
});

t.test('divideRounded rounds ties half-up (away from zero) or half-even', async (t) => {
  const rows: Array<[bigint, bigint, bigint, bigint]> = [
    // numerator, denominator, half-up, half-even
    [5n, 2n, 3n, 2n],
    [7n, 2n, 4n, 4n],
    [-5n, 2n, -3n, -2n],
    [-7n, 2n, -4n, -4n],
    [5n, -2n, -3n, -2n],
    [1n, 3n, 0n, 0n],
    [2n, 3n, 1n, 1n],
    [-2n, 3n, -1n, -1n],
    [10n, 5n, 2n, 2n],
    [25n, 10n, 3n, 2n],
    [35n, 10n, 4n, 4n],
    [0n, 7n, 0n, 0n],
  ];
  for (const [n, d, up, even] of rows) {
    t.equal(divideRounded(n, d, 'half-up'), up, `${n}/${d} half-up`);
    t.equal(divideRounded(n, d, 'half-even'), even, `${n}/${d} half-even`);
  }
  t.equal(divideRounded(5n, 2n), 3n, 'half-up is the default');
  t.match(refusal(() => divideRounded(1n, 0n)).message, /division by zero/);
});

t.test('splitByWeights gives the remainder to the last part', async (t) => {
  t.same(splitByWeights(100n, [1n, 1n, 1n]), [33n, 33n, 34n]);
  t.same(splitByWeights(1000000n, [30n, 70n]), [300000n, 700000n]);
  t.same(splitByWeights(10n, [0n, 0n, 1n]), [0n, 0n, 10n]);
  t.same(splitByWeights(-100n, [1n, 1n, 1n]), [-33n, -33n, -34n]);
  t.match(refusal(() => splitByWeights(100n, [])).message, /nothing to split/);
  t.match(refusal(() => splitByWeights(100n, [0n, 0n])).message, /positive sum/, 'all-zero weights are refused');
  t.match(refusal(() => splitByWeights(100n, [2n, -1n])).message, /non-negative/, 'a negative weight is refused');
});

t.test('properties', async (t) => {
  const weights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 20 }).filter((ws) => ws.some((w) => w > 0n));
  property(t, 'the parts of a split always sum to the total', fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), weights, (total, ws) => {
    const parts = splitByWeights(total, ws);
    return parts.length === ws.length && parts.reduce((a, b) => a + b, 0n) === total;
  }));
  property(t, 'each part but the last is within one minor unit of its exact share', fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), weights, (total, ws) => {
    const sum = ws.reduce((a, b) => a + b, 0n);
    return splitByWeights(total, ws).slice(0, -1).every((p, i) => {
      const diff = p * sum - total * ws[i]; // sum × (part − exact share)
      return (diff < 0n ? -diff : diff) * 2n <= sum;
    });
  }));
  for (const currency of ['VND', 'USD', 'KWD', 'JPY']) {
    property(t, `parse(format(x)) = x for ${currency} (exponent ${currencyExponent(currency)})`, fc.property(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), (minor) => {
      return parseAmount(formatAmount(minor, currency), currency, { allowNegative: true, allowZero: true }) === minor;
    }));
  }
  property(t, 'divideRounded is never more than half a unit off', fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.constantFrom('half-up' as const, 'half-even' as const), (n, d, mode) => {
    const diff = divideRounded(n, d, mode) * d - n;
    return (diff < 0n ? -diff : diff) * 2n <= d;
  }));
});
