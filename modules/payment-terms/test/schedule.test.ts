/**
 * The payment-term rules without a database: reference cases from Odoo's and ERPNext's own
 * documentation and tests, calendar edge cases, rounding in currencies of 0, 2 and 3 decimals, a
 * property test over random terms, and refused definitions.
 */
import t from 'tap';
import fc from 'fast-check';
import { ProblemError } from '../../../core/errors.js';
import { addDays, compareDates, daysBetween } from '../../../core/dates.js';
import { formatAmount, parseAmount } from '../../../core/money.js';
import { checkDefinition, computeSchedule, dueDate, ScheduleError, type TermDefinitionInput, type TermLineInput } from '../schedule.js';

type Expected = { installments: Array<[string, string]>; discount?: [string, string] };

function run(term: TermDefinitionInput, date: string, total: string, currency: string): Expected {
  const schedule = computeSchedule(checkDefinition(term, currency), date, parseAmount(total, currency), currency);
  return {
    installments: schedule.installments.map((i) => [i.dueDate, formatAmount(i.amount, currency)]),
    ...(schedule.discount ? { discount: [schedule.discount.until, formatAmount(schedule.discount.amount, currency)] as [string, string] } : {}),
  };
}

const balance = (delayType: string, days: number, dayOfMonth?: number): TermLineInput => ({ value: 'balance', delayType, days, ...(dayOfMonth !== undefined ? { dayOfMonth } : {}) });
const percent = (amount: string, delayType: string, days: number, dayOfMonth?: number): TermLineInput => ({ value: 'percent', amount, delayType, days, ...(dayOfMonth !== undefined ? { dayOfMonth } : {}) });

const ODOO_DOC = 'Odoo documentation, Accounting › Customer invoices › Payment terms (odoo/documentation payment_terms.rst)';
const ODOO_CODE = 'Odoo account.payment.term (addons/account/models/account_payment_term.py)';
const OCA_README = 'OCA account_payment_term_extension README, describing stock Odoo';
const ERPNEXT_DOC = 'ERPNext documentation, Accounts › Payment Terms (docs.erpnext.com)';
const ERPNEXT_TEST = 'ERPNext test_payment_entry.py create_payment_terms_template ("Test Receivable Template")';
const ERPNEXT_CODE = 'ERPNext controllers get_due_date / get_payment_term_details';

