import t from 'tap';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok, postedInvoice } from './fixtures.js';

// JSON numbers are taken where exact in USD (5, 5.5: see numbers.test.ts); these are not.
const NOT_MONEY: unknown[] = ['0.001', '-5', '1e3', '1,000', '1.000,50', ' 5', '5.', '.5', '+5', '0x10', 'NaN', 'Infinity', '', 5.555, 0.30000000000000004, 2 ** 53 + 2, 1e21, -5, 0, null, true];

t.test('USD company: amounts are decimal strings (or exact JSON numbers) with at most 2 decimals; anything else is a 400 naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'], tenant: { currency: 'USD' } });
  await newPartner(h, 'C-100');
  const inv = await postedInvoice(h, 'C-100', '100.00', '2026-05-01', '2026-05-31');
  t.equal(inv.total, '100.00');

  for (const amount of NOT_MONEY) {
    const res = await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount });
    t.equal(res.statusCode, 400, `amount ${JSON.stringify(amount)}`);
    t.equal(res.json().field, 'amount', `amount ${JSON.stringify(amount)} → field amount`);
  }
  const zero = await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '0' });
  t.equal(zero.json().field, 'amount', 'a payment of nothing');
  t.match((await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '0.001' })).json().detail, /3 decimals; USD has 2/);

  for (const amount of ['-5', '1e3', '0.001', '1,000', 5.001, '']) {
    const res = await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '10.00', allocations: [{ invoice: inv.id, amount }] });
    t.equal(res.statusCode, 400);
    t.equal(res.json().field, 'allocations[0].amount', `allocation ${JSON.stringify(amount)}`);
  }
  // A negative unit price is a discount line (invoices.test.ts); these are not amounts at all.
  for (const unitPrice of ['1e3', '0.001', '1,000', 1.005, '', '--5']) {
    const res = await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-02', lines: [{ description: 'Widget', quantity: '1', unitPrice: '1.00' }, { description: 'Widget', quantity: '1', unitPrice }] });
    t.equal(res.statusCode, 400);
    t.equal(res.json().field, 'lines[1].unitPrice', `unit price ${JSON.stringify(unitPrice)}`);
  }
  for (const quantity of ['-1', '1e3', '1,5', 0.1234567, '']) {
    const res = await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-02', lines: [{ description: 'Widget', quantity, unitPrice: '1.00' }] });
    t.equal(res.statusCode, 400);
    t.equal(res.json().field, 'lines[0].quantity', `quantity ${JSON.stringify(quantity)}`);
  }
  const rate = await h.request('POST', '/api/ledger/invoices', { partner: 'C-100', date: '2026-05-02', lines: [{ description: 'Widget', quantity: '1', unitPrice: '1.00', taxRate: '10%' }] });
  t.equal(rate.json().field, 'lines[0].taxRate');
  const allocation = await h.request('POST', '/api/ledger/allocations', { payment: '00000000-0000-4000-8000-000000000000', invoice: inv.id, amount: '1e3' });
  t.equal(allocation.statusCode, 404, 'an unknown payment is looked up before the amount');
  const writeOff = await h.request('POST', `/api/ledger/invoices/${inv.id}/write-off`, { amount: '0.001' });
  t.equal(writeOff.json().field, 'amount');

  for (const currency of ['VND', 'EUR', 'usd']) {
    const res = await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '10.00', currency });
    t.equal(res.statusCode, 400);
    t.equal(res.json().field, 'currency', `currency ${currency}`);
    t.match(res.json().detail, /keeps its books in USD/);
  }
  t.equal(await count(h, 'ledger_payment'), 0, 'nothing refused was registered');
  t.equal(await count(h, 'ledger_invoice'), 1);

  const fine = ok(await h.request('POST', '/api/ledger/payments', { partner: 'C-100', date: '2026-05-02', amount: '12.5', currency: 'USD', allocations: [{ invoice: inv.id, amount: '2' }] }));
  t.equal(fine.amount, '12.50', 'amounts come back with the currency\'s decimals');
  t.equal(fine.allocated, '2.00');
  t.equal(fine.unallocated, '10.50');
  t.equal(fine.currency, 'USD');
});

t.test('VND company: đồng have no decimals', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001');
  for (const amount of ['0.5', '1000.00', '1.000.000', '1 000 000']) {
    const res = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount });
    t.equal(res.statusCode, 400, amount);
    t.equal(res.json().field, 'amount');
  }
  const usd = await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: '100', currency: 'USD' });
  t.equal(usd.json().field, 'currency');
  const big = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-05-02', amount: '90071992547409930' }));
  t.equal(big.amount, '90071992547409930', 'beyond 2^53, exact');
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH001')).balance, '-90071992547409930');
});
