/**
 * The payment-terms REST API on its own: seeded terms, defining, editing (versions), archiving,
 * previewing, refused definitions, partner default terms, roles.
 */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/payment-terms';

async function termId(h: TestApp, name: string): Promise<string> {
  const terms = (await h.request('GET', `${BASE}/terms`)).json() as Array<{ id: string; name: string }>;
  const found = terms.find((x) => x.name === name);
  if (!found) throw new Error(`no term ${name}`);
  return found.id;
}

async function preview(h: TestApp, id: string, body: Record<string, unknown>) {
  return h.request('POST', `${BASE}/terms/${id}/preview`, body);
}

t.test('enabling the module seeds the usual terms once, named in the company\'s language (vi-VN); each previews as its name says', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const terms = (await h.request('GET', `${BASE}/terms`)).json() as Array<{ name: string; version: number; archived: boolean; note: string | null }>;
  t.same(terms.map((x) => x.name), ['Thanh toán ngay', 'Thanh toán trong 15 ngày', 'Thanh toán trong 30 ngày', '30 ngày, cuối tháng', 'Trả trước 30%, còn lại sau 60 ngày', 'Chiết khấu 2% trong 10 ngày, hạn 30 ngày']);
  t.equal(terms[3].note, 'Ngày hóa đơn + 30 ngày, rồi đến cuối tháng đó', 'notes too');
  t.ok(terms.every((x) => x.version === 1 && !x.archived));

  // Invoice of 31 January 2026 for 1 000 000 VND.
  const expected: Record<string, unknown> = {
    'Thanh toán ngay': { installments: [{ dueDate: '2026-01-31', amount: '1000000' }] },
    'Thanh toán trong 15 ngày': { installments: [{ dueDate: '2026-02-15', amount: '1000000' }] },
    'Thanh toán trong 30 ngày': { installments: [{ dueDate: '2026-03-02', amount: '1000000' }] },
    '30 ngày, cuối tháng': { installments: [{ dueDate: '2026-03-31', amount: '1000000' }] },
    'Trả trước 30%, còn lại sau 60 ngày': { installments: [{ dueDate: '2026-01-31', amount: '300000' }, { dueDate: '2026-04-01', amount: '700000' }] },
    'Chiết khấu 2% trong 10 ngày, hạn 30 ngày': { installments: [{ dueDate: '2026-03-02', amount: '1000000' }], discount: { until: '2026-02-10', amount: '20000' } },
  };
  for (const [name, want] of Object.entries(expected)) {
    const res = await preview(h, await termId(h, name), { date: '2026-01-31', amount: '1000000' });
    t.equal(res.statusCode, 200, `${name}: ${res.body}`);
    const body = res.json();
    t.same({ installments: body.installments, ...(body.discount ? { discount: body.discount } : {}) }, want, name);
    t.same(body.term.name, name);
    t.equal(body.currency, 'VND');
  }

  const url = `/api/admin/tenants/${h.tenant.slug}/modules/payment-terms`;
  t.equal((await h.request('DELETE', url, undefined, { token: h.adminToken })).statusCode, 200);
  t.equal((await h.request('PUT', url, undefined, { token: h.adminToken })).statusCode, 200);
  t.equal((await h.request('GET', `${BASE}/terms`)).json().length, 6, 'enabling again seeds nothing twice');
});

t.test("a company in Chinese, Arabic or English gets the seeded terms in its language; a seeded term answers to its name in any of them", async (t) => {
  const cases: Array<[string, string[]]> = [
    ['zh-CN', ['立即付款', '15天', '30天', '30天月底', '预付30%，余款60天', '10天内付款折扣2%，30天到期']],
    ['ar-EG', ['الدفع الفوري', '15 يومًا', '30 يومًا', '30 يومًا نهاية الشهر', '30% مقدمًا، والباقي خلال 60 يومًا', 'خصم 2% خلال 10 أيام، صافي 30 يومًا']],
    ['en-US', ['Immediate', '15 days', '30 days', '30 days end of month', '30% now, balance 60 days', '2% 10, net 30']],
  ];
  for (const [locale, names] of cases) {
    const h = await buildTestApp(t, { modules: ['payment-terms'], tenant: { slug: `co-${locale.toLowerCase()}`, locale } });
    const terms = (await h.request('GET', `${BASE}/terms`)).json() as Array<{ name: string }>;
    t.same(terms.map((x) => x.name), names, `${locale}: the names`);
    t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Khách hàng KH01' })).statusCode, 201);
    // The same term by its English, Vietnamese or own name.
    for (const asked of ['30 days end of month', '30 ngày, cuối tháng', names[3]]) {
      const set = await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: asked });
      t.equal(set.statusCode, 200, set.body);
      t.equal(set.json().term.name, names[3], `${locale}: '${asked}' is its '${names[3]}'`);
    }
  }
});