const reference: Array<{ source: string; case: string; term: TermDefinitionInput; date: string; total: string; currency: string; expect: Expected }> = [
  {
    source: ODOO_DOC, case: '5 days end of the month on the 1, invoice of 5 March: 10 March → 31 March → 1 April',
    term: { lines: [balance('days_end_of_month_on_the', 5, 1)] }, date: '2025-03-05', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-04-01', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: '5 days end of the month on the 1, invoice of 28 March: 2 April → 30 April → 1 May',
    term: { lines: [balance('days_end_of_month_on_the', 5, 1)] }, date: '2025-03-28', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-05-01', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: '30% Advance End of Following Month: $1000 → 300 on the invoice date (21 Feb), 700 on 31 March',
    term: { lines: [percent('30', 'days_after', 0), balance('days_after_end_of_next_month', 0)] }, date: '2025-02-21', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-02-21', '300.00'], ['2025-03-31', '700.00']] },
  },
  {
    source: ODOO_DOC, case: '21 MFI: by the 21st of the month following the invoice date',
    term: { lines: [balance('days_end_of_month_on_the', 0, 21)] }, date: '2025-03-31', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-04-21', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: '2% 10, Net 30 EOM: 2% off within ten days, else due at the end of the following month',
    term: { lines: [balance('days_after_end_of_next_month', 0)], earlyDiscount: { percent: '2', days: 10 } }, date: '2025-03-05', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-04-30', '1000.00']], discount: ['2025-03-15', '20.00'] },
  },
  {
    source: ODOO_DOC, case: '15 Days (Net 15)',
    term: { lines: [balance('days_after', 15)] }, date: '2025-03-05', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-03-20', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: 'Immediate Payment: due on the day of issuance',
    term: { lines: [balance('days_after', 0)] }, date: '2025-03-05', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-03-05', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: 'a negative value counts days before the end of the month: -5 → 26 March',
    term: { lines: [balance('days_after_end_of_month', -5)] }, date: '2025-03-10', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-03-26', '1000.00']] },
  },
  {
    source: ODOO_DOC, case: 'terms are computed in the order of their due dates (the balance due first here)',
    term: { lines: [percent('30', 'days_after', 60), balance('days_after', 0)] }, date: '2025-03-05', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-03-05', '700.00'], ['2025-05-04', '300.00']] },
  },
  {
    source: OCA_README, case: '30 days end of month, invoiced on January 30 → March 31',
    term: { lines: [balance('days_end_of_month_on_the', 30, 0)] }, date: '2025-01-30', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-03-31', '1000.00']] },
  },
  {
    source: ODOO_CODE, case: 'on the 31st of a February: clamped to the end of February, not early March',
    term: { lines: [balance('days_end_of_month_on_the', 30, 31)] }, date: '2024-12-15', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-02-28', '1000.00']] },
  },
  {
    source: ODOO_CODE, case: 'instalments due the same day are merged (_get_amount_by_date groups by date)',
    term: { lines: [percent('40', 'days_after', 29), balance('days_after_end_of_month', 0)] }, date: '2025-04-01', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-04-30', '1000.00']] },
  },
  {
    source: ODOO_CODE, case: 'null amounts are left out: percents of 100 leave an empty balance',
    term: { lines: [percent('60', 'days_after', 0), percent('40', 'days_after', 30), balance('days_after', 60)] }, date: '2025-04-01', total: '1000.00', currency: 'USD',
    expect: { installments: [['2025-04-01', '600.00'], ['2025-05-01', '400.00']] },
  },
  {
    source: ERPNEXT_DOC, case: 'Day(s) after invoice date: 7 entered on the 20th → the 27th',
    term: { lines: [balance('days_after', 7)] }, date: '2025-03-20', total: '500.00', currency: 'INR',
    expect: { installments: [['2025-03-27', '500.00']] },
  },
  {
    source: ERPNEXT_DOC, case: 'Day(s) after the end of the invoice month: 7, a month ending on the 30th → the 7th of the next month',
    term: { lines: [balance('days_after_end_of_month', 7)] }, date: '2025-04-20', total: '500.00', currency: 'INR',
    expect: { installments: [['2025-05-07', '500.00']] },
  },
  {
    source: ERPNEXT_CODE, case: 'Month(s) after the end of the invoice month (1): last day of the next month, from 31 January',
    term: { lines: [balance('days_after_end_of_next_month', 0)] }, date: '2025-01-31', total: '500.00', currency: 'INR',
    expect: { installments: [['2025-02-28', '500.00']] },
  },
  {
    source: ERPNEXT_TEST, case: '84.746% in 1 day, 15.254% in 2 days, on 200 + 18% tax = 236',
    term: { lines: [percent('84.746', 'days_after', 1), balance('days_after', 2)] }, date: '2025-06-10', total: '236.00', currency: 'INR',
    expect: { installments: [['2025-06-11', '200.00'], ['2025-06-12', '36.00']] },
  },
  {
    source: ERPNEXT_TEST, case: 'the same template on 20000 → 16949.20 (first term) and the rest',
    term: { lines: [percent('84.746', 'days_after', 1), balance('days_after', 2)] }, date: '2025-06-10', total: '20000.00', currency: 'INR',
    expect: { installments: [['2025-06-11', '16949.20'], ['2025-06-12', '3050.80']] },
  },
  {
    source: ERPNEXT_CODE, case: 'a due date before the posting date is the posting date',
    term: { lines: [balance('days_after_end_of_month', -10)] }, date: '2025-04-25', total: '500.00', currency: 'INR',
    expect: { installments: [['2025-04-25', '500.00']] },
  },
];

t.test('reference cases', async (t) => {
  for (const c of reference) {
    t.same(run(c.term, c.date, c.total, c.currency), c.expect, `${c.source}: ${c.case}`);
  }
});

