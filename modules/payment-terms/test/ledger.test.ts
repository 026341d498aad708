/**
 * Payment terms through the ledger's REST API: one receivable line per instalment, the
 * early-payment discount booked when paid in time, versions frozen on posted invoices, partner
 * default terms, and what happens when the module is disabled.
 */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/payment-terms';

async function partner(h: TestApp, ref: string): Promise<string> {
  const res = await h.request('POST', '/api/ledger/partners', { ref, name: `Khách hàng ${ref}` });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id;
}

async function invoice(h: TestApp, body: Record<string, unknown>) {
  return h.request('POST', '/api/ledger/invoices', { post: true, lines: [{ description: 'Cà phê Robusta', quantity: '10', unitPrice: '100000', taxRate: '8' }], ...body });
}

async function termId(h: TestApp, name: string): Promise<string> {
  return ((await h.request('GET', `${BASE}/terms`)).json() as Array<{ id: string; name: string }>).find((x) => x.name === name)!.id;
}

t.test('an invoice with a term gets one receivable line per instalment, by term name or id', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  const byName = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: '30% now, balance 60 days' });
  t.equal(byName.statusCode, 201, byName.body);
  const inv = byName.json();
  t.equal(inv.total, '1080000');
  t.same(inv.installments, [
    { dueDate: '2026-01-31', amount: '324000', residual: '324000' },
    { dueDate: '2026-04-01', amount: '756000', residual: '756000' },
  ]);
  t.equal(inv.dueDate, '2026-04-01', 'the invoice is due with its last instalment');
  t.match(inv.paymentTerm, { id: await termId(h, 'Trả trước 30%, còn lại sau 60 ngày'), name: 'Trả trước 30%, còn lại sau 60 ngày', version: 1 }, 'the seeded term, named in the company\'s language (vi-VN), found by its English name');
  const lines = await sql<{ date_maturity: string; debit: bigint }>`
    select date_maturity, debit from ledger_move_line where invoice_id = ${inv.id} and receivable order by date_maturity`.execute(h.db);
  t.same(lines.rows, [{ date_maturity: '2026-01-31', debit: 324000n }, { date_maturity: '2026-04-01', debit: 756000n }], 'two receivable lines in the books');

  const byId = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: await termId(h, '30 ngày, cuối tháng') });
  t.same(byId.json().installments, [{ dueDate: '2026-03-31', amount: '1080000', residual: '1080000' }]);
  const caseless = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: '15 DAYS' });
  t.equal(caseless.json().dueDate, '2026-02-15', 'names match whatever the case');

  const unknown = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: 'Net 45' });
  t.equal(unknown.statusCode, 400);
  t.equal(unknown.json().field, 'paymentTerm');
  t.match(unknown.json().detail, /no payment term 'Net 45'/);

  const deposit = await h.request('POST', `${BASE}/terms`, { name: 'Deposit 5M', lines: [{ value: 'fixed', amount: '5000000', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }] });
  t.equal(deposit.statusCode, 201);
  const tooSmall = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: 'Deposit 5M' });
  t.equal(tooSmall.statusCode, 400, 'a fixed line larger than the invoice is refused at posting');
  t.equal(tooSmall.json().field, 'paymentTerm');
  t.match(tooSmall.json().detail, /lines\[0\] \(a fixed 5000000\) brings the instalments above the total of 1080000 VND/);
});

t.test('"2% 10, net 30": 98% paid within ten days settles the invoice; paid on day 11 the 2% stays open', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  const early = (await invoice(h, { partner: 'KH01', date: '2026-03-02', paymentTerm: '2% 10, net 30' })).json();
  t.same(early.installments, [{ dueDate: '2026-04-01', amount: '1080000', residual: '1080000' }]);
  t.same(early.discount, { until: '2026-03-12', amount: '21600' }, 'the discount is shown on the invoice');

  const paid = await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-12', amount: '1058400', journal: 'cash' });
  t.equal(paid.statusCode, 201, paid.body);
  const settled = (await h.request('GET', `/api/ledger/invoices/${early.id}`)).json();
  t.equal(settled.residual, '0', 'the invoice is settled');
  t.equal(settled.paymentState, 'paid');
  t.equal((await h.request('GET', '/api/ledger/partners/KH01')).json().balance, '0', 'the partner owes nothing');
  const discount = await sql<{ debit: bigint }>`select l.debit from ledger_move_line l join ledger_move m on m.tenant_id = l.tenant_id and m.id = l.move_id
    where m.partner_id = ${early.partner.id} and l.account_code = '635'`.execute(h.db);
  t.same(discount.rows, [{ debit: 21600n }], 'the discount is booked to early-payment discounts (635), not lost');

  const late = (await invoice(h, { partner: 'KH02', date: '2026-03-02', paymentTerm: '2% 10, net 30' })).json();
  t.equal((await h.request('POST', '/api/ledger/payments', { partner: 'KH02', date: '2026-03-13', amount: '1058400', journal: 'cash' })).statusCode, 201);
  const open = (await h.request('GET', `/api/ledger/invoices/${late.id}`)).json();
  t.equal(open.residual, '21600', 'paid on day 11: no discount, 2% stays open');
  t.equal(open.paymentState, 'partial');
  t.equal((await h.request('GET', '/api/ledger/partners/KH02')).json().balance, '21600');
});