t.test('a clerk defines a term, previews it in currencies of 0, 2 and 3 decimals, and edits it into a new version', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const created = await h.request('POST', `${BASE}/terms`, {
    name: 'Một phần ba', note: 'Ba đợt',
    lines: [
      { value: 'percent', amount: '33.333333', delayType: 'days_after', days: 0 },
      { value: 'percent', amount: '33.333333', delayType: 'days_after_end_of_month', days: 10 },
      { value: 'balance', delayType: 'days_end_of_month_on_the', days: 30, dayOfMonth: 31 },
    ],
  });
  t.equal(created.statusCode, 201, created.body);
  const term = created.json();
  t.match(term, { name: 'Một phần ba', note: 'Ba đợt', version: 1, currentVersion: 1, archived: false, earlyDiscount: null });
  t.same(term.lines[2], { value: 'balance', delayType: 'days_end_of_month_on_the', days: 30, dayOfMonth: 31 });
  t.same((await h.request('GET', `${BASE}/terms/${term.id}`)).json(), term);

  const cases: Array<[string, string, string[]]> = [
    ['VND', '100', ['33', '33', '34']],
    ['USD', '100.00', ['33.33', '33.33', '33.34']],
    ['KWD', '100.000', ['33.333', '33.333', '33.334']],
    ['KWD', '0.001', ['0.001']],
  ];
  for (const [currency, amount, parts] of cases) {
    const res = await preview(h, term.id, { date: '2024-01-15', amount, currency });
    t.equal(res.statusCode, 200, res.body);
    const body = res.json();
    t.same(body.installments.map((i: { amount: string }) => i.amount), parts, `${amount} ${currency}`);
    t.equal(body.total, amount);
    t.equal(body.discount, undefined, 'no discount field without an early-payment discount');
  }
  t.same((await preview(h, term.id, { date: '2024-01-01', amount: '100' })).json().installments.map((i: { dueDate: string }) => i.dueDate),
    ['2024-01-01', '2024-02-10', '2024-02-29'], 'leap year: 1 Jan + 30 days = 31 Jan, then day 31 of February clamps to the 29th');

  const edited = await h.request('PUT', `${BASE}/terms/${term.id}`, {
    name: 'Một phần ba', lines: [{ value: 'percent', amount: '50', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 45 }],
  });
  t.equal(edited.statusCode, 200, edited.body);
  t.match(edited.json(), { version: 2, currentVersion: 2, note: null });
  t.equal((await preview(h, term.id, { date: '2026-01-01', amount: '1000' })).json().installments.length, 2, 'previews use the current version');
  const v1 = (await h.request('GET', `${BASE}/terms/${term.id}?version=1`)).json();
  t.match(v1, { version: 1, currentVersion: 2, note: 'Ba đợt' });
  t.equal(v1.lines.length, 3, 'version 1 is kept as it was');
  t.equal((await preview(h, term.id, { date: '2026-01-01', amount: '1000', version: 1 })).json().installments.length, 3);
  t.equal((await h.request('GET', `${BASE}/terms/${term.id}?version=3`)).statusCode, 404);

  const same = await h.request('PUT', `${BASE}/terms/${term.id}`, {
    name: 'Một phần ba', lines: [{ value: 'percent', amount: '50.000', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 45 }],
  });
  t.equal(same.json().version, 2, 'the same definition again (50.000 = 50) writes no new version');

  const changed = await sql<{ n: string }>`select count(*)::text as n from core_audit where entity = 'payment_term' and entity_id = ${term.id}`.execute(h.db);
  t.equal(changed.rows[0].n, '2', 'created and changed are audited');
  await t.rejects(sql`update payment_terms_line set days = 1 where term_id = ${term.id}`.execute(h.db), /immutable/, 'the database refuses to change a stored version');
});

