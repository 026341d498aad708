import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';

t.test('bulk posting numbers, books and reports invoices like one-by-one posting', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  for (const ref of ['KH1', 'KH2']) t.equal((await h.request('POST', '/api/ledger/partners', { ref, name: `Khách ${ref}` })).statusCode, 201);
  const single = await h.request('POST', '/api/ledger/invoices', { partner: 'KH1', date: '2026-03-01', dueDate: '2026-03-31', post: true, lines: [{ description: 'Phí dịch vụ', quantity: '1', unitPrice: '1000000', taxRate: '10' }] });
  t.equal(single.json().number, 'INV/2026/00001');

  const invoices = Array.from({ length: 40 }, (_, i) => ({
    partner: i % 2 ? 'KH2' : 'KH1', date: i < 30 ? '2026-03-02' : '2027-01-05', dueDate: i < 30 ? '2026-04-01' : '2027-02-05',
    lines: [{ description: 'Hàng hoá', quantity: '2.5', unitPrice: '33333', taxRate: '8' }, { description: 'Vận chuyển', quantity: '1', unitPrice: '15000' }],
  }));
  const res = await h.request('POST', '/api/ledger/invoices/bulk', { invoices });
  t.equal(res.statusCode, 201, res.body);
  const body = res.json();
  t.equal(body.created, 40);
  t.equal(body.invoices[0].number, 'INV/2026/00002');
  t.equal(body.invoices[29].number, 'INV/2026/00031');
  t.equal(body.invoices[30].number, 'INV/2027/00001', 'a new year starts its own numbering');
  // 2.5 × 33333 = 83332.5 → 83333; tax 8 % = 6666.64 → 6667; + 15000
  t.equal(body.invoices[0].total, '105000');
  t.equal(new Set(body.invoices.map((i: { paymentReference: string }) => i.paymentReference)).size, 40);

  const one = (await h.request('GET', `/api/ledger/invoices/${body.invoices[3].id}`)).json();
  t.equal(one.state, 'posted');
  t.equal(one.paymentState, 'not_paid');
  t.same(one.installments, [{ dueDate: '2026-04-01', amount: '105000', residual: '105000' }]);
  t.equal((await h.request('GET', '/api/ledger/partners/KH2')).json().balance, String(20 * 105000));

  const unbalanced = await sql<{ n: bigint }>`
    select count(*) as n from (select move_id from ledger_move_line group by move_id having sum(debit) <> sum(credit)) x`.execute(h.db);
  t.equal(unbalanced.rows[0].n, 0n, 'every entry balances');
  const events = await sql<{ n: bigint }>`select count(*) as n from core_event_outbox where name = 'invoice.posted'`.execute(h.db);
  t.equal(events.rows[0].n, 41n, 'one invoice.posted event per invoice');
});

t.test('bulk posting is all or nothing and names every bad invoice', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await h.request('POST', '/api/ledger/partners', { ref: 'KH1', name: 'Khách 1' });
  const res = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [
    { partner: 'KH1', date: '2026-03-02', lines: [{ description: 'A', quantity: '1', unitPrice: '100' }] },
    { partner: 'NOPE', date: '2026-03-02', lines: [{ description: 'B', quantity: '1', unitPrice: '100' }] },
    { partner: 'KH1', date: '2026-03-02', lines: [{ description: 'C', quantity: '1', unitPrice: '1.5' }] },
  ] });
  t.equal(res.statusCode, 400);
  t.same(res.json().errors.map((e: { field: string }) => e.field), ['invoices[1].partner', 'invoices[2].lines[0].unitPrice']);
  const count = await sql<{ n: bigint }>`select count(*) as n from ledger_invoice`.execute(h.db);
  t.equal(count.rows[0].n, 0n, 'nothing written');
  const next = await h.request('POST', '/api/ledger/invoices', { partner: 'KH1', date: '2026-03-02', post: true, lines: [{ description: 'A', quantity: '1', unitPrice: '100' }] });
  t.equal(next.json().number, 'INV/2026/00001', 'no number was used up');
});
