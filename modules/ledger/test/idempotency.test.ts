import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { count, invoiceNow, newPartner, ok } from './fixtures.js';

t.test('a retried invoice or payment POST with the same Idempotency-Key creates nothing twice', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  const invoiceBody = { partner: 'KH001', date: '2026-08-01', dueDate: '2026-08-31', post: true, lines: [{ description: 'Xi măng (tấn)', quantity: '2', unitPrice: '1650000', taxRate: '10' }] };
  const key = (k: string) => ({ headers: { 'idempotency-key': k } });

  const first = await h.request('POST', '/api/ledger/invoices', invoiceBody, key('hd-2026-08-001'));
  t.equal(first.statusCode, 201, first.body);
  const retry = await h.request('POST', '/api/ledger/invoices', invoiceBody, key('hd-2026-08-001'));
  t.equal(retry.statusCode, 201);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.json(), first.json(), 'the retry gets the first response');
  t.equal(first.json().number, 'INV/2026/00001');
  t.equal(await count(h, 'ledger_invoice'), 1);
  t.equal(await count(h, 'ledger_move'), 1);

  const next = ok(await h.request('POST', '/api/ledger/invoices', { ...invoiceBody, dueDate: '2026-09-30' }, key('hd-2026-08-002')));
  t.equal(next.number, 'INV/2026/00002', 'a new key is a new invoice');

  const payBody = { partner: 'KH001', date: '2026-08-05', amount: '2000000', reference: 'UNC 7781' };
  const p1 = await h.request('POST', '/api/ledger/payments', payBody, key('pt-7781'));
  t.equal(p1.statusCode, 201, p1.body);
  const p2 = await h.request('POST', '/api/ledger/payments', payBody, key('pt-7781'));
  t.equal(p2.statusCode, 201);
  t.equal(p2.headers['idempotent-replayed'], 'true');
  t.same(p2.json(), p1.json());
  t.equal(await count(h, 'ledger_payment'), 1);
  t.equal(await count(h, 'ledger_partial'), 1);
  t.equal((await invoiceNow(h, first.json().id)).residual, '1630000', 'allocated once, not twice');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '5260000');

  const reused = await h.request('POST', '/api/ledger/payments', { ...payBody, amount: '3000000' }, key('pt-7781'));
  t.equal(reused.statusCode, 422, 'the same key for another payment is refused');
  t.equal(reused.json().field, 'header.idempotency-key');
  t.equal(await count(h, 'ledger_payment'), 1);

  // A refused request is answered the same way again and creates nothing either time.
  const bad = { ...payBody, amount: '1e6' };
  const r1 = await h.request('POST', '/api/ledger/payments', bad, key('pt-bad'));
  const r2 = await h.request('POST', '/api/ledger/payments', bad, key('pt-bad'));
  t.equal(r1.statusCode, 400);
  t.equal(r2.statusCode, 400);
  t.equal(r2.json().field, 'amount');
  t.equal(await count(h, 'ledger_payment'), 1);

  const partly = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-08-06', amount: '300000', allocations: [{ invoice: first.json().id, amount: '100000' }] }));
  const alloc = { payment: partly.id, invoice: next.id, amount: '100000' };
  ok(await h.request('POST', '/api/ledger/allocations', alloc, key('al-1')));
  const allocRetry = await h.request('POST', '/api/ledger/allocations', alloc, key('al-1'));
  t.equal(allocRetry.headers['idempotent-replayed'], 'true');
  t.equal((await invoiceNow(h, next.id)).residual, '3530000', 'an allocation retried is applied once');
});
