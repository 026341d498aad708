/**
 * Numbers as people send them (issue #12) in payment terms: a line's percentage or fixed amount,
 * the early-payment discount and the preview total take an exact JSON number as well as a decimal
 * string; a number that is not exact is a 400 naming the field. Answers keep decimal strings.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/payment-terms';

/** 30 % at once, the balance in 60 days (a term of the test's own: the seeded ones' names may change). */
async function thirtySeventy(h: TestApp): Promise<string> {
  const res = await h.request('POST', `${BASE}/terms`, { name: '30/70', lines: [{ value: 'percent', amount: '30', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 60 }] });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id;
}

async function refused(t: Test, h: TestApp, url: string, body: unknown, field: string, what: string): Promise<void> {
  const res = await h.request('POST', url, body);
  t.equal(res.statusCode, 400, `${what}: 400 (${res.body})`);
  t.equal(res.json().field, field, `${what}: names ${field}`);
  t.match(res.json().detail, /send it as a decimal string/, `${what}: asks for a decimal string`);
}

t.test('a term defined with numbers reads back with decimal strings and schedules as with strings', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const lines = [
    { value: 'percent', amount: 30, delayType: 'days_after', days: 0 },
    { value: 'percent', amount: 12.5, delayType: 'days_after', days: 15 },
    { value: 'fixed', amount: 100000, delayType: 'days_after', days: 30 },
    { value: 'balance', delayType: 'days_after', days: 60 },
  ];
  const created = await h.request('POST', `${BASE}/terms`, { name: 'Bốn đợt', lines });
  t.equal(created.statusCode, 201, created.body);
  t.same(created.json().lines.map((l: { amount?: string }) => l.amount), ['30', '12.5', '100000', undefined], 'amounts kept as decimal strings');
  const discount = await h.request('POST', `${BASE}/terms`, { name: '2% 7, net 30', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }], earlyDiscount: { percent: 2, days: 7 } });
  t.equal(discount.statusCode, 201, discount.body);
  t.same(discount.json().earlyDiscount, { percent: '2', days: 7 });

  const asNumber = await h.request('POST', `${BASE}/terms/${created.json().id}/preview`, { date: '2026-01-31', amount: 1000000 });
  const asString = await h.request('POST', `${BASE}/terms/${created.json().id}/preview`, { date: '2026-01-31', amount: '1000000' });
  t.equal(asNumber.statusCode, 200, asNumber.body);
  t.same(asNumber.json(), asString.json(), 'the preview of 1000000 and of "1000000" are the same');
  t.same(asNumber.json().installments.map((i: { amount: string }) => i.amount), ['300000', '125000', '100000', '475000']);
  const discounted = (await h.request('POST', `${BASE}/terms/${discount.json().id}/preview`, { date: '2026-01-31', amount: 1000000 })).json();
  t.same(discounted.discount, { until: '2026-02-07', amount: '20000' });

  const usd = await h.request('POST', `${BASE}/terms/${await thirtySeventy(h)}/preview`, { date: '2026-01-31', amount: 1000.5, currency: 'USD' });
  t.equal(usd.statusCode, 200, usd.body);
  t.same([usd.json().total, ...usd.json().installments.map((i: { amount: string }) => i.amount)], ['1000.50', '300.15', '700.35'], 'a number exact in the preview currency');
});

t.test('numbers that are not exact are refused, naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const id = await thirtySeventy(h);
  await refused(t, h, `${BASE}/terms/${id}/preview`, { date: '2026-01-31', amount: 1000.5 }, 'amount', 'preview 1000.5 VND');
  await refused(t, h, `${BASE}/terms/${id}/preview`, { date: '2026-01-31', amount: 2 ** 53 + 2 }, 'amount', 'preview 2^53 + 2');
  await refused(t, h, `${BASE}/terms/${id}/preview`, { date: '2026-01-31', amount: 12.345, currency: 'USD' }, 'amount', 'preview 12.345 USD');
  const balance = { value: 'balance', delayType: 'days_after', days: 30 };
  await refused(t, h, `${BASE}/terms`, { name: 'x', lines: [{ value: 'percent', amount: 0.1 + 0.2, delayType: 'days_after', days: 0 }, balance] }, 'lines[0].amount', 'percent 0.30000000000000004');
  await refused(t, h, `${BASE}/terms`, { name: 'x', lines: [{ value: 'percent', amount: 1e-7, delayType: 'days_after', days: 0 }, balance] }, 'lines[0].amount', 'percent 1e-7');
  await refused(t, h, `${BASE}/terms`, { name: 'x', lines: [{ value: 'fixed', amount: 500000.5, delayType: 'days_after', days: 0 }, balance] }, 'lines[0].amount', 'fixed 500000.5 VND');
  await refused(t, h, `${BASE}/terms`, { name: 'x', lines: [balance], earlyDiscount: { percent: 1e21, days: 7 } }, 'earlyDiscount.percent', 'discount 1e21');
  t.same((await h.request('GET', `${BASE}/terms`)).json().filter((x: { name: string }) => x.name === 'x'), [], 'no term saved');
});

t.test('an invoice with numbers on a payment term', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Khách hàng KH01' })).statusCode, 201);
  await thirtySeventy(h);
  const res = await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-01-31', paymentTerm: '30/70', post: true, lines: [{ description: 'Cà phê Robusta', quantity: 10, unitPrice: 100000, taxRate: 8 }] });
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json().installments.map((i: { amount: string }) => i.amount), ['324000', '756000']);
});

t.test('property: for any safe integer n, previewing n and String(n) gives the same answer', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const id = await thirtySeventy(h);
  const preview = async (amount: unknown) => {
    const res = await h.request('POST', `${BASE}/terms/${id}/preview`, { date: '2026-01-31', amount });
    return { status: res.statusCode, body: res.json() };
  };
  let accepted = 0;
  await fc.assert(fc.asyncProperty(fc.maxSafeInteger(), async (n) => {
    const [asNumber, asString] = [await preview(n), await preview(String(n))];
    if (asNumber.status === 200) accepted++;
    return isDeepStrictEqual(asNumber, asString);
  }), { seed: Number(process.env.FC_SEED ?? 20260412), numRuns: 60, examples: [[1], [0], [-1], [Number.MAX_SAFE_INTEGER]] });
  t.pass('the same answer for every n tried');
  t.ok(accepted > 0, `some were previewed (${accepted})`);
});