t.test('editing a term after posting changes no posted invoice; the next invoice uses the new version', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  const term = (await h.request('POST', `${BASE}/terms`, { name: 'Net 20', lines: [{ value: 'balance', delayType: 'days_after', days: 20 }] })).json();
  const before = (await invoice(h, { partner: 'KH01', date: '2026-05-04', paymentTerm: 'Net 20' })).json();
  const draft = (await invoice(h, { partner: 'KH01', date: '2026-05-04', paymentTerm: 'Net 20', post: false })).json();
  t.equal(draft.state, 'draft');

  const edited = await h.request('PUT', `${BASE}/terms/${term.id}`, {
    name: 'Net 20', lines: [{ value: 'percent', amount: '50', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 45 }],
  });
  t.equal(edited.json().version, 2);

  const posted = (await h.request('GET', `/api/ledger/invoices/${before.id}`)).json();
  t.same(posted.installments, before.installments, 'the posted invoice keeps its instalments');
  t.same(posted.installments, [{ dueDate: '2026-05-24', amount: '1080000', residual: '1080000' }]);
  t.match(posted.paymentTerm, { id: term.id, version: 1 }, 'and the version it was posted with');

  const after = (await invoice(h, { partner: 'KH01', date: '2026-05-04', paymentTerm: 'Net 20' })).json();
  t.same(after.installments.map((i: { dueDate: string; amount: string }) => [i.dueDate, i.amount]), [['2026-05-04', '540000'], ['2026-06-18', '540000']]);
  t.match(after.paymentTerm, { id: term.id, version: 2 });
  const postedDraft = (await h.request('POST', `/api/ledger/invoices/${draft.id}/post`)).json();
  t.match(postedDraft.paymentTerm, { version: 2 }, 'a draft is not posted yet: it takes the version current when it is posted');

  t.equal((await h.request('DELETE', `${BASE}/terms/${term.id}`)).statusCode, 200);
  t.same((await h.request('GET', `/api/ledger/invoices/${after.id}`)).json().installments, after.installments, 'archiving the term changes no invoice either');
  const archived = await invoice(h, { partner: 'KH01', date: '2026-05-04', paymentTerm: term.id });
  t.equal(archived.statusCode, 400);
  t.equal(archived.json().field, 'paymentTerm');
  t.match(archived.json().detail, /archived/);
});

t.test("the partner's default term applies when an invoice gives neither dueDate nor paymentTerm", async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  t.equal((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: '30% now, balance 60 days' })).statusCode, 200);

  const byDefault = (await invoice(h, { partner: 'KH01', date: '2026-01-31' })).json();
  t.same(byDefault.installments.map((i: { dueDate: string }) => i.dueDate), ['2026-01-31', '2026-04-01']);
  t.match(byDefault.paymentTerm, { name: 'Trả trước 30%, còn lại sau 60 ngày' });
  const dueDate = (await invoice(h, { partner: 'KH01', date: '2026-01-31', dueDate: '2026-02-28' })).json();
  t.same(dueDate.installments, [{ dueDate: '2026-02-28', amount: '1080000', residual: '1080000' }], 'a due date given on the invoice wins');
  const other = (await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: '15 days' })).json();
  t.equal(other.dueDate, '2026-02-15', 'so does a term given on the invoice');
  const none = (await invoice(h, { partner: 'KH02', date: '2026-01-31' })).json();
  t.same(none.installments, [{ dueDate: '2026-01-31', amount: '1080000', residual: '1080000' }], 'no default: due on the invoice date');
});

