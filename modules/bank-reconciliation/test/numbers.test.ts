/**
 * Numbers as people send them (issue #12) in bank reconciliation: a rule's amountMin, amountMax
 * and toleranceAmount and a manual match's write-off amount take an exact JSON number as well as a
 * decimal string; a number that is not exact is a 400 naming the field. Rules keep decimal strings.
 */
import t, { type Test } from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, importCsv, statementCsv as csv } from './helpers.js';

async function setUp(t: Test, h: TestApp): Promise<void> {
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' })).statusCode, 201);
  t.equal((await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/ledger`, { settings: { writeOffLimit: '5000' } }, { token: h.adminToken })).statusCode, 200);
}

t.test('a rule with amounts as JSON numbers is kept with decimal strings and matches a short payment', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  await setUp(t, h);
  const inv = (await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: 1, unitPrice: 750000 }] })).json();
  const rule = await h.request('POST', `${BASE}/rules`, { name: 'Minh Phát', conditions: { textContains: 'MINH PHAT', amountMin: 100000, amountMax: 2000000 }, action: { partner: 'KH01', toleranceAmount: 1000 } });
  t.equal(rule.statusCode, 201, rule.body);
  t.same(rule.json().conditions, { textContains: 'MINH PHAT', amountMin: '100000', amountMax: '2000000' }, 'amounts kept as decimal strings');
  t.equal(rule.json().action.toleranceAmount, '1000');
  t.same((await h.request('GET', `${BASE}/rules`)).json()[0].conditions.amountMin, '100000', 'and listed so');

  const res = await importCsv(h, csv([['05/03/2026', 'FT1', '749.000', '1.749.000', '', 'CTY MINH PHAT TT TIEN HANG']]));
  t.equal(res.statusCode, 201, res.body);
  const [line] = (await h.request('GET', `${BASE}/statements/${res.json().id}/lines`)).json();
  t.equal(line.rule, 'rule:Minh Phát', 'the rule found the payer');
  t.equal(line.matchState, 'matched', 'paid short by 1000, within the tolerance');
  t.equal((await h.request('GET', `/api/ledger/invoices/${inv.id}`)).json().paymentState, 'paid');
});

t.test('a manual match writes off a JSON number; inexact numbers are refused, naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  await setUp(t, h);
  for (const [field, conditions, action] of [
    ['conditions.amountMin', { amountMin: 1000.5 }, {}],
    ['conditions.amountMax', { textContains: 'X', amountMax: 2 ** 53 + 2 }, {}],
    ['action.toleranceAmount', { textContains: 'X' }, { toleranceAmount: 0.1 + 0.2 }],
  ] as const) {
    const res = await h.request('POST', `${BASE}/rules`, { name: 'r', conditions, action: { partner: 'KH01', ...action } });
    t.equal(res.statusCode, 400, `${field}: ${res.body}`);
    t.equal(res.json().field, field);
    t.match(res.json().detail, /send it as a decimal string/);
  }
  t.same((await h.request('GET', `${BASE}/rules`)).json(), [], 'no rule saved');

  const inv = (await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: 1, unitPrice: 300000 }] })).json();
  const res = await importCsv(h, csv([['05/03/2026', 'FT9', '298.000', '1.298.000', '', 'KHONG RO NGUOI CHUYEN']]));
  t.equal(res.statusCode, 201, res.body);
  const [line] = (await h.request('GET', `${BASE}/statements/${res.json().id}/lines`)).json();
  const bad = await h.request('POST', `${BASE}/lines/${line.id}/match`, { invoices: [inv.id], writeOff: { amount: 2000.5 } });
  t.equal(bad.statusCode, 400, bad.body);
  t.equal(bad.json().field, 'writeOff.amount');
  t.match(bad.json().detail, /send it as a decimal string/);
  const matched = await h.request('POST', `${BASE}/lines/${line.id}/match`, { invoices: [inv.id], writeOff: { amount: 2000 } });
  t.equal(matched.statusCode, 200, matched.body);
  t.equal(matched.json().matchState, 'matched');
  const after = (await h.request('GET', `/api/ledger/invoices/${inv.id}`)).json();
  t.same([after.residual, after.paymentState], ['0', 'paid'], '298000 paid, 2000 written off');
});