t.test('calendar: leap years, months of 28 to 31 days, clamping, end of month from 31 January', async (t) => {
  const cases: Array<[string, TermLineInput, string, string]> = [
    ['1 day after 28 Feb 2024 is the leap day', balance('days_after', 1), '2024-02-28', '2024-02-29'],
    ['1 day after 28 Feb 2025 is 1 March', balance('days_after', 1), '2025-02-28', '2025-03-01'],
    ['365 days after the leap day', balance('days_after', 365), '2024-02-29', '2025-02-28'],
    ['end of February in a leap year', balance('days_after_end_of_month', 0), '2024-02-10', '2024-02-29'],
    ['end of February otherwise', balance('days_after_end_of_month', 0), '2023-02-10', '2023-02-28'],
    ['end of a 30-day month', balance('days_after_end_of_month', 0), '2025-04-01', '2025-04-30'],
    ['end of a 31-day month', balance('days_after_end_of_month', 0), '2025-01-01', '2025-01-31'],
    ['end of month from 31 January is 31 January', balance('days_after_end_of_month', 0), '2025-01-31', '2025-01-31'],
    ['end of the next month from 31 January is 28 February, not 3 March', balance('days_after_end_of_next_month', 0), '2025-01-31', '2025-02-28'],
    ['end of the next month from 31 January 2024 is the leap day', balance('days_after_end_of_next_month', 0), '2024-01-31', '2024-02-29'],
    ['end of the next month from 30 November crosses the year', balance('days_after_end_of_next_month', 0), '2025-11-30', '2025-12-31'],
    ['end of the next month from 31 December', balance('days_after_end_of_next_month', 0), '2025-12-31', '2026-01-31'],
    ['5 days back from the end of next month (28 days)', balance('days_after_end_of_next_month', -5), '2025-01-31', '2025-02-23'],
    ['27 days back from the end of February 2025 stays in February', balance('days_after_end_of_next_month', -27), '2025-01-10', '2025-02-01'],
    ['day 31 of next month clamps to 28 February', balance('days_end_of_month_on_the', 0, 31), '2025-01-15', '2025-02-28'],
    ['day 31 of next month clamps to 29 February in a leap year', balance('days_end_of_month_on_the', 0, 31), '2024-01-15', '2024-02-29'],
    ['day 31 of next month clamps to 30 April', balance('days_end_of_month_on_the', 0, 31), '2025-03-15', '2025-04-30'],
    ['day 31 of next month is 31 May', balance('days_end_of_month_on_the', 0, 31), '2025-04-15', '2025-05-31'],
    ['day 30 of February clamps too', balance('days_end_of_month_on_the', 0, 30), '2025-01-31', '2025-02-28'],
    ['5 days end of month on the 1, across the year end', balance('days_end_of_month_on_the', 5, 1), '2025-12-28', '2026-02-01'],
    ['30 days end of month from 30 January 2024: the leap day', balance('days_end_of_month_on_the', 30, 0), '2024-01-30', '2024-02-29'],
    ['30 days end of month from 31 January 2025: 2 March → 31 March', balance('days_end_of_month_on_the', 30, 0), '2025-01-31', '2025-03-31'],
    ['30 days after 31 January 2025', balance('days_after', 30), '2025-01-31', '2025-03-02'],
    ['30 days after 31 January 2024', balance('days_after', 30), '2024-01-31', '2024-03-01'],
  ];
  for (const [what, line, date, expected] of cases) {
    t.equal(run({ lines: [line] }, date, '100', 'VND').installments[0][0], expected, what);
  }
});

