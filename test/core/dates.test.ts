import t from 'tap';
import fc from 'fast-check';
import { addDays, compareDates, dateInZone, dayOfMonthAfter, daysBetween, endOfMonth, isIsoDate, isTimeZone, todayIn } from '../../core/dates.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20260401), numRuns: 300 });

t.test('isIsoDate accepts only real calendar dates written YYYY-MM-DD', async (t) => {
  for (const ok of ['2026-01-31', '2028-02-29', '2000-02-29', '2026-12-31', '1999-01-01']) t.ok(isIsoDate(ok), ok);
  for (const bad of ['2026-02-30', '2026-02-29', '2100-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00',
    '2026-1-5', '26-01-05', '2026/01/05', '2026-01-05T00:00:00Z', ' 2026-01-05', '', '20260105']) {
    t.notOk(isIsoDate(bad), `refuses '${bad}'`);
  }
});

t.test('addDays crosses months, years and leap days', async (t) => {
  t.equal(addDays('2026-01-31', 1), '2026-02-01');
  t.equal(addDays('2026-02-28', 1), '2026-03-01', 'no 29 February in 2026');
  t.equal(addDays('2028-02-28', 1), '2028-02-29', '2028 is a leap year');
  t.equal(addDays('2028-02-29', 1), '2028-03-01');
  t.equal(addDays('2100-02-28', 1), '2100-03-01', '2100 is not a leap year');
  t.equal(addDays('2000-02-28', 1), '2000-02-29', '2000 is a leap year');
  t.equal(addDays('2026-12-31', 1), '2027-01-01');
  t.equal(addDays('2027-01-01', -1), '2026-12-31');
  t.equal(addDays('2026-03-01', -1), '2026-02-28');
  t.equal(addDays('2026-01-15', 30), '2026-02-14', 'net 30');
  t.equal(addDays('2026-01-15', 365), '2027-01-15');
  t.equal(addDays('2028-01-15', 365), '2029-01-14', 'a leap year has 366 days');
  t.equal(addDays('2026-05-05', 0), '2026-05-05');
  t.throws(() => addDays('2026-02-30', 1), { name: 'RangeError', message: /'2026-02-30' is not a valid date/ }, 'an impossible date is refused');
});

t.test('daysBetween and compareDates', async (t) => {
  t.equal(daysBetween('2026-01-01', '2026-03-01'), 59);
  t.equal(daysBetween('2028-01-01', '2028-03-01'), 60);
  t.equal(daysBetween('2026-03-01', '2026-01-01'), -59);
  t.equal(daysBetween('2026-03-28', '2026-03-30'), 2, 'across a daylight-saving change elsewhere it stays whole days');
  t.equal(compareDates('2026-01-09', '2026-01-10'), -1);
  t.equal(compareDates('2026-01-10', '2026-01-10'), 0);
  t.equal(compareDates('2027-01-01', '2026-12-31'), 1);
});

t.test('endOfMonth', async (t) => {
  t.equal(endOfMonth('2026-01-01'), '2026-01-31');
  t.equal(endOfMonth('2026-01-31'), '2026-01-31');
  t.equal(endOfMonth('2026-02-10'), '2026-02-28');
  t.equal(endOfMonth('2028-02-01'), '2028-02-29', 'leap February');
  t.equal(endOfMonth('2100-02-01'), '2100-02-28', '2100 is divisible by 100 and not by 400: not leap');
  t.equal(endOfMonth('2000-02-01'), '2000-02-29', '2000 is divisible by 400: leap');
  t.equal(endOfMonth('2026-04-15'), '2026-04-30');
  t.equal(endOfMonth('2026-12-05'), '2026-12-31');
});

t.test('dayOfMonthAfter clamps to the month’s last day', async (t) => {
  t.equal(dayOfMonthAfter('2026-03-31', 1, 31), '2026-04-30', 'day 31 in April is the 30th');
  t.equal(dayOfMonthAfter('2026-01-15', 1, 31), '2026-02-28');
  t.equal(dayOfMonthAfter('2028-01-15', 1, 30), '2028-02-29');
  t.equal(dayOfMonthAfter('2026-01-15', 1, 10), '2026-02-10');
  t.equal(dayOfMonthAfter('2026-11-10', 2, 5), '2027-01-05', 'across the year end');
  t.equal(dayOfMonthAfter('2026-01-20', 0, 25), '2026-01-25', 'the same month');
  t.equal(dayOfMonthAfter('2026-03-10', -1, 31), '2026-02-28', 'a month back');
  t.equal(dayOfMonthAfter('2026-12-31', 14, 31), '2028-02-29', 'many months on, into a leap February');
});

t.test('todayIn gives the tenant’s calendar date at one instant', async (t) => {
  const instant = new Date('2026-03-31T17:30:00Z');
  t.equal(todayIn('Asia/Ho_Chi_Minh', instant), '2026-04-01', 'UTC+7: already the next day');
  t.equal(todayIn('UTC', instant), '2026-03-31');
  t.equal(todayIn('America/Los_Angeles', instant), '2026-03-31');
  t.equal(todayIn('America/Los_Angeles', new Date('2026-03-31T05:00:00Z')), '2026-03-30', 'UTC−7: still the day before');
  t.equal(todayIn('Pacific/Kiritimati', new Date('2026-12-31T10:00:00Z')), '2027-01-01', 'UTC+14: a new year');
  t.equal(todayIn('Asia/Kolkata', new Date('2026-06-30T18:29:59Z')), '2026-06-30', 'UTC+5:30, one second before midnight');
  t.equal(todayIn('Asia/Kolkata', new Date('2026-06-30T18:30:00Z')), '2026-07-01', 'UTC+5:30 at midnight');
  t.equal(dateInZone(instant, 'Asia/Ho_Chi_Minh'), '2026-04-01');
  t.match(todayIn('Asia/Ho_Chi_Minh'), /^\d{4}-\d{2}-\d{2}$/, 'without an instant: now');
});

t.test('isTimeZone', async (t) => {
  t.ok(isTimeZone('Asia/Ho_Chi_Minh'));
  t.ok(isTimeZone('UTC'));
  t.notOk(isTimeZone('Asia/Hanoi_City'));
  t.notOk(isTimeZone('GMT+7 please'));
});

t.test('properties', async (t) => {
  const date = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const check = (name: string, prop: fc.IProperty<any>): void => {
    try {
      fc.assert(prop);
      t.pass(name);
    } catch (err) {
      t.fail(`${name}\n${(err as Error).message}`);
    }
  };
  check('addDays then daysBetween gives the days back', fc.property(date, fc.integer({ min: -20000, max: 20000 }), (d, n) => daysBetween(d, addDays(d, n)) === n));
  check('addDays(n) then addDays(-n) is the same date', fc.property(date, fc.integer({ min: -20000, max: 20000 }), (d, n) => addDays(addDays(d, n), -n) === d));
  check('endOfMonth is a valid date in the same month whose next day is the 1st', fc.property(date, (d) => {
    const end = endOfMonth(d);
    return isIsoDate(end) && end.slice(0, 7) === d.slice(0, 7) && addDays(end, 1).endsWith('-01');
  }));
  check('dayOfMonthAfter never leaves its month', fc.property(date, fc.integer({ min: -24, max: 24 }), fc.integer({ min: 1, max: 31 }), (d, months, day) => {
    const r = dayOfMonthAfter(d, months, day);
    const target = new Date(Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1 + months, 1)).toISOString().slice(0, 7);
    return isIsoDate(r) && r.slice(0, 7) === target && (+r.slice(8) === day || r === endOfMonth(r));
  }));
});
