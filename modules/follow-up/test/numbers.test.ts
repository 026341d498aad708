/**
 * Numbers as people send them (issue #12) in follow-up: a promise's amount takes an exact JSON
 * number as well as a decimal string; a number that is not exact is a 400 naming the field.
 */
import t from 'tap';
import { BASE, followUpApp, invoice, ok, partner, status } from './helpers.js';

t.test('a promise to pay of a JSON number, on an item and in a call; inexact numbers refused', async (t) => {
  const h = await followUpApp(t);
  const p = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await invoice(h, 'KH01', '500000', '2026-03-05', '2026-04-04');
  const items = (await status(h, p.id, '2026-04-10')).items as Array<{ id: string; residual: string }>;
  const [first, second] = items;

  const promised = ok(await h.request('PUT', `${BASE}/items/${first.id}/promise`, { amount: 400000, date: '2026-04-20', by: 'Chị Lan (kế toán)', channel: 'phone' }));
  t.equal(promised.promise.amount, '400000', 'answered as a decimal string');

  for (const [amount, why] of [[400000.5, 'VND has no decimals'], [2 ** 53 + 2, 'beyond 2^53'], [1e21, 'an exponent'], [0.1 + 0.2, 'float noise']] as const) {
    const res = await h.request('PUT', `${BASE}/items/${first.id}/promise`, { amount, date: '2026-04-20', by: 'Chị Lan', channel: 'phone' });
    t.equal(res.statusCode, 400, `${amount} (${why})`);
    t.equal(res.json().field, 'amount');
    t.match(res.json().detail, /send it as a decimal string/);
  }
  t.equal((await status(h, p.id, '2026-04-10')).items.find((i: { id: string }) => i.id === first.id).promise.amount, '400000', 'the promise is unchanged');

  const call = await h.request('POST', `${BASE}/partners/${p.id}/calls`, { outcome: 'promise_made', promise: { item: second.id, amount: 500000, date: '2026-04-25', by: 'Anh Tuấn' } });
  t.equal(call.statusCode, 201, call.body);
  const after = (await status(h, p.id, '2026-04-10')).items.find((i: { id: string }) => i.id === second.id);
  t.same([after.promise.amount, after.promise.by], ['500000', 'Anh Tuấn'], 'the call recorded the promise');
  const bad = await h.request('POST', `${BASE}/partners/${p.id}/calls`, { outcome: 'promise_made', promise: { item: second.id, amount: 1000.5, date: '2026-04-25', by: 'Anh Tuấn' } });
  t.equal(bad.statusCode, 400, bad.body);
  t.match(bad.json().detail, /send it as a decimal string/);
});