t.test('rounding: half-up per percent line, the balance takes the remainder, in 0, 2 and 3 decimals', async (t) => {
  const thirty = { lines: [percent('30', 'days_after', 0), balance('days_after', 60)] };
  t.same(run(thirty, '2025-05-05', '1000001', 'VND').installments, [['2025-05-05', '300000'], ['2025-07-04', '700001']], 'VND: 300000.3 → 300000');
  t.same(run(thirty, '2025-05-05', '100.01', 'USD').installments, [['2025-05-05', '30.00'], ['2025-07-04', '70.01']], 'USD: 30.003 → 30.00');
  t.same(run(thirty, '2025-05-05', '1.005', 'KWD').installments, [['2025-05-05', '0.302'], ['2025-07-04', '0.703']], 'KWD: 0.3015 → 0.302 (half up)');
  const halves = { lines: [percent('50', 'days_after', 0), balance('days_after', 30)] };
  t.same(run(halves, '2025-05-05', '5', 'VND').installments, [['2025-05-05', '3'], ['2025-06-04', '2']], '2.5 → 3, the balance gets 2');
  const thirds = { lines: [percent('33.333333', 'days_after', 0), percent('33.333333', 'days_after', 30), balance('days_after', 60)] };
  t.same(run(thirds, '2025-05-05', '100.000', 'KWD').installments, [['2025-05-05', '33.333'], ['2025-06-04', '33.333'], ['2025-07-04', '33.334']]);
  t.same(run(thirds, '2025-05-05', '100', 'VND').installments, [['2025-05-05', '33'], ['2025-06-04', '33'], ['2025-07-04', '34']]);
  const twoHalves = { lines: [percent('50', 'days_after', 0), percent('50', 'days_after', 30), balance('days_after', 60)] };
  t.same(run(twoHalves, '2025-05-05', '1', 'VND').installments, [['2025-05-05', '1']], 'a total of 1: the second half rounds to nothing and is left out');
  const fixedFirst = { lines: [{ value: 'fixed', amount: '250000', delayType: 'days_after', days: 0 }, percent('50', 'days_after', 30), balance('days_after', 60)] };
  t.same(run(fixedFirst, '2025-05-05', '1000000', 'VND').installments, [['2025-05-05', '250000'], ['2025-06-04', '500000'], ['2025-07-04', '250000']], 'percent of the total, not of what is left');
  t.same(run({ lines: [balance('days_after', 30)], earlyDiscount: { percent: '2', days: 10 } }, '2025-05-05', '125', 'VND').discount, ['2025-05-15', '3'], 'discount 2.5 → 3');
  t.same(run({ lines: [balance('days_after', 30)], earlyDiscount: { percent: '2', days: 10 } }, '2025-05-05', '10', 'VND'), { installments: [['2025-06-04', '10']] }, 'a discount that rounds to nothing is not offered');
  t.same(run({ lines: [balance('days_after', 30)], earlyDiscount: { percent: '50', days: 10 } }, '2025-05-05', '1', 'VND'), { installments: [['2025-06-04', '1']] }, 'nor one that would round up to the whole invoice');
  t.same(run({ lines: [balance('days_after', 30)], earlyDiscount: { percent: '50', days: 10 } }, '2025-05-05', '3', 'VND').discount, ['2025-05-15', '2'], '1.5 → 2, less than the total of 3');
});

t.test('a fixed line larger than the total is a clear error naming the line', async (t) => {
  const term = checkDefinition({ lines: [{ value: 'fixed', amount: '500', delayType: 'days_after', days: 0 }, { value: 'fixed', amount: '600', delayType: 'days_after', days: 10 }, balance('days_after', 30)] }, 'USD');
  t.same(computeSchedule(term, '2025-01-01', 200000n, 'USD').installments.map((i) => i.amount), [50000n, 60000n, 90000n]);
  t.throws(() => computeSchedule(term, '2025-01-01', 100000n, 'USD'), new ScheduleError('lines[1] (a fixed 600) brings the instalments above the total of 1000.00 USD', 1));
  t.throws(() => computeSchedule(term, '2025-01-01', 30000n, 'USD'), { line: 0, message: /lines\[0\] \(a fixed 500\)/ });
  const mixed = checkDefinition({ lines: [{ value: 'fixed', amount: '90', delayType: 'days_after', days: 0 }, percent('20', 'days_after', 10), balance('days_after', 30)] }, 'USD');
  t.throws(() => computeSchedule(mixed, '2025-01-01', 10000n, 'USD'), { line: 1, message: /lines\[1\] \(20%\) brings the instalments above the total of 100.00 USD/ });
  const cents = checkDefinition({ lines: [{ value: 'fixed', amount: '10.50', delayType: 'days_after', days: 0 }, balance('days_after', 30)] }, 'USD');
  t.throws(() => computeSchedule(cents, '2025-01-01', 1000n, 'VND'), { line: 0, message: /fixed amount of 10.5, which VND cannot hold/ });
});