t.test('names are unique among active terms; archiving frees the name and keeps the term', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const dup = await h.request('POST', `${BASE}/terms`, { name: 'Thanh toán TRONG 30 ngày', lines: [{ value: 'balance', delayType: 'days_after', days: 31 }] });
  t.equal(dup.statusCode, 409);
  t.equal(dup.json().field, 'name');
  const id = await termId(h, 'Thanh toán trong 30 ngày');
  const archived = await h.request('DELETE', `${BASE}/terms/${id}`);
  t.equal(archived.statusCode, 200);
  t.equal(archived.json().archived, true);
  t.notOk((await h.request('GET', `${BASE}/terms`)).json().some((x: { id: string }) => x.id === id), 'archived terms are not listed');
  t.ok((await h.request('GET', `${BASE}/terms?archived=true`)).json().some((x: { id: string }) => x.id === id), 'unless asked for');
  t.equal((await h.request('DELETE', `${BASE}/terms/${id}`)).statusCode, 200, 'archiving again is accepted');
  t.equal((await h.request('POST', `${BASE}/terms`, { name: 'Thanh toán trong 30 ngày', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }] })).statusCode, 201, 'the name is free again');
  const put = await h.request('PUT', `${BASE}/terms/${id}`, { name: 'Old', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }] });
  t.equal(put.statusCode, 409);
  t.equal((await h.request('GET', `${BASE}/terms/0b4f6c2e-8d1a-4e7b-9c3f-5a2d1e6b7c80`)).statusCode, 404);
});

t.test('bad definitions and previews are refused with a problem naming the field', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const refused: Array<[string, unknown, string]> = [
    ['two balance lines', { name: 'X', lines: [{ value: 'balance', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }] }, 'lines[1].value'],
    ['percent over 100', { name: 'X', lines: [{ value: 'percent', amount: '70', delayType: 'days_after', days: 0 }, { value: 'percent', amount: '40', delayType: 'days_after', days: 10 }, { value: 'balance', delayType: 'days_after', days: 30 }] }, 'lines[1].amount'],
    ['a negative fixed amount', { name: 'X', lines: [{ value: 'fixed', amount: '-5', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }] }, 'lines[0].amount'],
    ['a negative percent', { name: 'X', lines: [{ value: 'percent', amount: '-5', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }] }, 'lines[0].amount'],
    ['an unknown delay type', { name: 'X', lines: [{ value: 'percent', amount: '5', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'end_of_quarter', days: 30 }] }, 'lines[1].delayType'],
    ['an unknown value', { name: 'X', lines: [{ value: 'rest', delayType: 'days_after', days: 0 }] }, 'lines[0].value'],
    ['an amount as a JSON number finer than a percentage holds (6 decimals)', { name: 'X', lines: [{ value: 'percent', amount: 33.3333333, delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }] }, 'lines[0].amount'],
    ['fractional days', { name: 'X', lines: [{ value: 'balance', delayType: 'days_after', days: 1.5 }] }, 'lines[0].days'],
    ['an unknown field', { name: 'X', lines: [{ value: 'balance', delayType: 'days_after', days: 0, months: 1 }] }, 'lines[0].months'],
    ['a blank name', { name: '  ', lines: [{ value: 'balance', delayType: 'days_after', days: 0 }] }, 'name'],
  ];
  for (const [what, body, field] of refused) {
    const res = await h.request('POST', `${BASE}/terms`, body);
    t.equal(res.statusCode, 400, `${what}: 400`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(res.json().field, field, `${what}: names ${field} (${res.json().detail})`);
  }
  t.equal((await h.request('GET', `${BASE}/terms`)).json().length, 6, 'nothing was written');

  const fixed = (await h.request('POST', `${BASE}/terms`, {
    name: 'Deposit', lines: [{ value: 'fixed', amount: '5000000', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 30 }],
  })).json();
  const tooSmall = await preview(h, fixed.id, { date: '2026-01-01', amount: '1000000' });
  t.equal(tooSmall.statusCode, 400);
  t.equal(tooSmall.json().field, 'amount');
  t.match(tooSmall.json().detail, /payment term 'Deposit' cannot be applied: lines\[0\] \(a fixed 5000000\) brings the instalments above the total of 1000000 VND/);
  t.same((await preview(h, fixed.id, { date: '2026-01-01', amount: '5000000' })).json().installments, [{ dueDate: '2026-01-01', amount: '5000000' }], 'a fixed line equal to the total leaves an empty balance');
  const badPreviews: Array<[Record<string, unknown>, string]> = [
    [{ date: '2026-02-30', amount: '100' }, 'date'],
    [{ date: '2026-01-01', amount: '100.5' }, 'amount'],
    [{ date: '2026-01-01', amount: '0' }, 'amount'],
    [{ date: '2026-01-01', amount: '100', currency: 'XYZ' }, 'currency'],
  ];
  for (const [body, field] of badPreviews) {
    const res = await preview(h, fixed.id, body);
    t.equal(res.statusCode, 400, JSON.stringify(body));
    t.equal(res.json().field, field, `${JSON.stringify(body)} names ${field}`);
  }
  t.equal((await preview(h, '0b4f6c2e-8d1a-4e7b-9c3f-5a2d1e6b7c80', { date: '2026-01-01', amount: '100' })).statusCode, 404);
});