t.test('with the module disabled the ledger refuses payment terms and ignores partner defaults', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  t.equal((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: '15 days' })).statusCode, 200);
  const url = `/api/admin/tenants/${h.tenant.slug}/modules/payment-terms`;
  t.equal((await h.request('DELETE', url, undefined, { token: h.adminToken })).statusCode, 200);

  const refused = await invoice(h, { partner: 'KH01', date: '2026-01-31', paymentTerm: '15 days' });
  t.equal(refused.statusCode, 400);
  t.equal(refused.json().field, 'paymentTerm');
  t.match(refused.json().detail, /payment-terms module/);
  const plain = (await invoice(h, { partner: 'KH01', date: '2026-01-31' })).json();
  t.same(plain.installments, [{ dueDate: '2026-01-31', amount: '1080000', residual: '1080000' }], 'the partner default is not used');
  t.equal((await h.request('GET', `${BASE}/terms`)).statusCode, 404, 'the routes are gone');

  t.equal((await h.request('PUT', url, undefined, { token: h.adminToken })).statusCode, 200);
  t.equal((await invoice(h, { partner: 'KH01', date: '2026-01-31' })).json().dueDate, '2026-02-15', 'enabled again: the kept default applies');
});

t.test('instalments sum to the invoice total in a 3-decimal currency', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'], tenant: { currency: 'KWD' } });
  await partner(h, 'KW01');
  const term = await h.request('POST', `${BASE}/terms`, {
    name: 'Thirds', lines: [
      { value: 'percent', amount: '33.333333', delayType: 'days_after', days: 0 },
      { value: 'percent', amount: '33.333333', delayType: 'days_after_end_of_month', days: 0 },
      { value: 'balance', delayType: 'days_after_end_of_next_month', days: 0 },
    ],
  });
  t.equal(term.statusCode, 201, term.body);
  const res = await h.request('POST', '/api/ledger/invoices', { partner: 'KW01', date: '2024-01-31', paymentTerm: 'Thirds', post: true, lines: [{ description: 'Service', quantity: '1', unitPrice: '10.001' }] });
  t.equal(res.statusCode, 201, res.body);
  // 31 January: the first two thirds fall on the invoice date (end of January) and are merged.
  t.same(res.json().installments.map((i: { dueDate: string; amount: string }) => [i.dueDate, i.amount]), [['2024-01-31', '6.668'], ['2024-02-29', '3.333']]);
});

t.test('bulk posting takes payment terms like a single invoice: named, the partner default, or a due date', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  t.equal((await h.request('PUT', `${BASE}/partners/KH02/default-term`, { term: '15 days' })).statusCode, 200);
  const line = [{ description: 'Cà phê Robusta', quantity: '10', unitPrice: '100000', taxRate: '8' }];
  const bulk = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [
    { partner: 'KH01', date: '2026-01-31', paymentTerm: '30% now, balance 60 days', lines: line },
    { partner: 'KH02', date: '2026-01-31', lines: line },
    { partner: 'KH02', date: '2026-01-31', dueDate: '2026-02-10', lines: line },
  ] });
  t.equal(bulk.statusCode, 201, bulk.body);
  const [split, byDefault, dated] = await Promise.all(bulk.json().invoices.map(async (i: { id: string }) => (await h.request('GET', `/api/ledger/invoices/${i.id}`)).json()));
  t.same(split.installments, [
    { dueDate: '2026-01-31', amount: '324000', residual: '324000' },
    { dueDate: '2026-04-01', amount: '756000', residual: '756000' },
  ], 'the same instalments as a single invoice with that term');
  t.match(split.paymentTerm, { name: 'Trả trước 30%, còn lại sau 60 ngày', version: 1 });
  t.equal(split.dueDate, '2026-04-01');
  t.same(byDefault.installments, [{ dueDate: '2026-02-15', amount: '1080000', residual: '1080000' }], "the partner's default term");
  t.same(dated.installments, [{ dueDate: '2026-02-10', amount: '1080000', residual: '1080000' }], 'a due date wins over the default');
  const lines = await sql<{ date_maturity: string; debit: bigint }>`
    select date_maturity, debit from ledger_move_line where invoice_id = ${split.id} and receivable order by date_maturity`.execute(h.db);
  t.same(lines.rows, [{ date_maturity: '2026-01-31', debit: 324000n }, { date_maturity: '2026-04-01', debit: 756000n }], 'one receivable line per instalment');

  const before = (await sql<{ n: number }>`select count(*)::int as n from ledger_invoice`.execute(h.db)).rows[0].n;
  const bad = await h.request('POST', '/api/ledger/invoices/bulk', { invoices: [
    { partner: 'KH01', date: '2026-01-31', paymentTerm: 'Net 45', lines: line },
    { partner: 'KH01', date: '2026-01-31', paymentTerm: '15 days', dueDate: '2026-02-01', lines: line },
  ] });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors.map((e: { field: string }) => e.field), ['invoices[0].paymentTerm', 'invoices[1].paymentTerm'], 'each bad invoice named');
  t.match(bad.json().errors[0].message, /Net 45/);
  t.equal((await sql<{ n: number }>`select count(*)::int as n from ledger_invoice`.execute(h.db)).rows[0].n, before, 'nothing written');
});