t.test('property: for random terms and totals the instalments keep count, order and sum', async (t) => {
  const currencies = ['VND', 'USD', 'KWD'] as const;
  const delay = fc.oneof(
    fc.record({ delayType: fc.constant('days_after'), days: fc.integer({ min: 0, max: 400 }) }),
    fc.record({ delayType: fc.constant('days_after_end_of_month'), days: fc.integer({ min: -27, max: 400 }) }),
    fc.record({ delayType: fc.constant('days_after_end_of_next_month'), days: fc.integer({ min: -27, max: 400 }) }),
    fc.record({ delayType: fc.constant('days_end_of_month_on_the'), days: fc.integer({ min: 0, max: 400 }), dayOfMonth: fc.integer({ min: 0, max: 31 }) }),
  );
  const part = fc.record({
    kind: fc.constantFrom('percent', 'fixed'),
    percent: fc.integer({ min: 1, max: 40_000_000 }), // up to 40% with 6 decimals
    fixed: fc.bigInt({ min: 1n, max: 10_000_000n }),
    delay,
  });
  const date = fc.integer({ min: 0, max: 36_500 }).map((n) => addDays('2000-01-01', n));
  fc.assert(fc.property(
    fc.array(part, { maxLength: 5 }), delay, fc.constantFrom(...currencies), fc.bigInt({ min: 1n, max: 10n ** 13n }), date,
    fc.option(fc.record({ percent: fc.integer({ min: 1, max: 99 }), days: fc.integer({ min: 1, max: 60 }) })),
    (parts, last, currency, total, invoiceDate, discount) => {
      let percentLeft = 100_000_000;
      const lines: TermLineInput[] = parts.map((p) => {
        if (p.kind === 'percent' && percentLeft > 0) {
          const scaled = Math.min(p.percent, percentLeft);
          percentLeft -= scaled;
          return { value: 'percent', amount: `${Math.floor(scaled / 1_000_000)}.${String(scaled % 1_000_000).padStart(6, '0')}`, ...p.delay };
        }
        return { value: 'fixed', amount: formatAmount(p.fixed, currency), ...p.delay };
      });
      lines.push({ value: 'balance', ...last });
      const input: TermDefinitionInput = { lines, ...(discount && lines.length === 1 ? { earlyDiscount: { percent: String(discount.percent), days: discount.days } } : {}) };
      const term = checkDefinition(input, currency);
      const fixedTotal = parts.reduce((a, p, i) => a + (lines[i].value === 'fixed' ? p.fixed : 0n), 0n);
      let schedule;
      try {
        schedule = computeSchedule(term, invoiceDate, total, currency);
      } catch (e) {
        // Refused only when the lines exactly take more than the total (fixed lines involved).
        if (!(e instanceof ScheduleError) || fixedTotal === 0n) throw e;
        return;
      }
      const { installments } = schedule;
      const lineDates = new Set(term.lines.map((l) => dueDate(l, invoiceDate)));
      if (installments.reduce((a, i) => a + i.amount, 0n) !== total) throw new Error('instalments do not sum to the total');
      if (installments.length < 1 || installments.length > term.lines.length) throw new Error('instalment count out of range');
      if (installments.length > lineDates.size) throw new Error('more instalments than distinct due dates');
      installments.forEach((i, n) => {
        if (i.amount <= 0n) throw new Error('an instalment is not positive');
        if (!lineDates.has(i.dueDate)) throw new Error('an instalment date no line gives');
        if (compareDates(i.dueDate, invoiceDate) < 0) throw new Error('due before the invoice date');
        if (n > 0 && compareDates(installments[n - 1].dueDate, i.dueDate) >= 0) throw new Error('instalments not in strictly increasing due-date order');
      });
      if (schedule.discount) {
        if (schedule.discount.amount <= 0n || schedule.discount.amount >= total) throw new Error('discount out of range');
        if (daysBetween(invoiceDate, schedule.discount.until) !== discount!.days) throw new Error('discount deadline');
      }
    },
  ), { seed: 20261125, numRuns: 400 });
  t.pass('400 random terms hold the invariants');
});

