/** Two clerks match the same bank line at the same moment: one wins, the other gets 409; the books count it once. */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';

t.test('the same line matched twice at once: one 200, one 409, one payment', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' })).statusCode, 201);
  const invoices = [];
  for (const amount of ['300000', '300000']) {
    invoices.push((await h.request('POST', '/api/ledger/invoices', { partner: 'KH01', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Hàng', quantity: '1', unitPrice: amount }] })).json());
  }
  const file = Buffer.from([':20:S1', ':25:0071000123456', ':28C:1/1', ':60F:C260301VND0,', ':61:2603050305C300000,NTRFFT001//B1', ':86:CHUYEN KHOAN', ':62F:C260305VND300000,', '-'].join('\r\n'));
  const imported = await h.app.inject({ method: 'POST', url: '/api/bank-reconciliation/statements?format=mt940', payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/octet-stream' } });
  t.equal(imported.statusCode, 201, imported.body);
  const [line] = (await h.request('GET', `/api/bank-reconciliation/statements/${imported.json().id}/lines`)).json();
  t.equal(line.matchState, 'unmatched', 'two invoices of that amount and no reference: nothing is sure enough to suggest');

  for (let round = 0; round < 3; round++) {
    const [a, b] = await Promise.all(invoices.map((inv) => h.request('POST', `/api/bank-reconciliation/lines/${line.id}/match`, { invoices: [inv.id] })));
    t.same([a.statusCode, b.statusCode].sort(), [200, 409], `round ${round + 1}: one clerk wins`);
    const loser = a.statusCode === 409 ? a : b;
    t.match(loser.json().type, /line-matched/);
    const payments = await sql<{ n: string }>`select count(*)::text as n from ledger_payment where reversed_on is null`.execute(h.db);
    t.equal(payments.rows[0].n, '1', 'one payment in the books');
    const paid = await sql<{ n: string }>`select count(*)::text as n from ledger_invoice where payment_state = 'paid'`.execute(h.db);
    t.equal(paid.rows[0].n, '1', 'one invoice paid');
    t.equal((await h.request('POST', `/api/bank-reconciliation/lines/${line.id}/unmatch`)).statusCode, 200);
  }
});