t.test('partner default terms: by id or ref, cleared with null; salespeople see only their partners', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const sales = await h.tokenFor('sales');
  t.equal((await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Hoà Bình', salesperson: sales.userId })).statusCode, 201);
  const other = (await h.request('POST', '/api/ledger/partners', { ref: 'KH02', name: 'Công ty Sông Hồng' })).json();

  t.same((await h.request('GET', `${BASE}/partners/KH01/default-term`)).json().term, null);
  const set = await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: '30 days end of month' });
  t.equal(set.statusCode, 200, set.body);
  t.match(set.json(), { partner: { ref: 'KH01' }, term: { name: '30 ngày, cuối tháng', version: 1 } }, 'a seeded term is found by its English name in a vi-VN company');
  const byId = await h.request('PUT', `${BASE}/partners/${other.id}/default-term`, { term: set.json().term.id });
  t.equal(byId.json().term.name, '30 ngày, cuối tháng');

  t.equal((await h.request('GET', `${BASE}/partners/KH01/default-term`, undefined, { token: sales.token })).json().term.name, '30 ngày, cuối tháng', 'a salesperson sees their partner');
  t.equal((await h.request('GET', `${BASE}/partners/KH02/default-term`, undefined, { token: sales.token })).statusCode, 404, 'but not another one');
  t.equal((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: null }, { token: sales.token })).statusCode, 403, 'and cannot change it');

  const archive = await h.request('DELETE', `${BASE}/terms/${set.json().term.id}`);
  t.equal(archive.statusCode, 409, 'a term that is a partner default is not archived');
  t.match(archive.json().detail, /KH01, KH02/);

  t.equal((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: 'Net 90' })).json().field, 'term');
  t.equal((await h.request('PUT', `${BASE}/partners/KH99/default-term`, { term: 'Immediate' })).statusCode, 404);
  t.same((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: null })).json().term, null, 'null clears the default');
  t.same((await h.request('PUT', `${BASE}/partners/KH02/default-term`, { term: null })).json().term, null);
  t.equal((await h.request('DELETE', `${BASE}/terms/${set.json().term.id}`)).statusCode, 200, 'then the term can be archived');
  t.equal((await h.request('PUT', `${BASE}/partners/KH01/default-term`, { term: '30 days end of month' })).json().field, 'term', 'an archived term is not offered');
});

t.test('roles: every tenant role reads and previews; only accountants and clerks define terms', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const { token } = await h.tokenFor('sales');
  const id = await termId(h, 'Thanh toán trong 15 ngày');
  t.equal((await h.request('GET', `${BASE}/terms`, undefined, { token })).statusCode, 200);
  t.equal((await preview(h, id, { date: '2026-01-01', amount: '1' })).statusCode, 200);
  t.equal((await h.request('POST', `${BASE}/terms/${id}/preview`, { date: '2026-01-01', amount: '1' }, { token })).statusCode, 200);
  t.equal((await h.request('POST', `${BASE}/terms`, { name: 'S', lines: [{ value: 'balance', delayType: 'days_after', days: 1 }] }, { token })).statusCode, 403);
  t.equal((await h.request('PUT', `${BASE}/terms/${id}`, { name: 'S', lines: [{ value: 'balance', delayType: 'days_after', days: 1 }] }, { token })).statusCode, 403);
  t.equal((await h.request('DELETE', `${BASE}/terms/${id}`, undefined, { token })).statusCode, 403);
});

t.test('a term is found by its name wherever a path takes its id', async (t) => {
  const h = await buildTestApp(t, { modules: ['payment-terms'] });
  const created = await h.request('POST', '/api/payment-terms/terms', { name: 'Net 45 / đại lý', lines: [{ value: 'balance', delayType: 'days_after', days: 45 }] });
  t.equal(created.statusCode, 201, created.body);
  const byName = await h.request('GET', `/api/payment-terms/terms/${encodeURIComponent('NET 45 / ĐẠI LÝ'.toLowerCase())}`);
  t.equal(byName.statusCode, 200, byName.body);
  t.equal(byName.json().id, created.json().id, 'by name, any case');
  const preview = await h.request('POST', `/api/payment-terms/terms/${encodeURIComponent('Net 45 / đại lý')}/preview`, { date: '2026-01-31', amount: '1000000' });
  t.same(preview.json().installments, [{ dueDate: '2026-03-17', amount: '1000000' }]);
  t.equal((await h.request('GET', `/api/payment-terms/terms/${encodeURIComponent('30 days')}`)).json().name, 'Thanh toán trong 30 ngày', 'a seeded term by its English name');
  const missing = await h.request('GET', '/api/payment-terms/terms/Net%2099');
  t.equal(missing.statusCode, 404);
  t.match(missing.json().detail, "No payment term 'Net 99'.");
});
