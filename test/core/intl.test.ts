/** Formatters are made once per locale and options, and the cache stays bounded. */
import t from 'tap';
import { dateFormat, numberFormat } from '../../core/intl.js';
import { formatMoneyForLocale } from '../../core/money.js';

t.test('the same locale and options give the same formatter; other options another', async (t) => {
  const a = numberFormat('vi-VN', { style: 'currency', currency: 'VND' });
  t.equal(numberFormat('vi-VN', { style: 'currency', currency: 'VND' }), a);
  t.not(numberFormat('vi-VN', { style: 'currency', currency: 'USD' }), a);
  t.not(numberFormat('en-US', { style: 'currency', currency: 'VND' }), a);
  const d = dateFormat('ar-EG', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
  t.equal(dateFormat('ar-EG', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }), d);
  const fresh = new Intl.DateTimeFormat('ar-EG', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
  t.equal(d.format(new Date('2026-03-31T00:00:00Z')), fresh.format(new Date('2026-03-31T00:00:00Z')), 'formats as a formatter made for the call');
});

t.test('amounts are formatted as before, whichever locale asked first', async (t) => {
  t.equal(formatMoneyForLocale(1484567n, 'VND', 'vi-VN'), '1.484.567\u00a0₫');
  t.equal(formatMoneyForLocale(125000n, 'USD', 'en-US'), '$1,250.00');
  t.equal(formatMoneyForLocale(1484567n, 'VND', 'vi-VN'), '1.484.567\u00a0₫');
  t.equal(formatMoneyForLocale(1250n, 'KWD', 'en-US'), 'KWD\u00a01.250');
});

t.test('the cache starts over when full instead of growing with every configured locale', async (t) => {
  const first = numberFormat('en-US', { minimumIntegerDigits: 1 });
  for (let i = 0; i < 300; i++) numberFormat('en-US', { minimumIntegerDigits: 1 + (i % 21), maximumFractionDigits: i % 20, minimumFractionDigits: 0 });
  t.not(numberFormat('en-US', { minimumIntegerDigits: 1 }), first, 'made again after the cache was cleared');
  t.equal(numberFormat('en-US', { minimumIntegerDigits: 1 }).format(7), '7');
});
