/**
 * A tenant's matching rule runs on a linear-time engine: a pattern that would make a
 * backtracking engine run for ages costs no more than any other, and the server keeps answering
 * other tenants; patterns the engine cannot run are refused when the rule is saved.
 */
import t from 'tap';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, importCsv, statementCsv as csv } from './helpers.js';

t.test('a catastrophic-backtracking pattern is matched in linear time; a real pattern finds its payer', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' })).statusCode, 201);
  const inv = (await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '750000' }] })).json();

  const evil = await h.request('POST', `${BASE}/rules`, { name: 'evil', conditions: { textRegex: '^(a+)+$' }, action: { partner: 'KH01' } });
  t.equal(evil.statusCode, 201, 'RE2 runs it in linear time, so it may be saved');
  const real = await h.request('POST', `${BASE}/rules`, { name: 'Minh Phát', sequence: 20, conditions: { textRegex: 'minh\\s*phat' }, action: { partner: 'KH01' } });
  t.equal(real.statusCode, 201);

  // 'a' × 30,000 then '!': a backtracking engine would need about 2^30000 steps for `^(a+)+$`.
  const started = Date.now();
  const res = await importCsv(h, csv([
    ['05/03/2026', 'FT1', '10.000', '1.010.000', '', 'a'.repeat(30_000) + '!'],
    ['06/03/2026', 'FT2', '750.000', '1.760.000', '', 'CTY MINH PHAT TT TIEN HANG'],
  ]));
  t.equal(res.statusCode, 201, res.body);
  t.ok(Date.now() - started < 60_000, 'the import finished (a backtracking engine would never finish)');
  const lines = (await h.request('GET', `${BASE}/statements/${res.json().id}/lines`)).json();
  const byRef = new Map(lines.map((l: any) => [l.reference, l]));
  t.equal((byRef.get('FT1') as any).matchState, 'unmatched', 'the evil pattern matches nothing there');
  t.equal((byRef.get('FT2') as any).rule, 'rule:Minh Phát', 'the saved pattern, case-insensitive, found the payer');
  t.equal((await h.request('GET', `/api/ledger/invoices/${inv.id}`)).json().paymentState, 'paid');
});

t.test('patterns the engine cannot run are refused with the reason, naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' });
  for (const [pattern, why] of [
    ['(?<=HD)\\d+', /look-around/],
    ['(a)\\1', /back-references/],
    ['(unclosed', /missing closing \)/],
    ['x'.repeat(501), /500 characters/],
    ['(a{100}){100}', /invalid repeat count/],
  ] as const) {
    const res = await h.request('POST', `${BASE}/rules`, { name: 'r', conditions: { textRegex: pattern }, action: { partner: 'KH01' } });
    t.equal(res.statusCode, 400, pattern.slice(0, 20));
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.json().field, 'conditions.textRegex');
    t.match(res.json().detail, why);
  }
  t.same((await h.request('GET', `${BASE}/rules`)).json(), [], 'no rule saved');
});

t.test('a manual match asked to save a rule on a line without a payer account is matched, with a warning', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' });
  const inv = (await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: '300000' }] })).json();
  const res = await importCsv(h, csv([['05/03/2026', 'FT9', '300.000', '1.300.000', '', 'KHONG RO NGUOI CHUYEN']]));
  t.equal(res.statusCode, 201, `imported: ${res.body}`);
  const [line] = (await h.request('GET', `${BASE}/statements/${res.json().id}/lines`)).json();
  t.not(line.matchState, 'matched', 'no payer known: not matched automatically');
  const matched = await h.request('POST', `${BASE}/lines/${line.id}/match`, { invoices: [inv.id], saveRule: true });
  t.equal(matched.statusCode, 200, matched.body);
  t.equal(matched.json().matchState, 'matched', 'the match itself is made');
  t.same(matched.json().warnings, ['no rule was saved: the line names no payer account to remember']);
  t.same((await h.request('GET', `${BASE}/rules`)).json(), [], 'and no rule');
  t.equal((await h.request('GET', `/api/ledger/invoices/${inv.id}`)).json().paymentState, 'paid');
});