t.test('bad definitions are refused with a problem naming the line and field', async (t) => {
  const refused: Array<[string, TermDefinitionInput, string, RegExp]> = [
    ['two balance lines', { lines: [balance('days_after', 0), balance('days_after', 30)] }, 'lines[1].value', /second balance line/],
    ['no balance line', { lines: [percent('100', 'days_after', 0)] }, 'lines', /needs one balance line/],
    ['balance not last', { lines: [balance('days_after', 0), percent('50', 'days_after', 30)] }, 'lines[0].value', /must be the last line/],
    ['percent over 100', { lines: [percent('60', 'days_after', 0), percent('50', 'days_after', 30), balance('days_after', 60)] }, 'lines[1].amount', /add up to 110% at lines\[1\]/],
    ['a negative percent', { lines: [percent('-5', 'days_after', 0), balance('days_after', 30)] }, 'lines[0].amount', /more than zero/],
    ['a zero percent', { lines: [percent('0', 'days_after', 0), balance('days_after', 30)] }, 'lines[0].amount', /more than zero/],
    ['a negative fixed amount', { lines: [{ value: 'fixed', amount: '-100', delayType: 'days_after', days: 0 }, balance('days_after', 30)] }, 'lines[0].amount', /must not be negative/],
    ['a fixed amount with decimals VND does not have', { lines: [{ value: 'fixed', amount: '100.5', delayType: 'days_after', days: 0 }, balance('days_after', 30)] }, 'lines[0].amount', /VND has 0/],
    ['a percent that is not a number', { lines: [percent('thirty', 'days_after', 0), balance('days_after', 30)] }, 'lines[0].amount', /not a percentage/],
    ['a percent with 7 decimals', { lines: [percent('1.1234567', 'days_after', 0), balance('days_after', 30)] }, 'lines[0].amount', /more than 6 decimals/],
    ['a percent line without amount', { lines: [{ value: 'percent', delayType: 'days_after', days: 0 }, balance('days_after', 30)] }, 'lines[0].amount', /required/],
    ['an amount on the balance line', { lines: [{ value: 'balance', amount: '10', delayType: 'days_after', days: 0 }] }, 'lines[0].amount', /left out/],
    ['an unknown value', { lines: [{ value: 'rest', delayType: 'days_after', days: 0 }] }, 'lines[0].value', /not one of percent, fixed, balance/],
    ['an unknown delay type', { lines: [percent('50', 'days_after', 0), { value: 'balance', delayType: 'next_tuesday', days: 0 }] }, 'lines[1].delayType', /'next_tuesday' is not one of/],
    ['negative days after the invoice date', { lines: [balance('days_after', -3)] }, 'lines[0].days', /must not be negative/],
    ['counting back more than 27 days', { lines: [balance('days_after_end_of_month', -28)] }, 'lines[0].days', /at most 27 days/],
    ['more than ten years', { lines: [balance('days_after', 3651)] }, 'lines[0].days', /at most 3650/],
    ['on-the without a day', { lines: [balance('days_end_of_month_on_the', 5)] }, 'lines[0].dayOfMonth', /required/],
    ['a day of month of 32', { lines: [balance('days_end_of_month_on_the', 5, 32)] }, 'lines[0].dayOfMonth', /from 1 to 31/],
    ['a day of month on another delay', { lines: [balance('days_after', 5, 10)] }, 'lines[0].dayOfMonth', /only applies/],
    ['a discount with instalments', { lines: [percent('50', 'days_after', 0), balance('days_after', 30)], earlyDiscount: { percent: '2', days: 10 } }, 'earlyDiscount', /single line/],
    ['a discount of 100%', { lines: [balance('days_after', 30)], earlyDiscount: { percent: '100', days: 10 } }, 'earlyDiscount.percent', /less than 100/],
    ['a discount for 0 days', { lines: [balance('days_after', 30)], earlyDiscount: { percent: '2', days: 0 } }, 'earlyDiscount.days', /from 1/],
    ['no lines', { lines: [] }, 'lines', /at least one line/],
  ];
  for (const [what, input, field, detail] of refused) {
    try {
      checkDefinition(input, 'VND');
      t.fail(`${what}: accepted`);
    } catch (e) {
      t.ok(e instanceof ProblemError && e.status === 400, `${what}: a 400 problem`);
      t.equal((e as ProblemError).field, field, `${what}: names ${field}`);
      t.match((e as ProblemError).detail, detail, `${what}: says why`);
    }
  }
});
