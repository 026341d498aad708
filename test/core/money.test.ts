import t from 'tap';
import fc from 'fast-check';
import {
  MoneyError, amountText, currencyExponent, decimalText, divideRounded, formatAmount, formatMoneyForLocale, isCurrency, parseAmount, splitByWeights,
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
    [true, 'VND', /must be a decimal string such as "1234.50" \(or a JSON number where exact\), not a boolean/],
    [5n, 'VND', /not a bigint/],
    [null, 'VND', /not null/],
    [5.5, 'VND', /5\.5 is not exact as a JSON number: VND takes at most 0 decimals; send it as a decimal string/],
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

t.test('a JSON number is taken where it is exact in the currency, and read as its decimal string', async (t) => {
  t.equal(parseAmount(1250000, 'VND'), 1250000n);
  t.equal(parseAmount(400000, 'VND'), 400000n);
  t.equal(parseAmount(12.5, 'USD'), 1250n);
  t.equal(parseAmount(12, 'USD'), 1200n);
  t.equal(parseAmount(0.01, 'USD'), 1n);
  t.equal(parseAmount(1.25, 'KWD'), 1250n);
  t.equal(parseAmount(-5, 'VND', { allowNegative: true }), -5n);
  t.equal(parseAmount(0, 'USD', { allowZero: true }), 0n);
  t.equal(parseAmount(Number.MAX_SAFE_INTEGER, 'VND'), 9007199254740991n, 'every safe integer without decimals');
  t.equal(parseAmount(45035996273704.95, 'USD'), 4503599627370495n, 'just below 2^52 cents');
  t.equal(amountText(12.5, 'USD'), '12.5', 'kept as the decimal text it is');
  t.equal(amountText('12.50', 'USD'), '12.50', 'a string is kept as sent');
  t.equal(decimalText(2.5, 6, 'quantity', 'a quantity'), '2.5');
  t.equal(decimalText(0.000001, 6, 'quantity', 'a quantity'), '0.000001');
});

t.test('a JSON number that is not exact in its unit is refused, naming the field and asking for a decimal string', async (t) => {
  const cases: Array<[number, string, RegExp]> = [
    [1000.5, 'VND', /1000\.5 is not exact as a JSON number: VND takes at most 0 decimals/],
    [12.345, 'USD', /12\.345 is not exact as a JSON number: USD takes at most 2 decimals/],
    [0.1 + 0.2, 'USD', /0\.30000000000000004 is not exact as a JSON number: USD takes at most 2 decimals/],
    [1.0005, 'KWD', /KWD takes at most 3 decimals/],
    [2 ** 53, 'VND', /9007199254740992 is too large to be exact as a JSON number in VND/],
    [2 ** 53 + 2, 'VND', /9007199254740994 is too large to be exact/],
    [1e21, 'VND', /1e\+21 is not exact as a JSON number \(it is written with an exponent/],
    [1e-7, 'USD', /1e-7 is not exact as a JSON number \(it is written with an exponent/],
    [-1e300, 'USD', /is not exact as a JSON number/],
    // Below 2^53 cents but not exact: a double cannot tell .01 from .02 at this size.
    [90071992547409.01, 'USD', /is too large to be exact as a JSON number in USD/],
    [45035996273704.96, 'USD', /is too large to be exact/],
    [45035996273705, 'USD', /45035996273705 is too large to be exact as a JSON number in USD/],
    [Number.NaN, 'VND', /NaN is not exact as a JSON number/],
    [Infinity, 'VND', /Infinity is not exact as a JSON number/],
  ];
  for (const [value, currency, message] of cases) {
    const err = refusal(() => parseAmount(value, currency, { field: 'lines[0].unitPrice', allowNegative: true }));
    t.equal(err.field, 'lines[0].unitPrice', `${value} ${currency}: field named`);
    t.match(err.message, /^lines\[0\]\.unitPrice /, `${value}: the message starts with the field`);
    t.match(err.message, message, `${value} ${currency}: ${message}`);
    t.match(err.message, /send it as a decimal string$/, `${value} ${currency}: asks for a decimal string`);
  }
  t.match(refusal(() => decimalText(0.1234567, 6, 'lines[0].quantity', 'a quantity')).message, /a quantity takes at most 6 decimals/);
  t.match(refusal(() => decimalText(5e9, 6, 'lines[0].quantity', 'a quantity')).message, /too large to be exact as a JSON number in a quantity/, '5e9 × 10^6 is beyond 2^52');
  t.equal(parseAmount('9007199254740993', 'VND'), 9007199254740993n, 'the same amount as a decimal string is exact at any size');
  t.match(refusal(() => parseAmount(-5, 'VND')).message, /must not be negative/, 'an exact number then meets the same rules as its string');
  t.match(refusal(() => parseAmount(0, 'VND')).message, /must not be zero/);
});

t.test('properties of JSON numbers', async (t) => {
  property(t, 'for any safe integer n, n and String(n) read the same (VND)', fc.property(fc.maxSafeInteger(), (n) => {
    return parseAmount(n, 'VND', { allowNegative: true, allowZero: true }) === parseAmount(String(n), 'VND', { allowNegative: true, allowZero: true });
  }));
  for (const currency of ['USD', 'KWD', 'VND']) {
    const limit = currencyExponent(currency) === 0 ? 2n ** 53n - 1n : 2n ** 52n - 1n;
    property(t, `an amount sent as a JSON number with the currency's decimals is read exactly (${currency}, |minor| < 2^${currencyExponent(currency) === 0 ? 53 : 52})`,
      fc.property(fc.bigInt({ min: -limit, max: limit }), (minor) => {
        const sent = JSON.parse(formatAmount(minor, currency)) as number; // what a client's JSON number becomes here
        return parseAmount(sent, currency, { allowNegative: true, allowZero: true }) === minor;
      }));
  }
  property(t, 'any double is either refused or read as exactly its own value (USD)', fc.property(fc.double({ noNaN: true }), (d) => {
    let minor: bigint;
    try {
      minor = parseAmount(d, 'USD', { allowNegative: true, allowZero: true });
    } catch (err) {
      return err instanceof MoneyError && /send it as a decimal string$/.test(err.message);
    }
    return Number(formatAmount(minor, 'USD')) === d;
  }));
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
