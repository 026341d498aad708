/**
 * Reading the audit log: the accountant's GET /api/audit and the integrator's
 * GET /api/admin/tenants/{slug}/audit — who changed what, when, before and after.
 */
import t from 'tap';
import { readFirstSheet } from '../../core/spreadsheet.js';
import { buildTestApp } from '../helpers/build-test-app.js';

const json = (res: { statusCode: number; body: string; json(): any }) => {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  return res.json();
};

t.test("the accountant reads who changed what, newest first, filtered and paged; other roles may not", async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const accountant = await h.tokenFor('accountant');
  const as = { token: accountant.token };
  json(await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Công ty TNHH Minh Phát' }, as));
  const invoice = json(await h.request('POST', '/api/ledger/invoices', { partner: 'KH001', date: '2026-11-02', dueDate: '2026-11-30', post: true, lines: [{ description: 'Xi măng', quantity: '1', unitPrice: '1000000' }] }));
  const payment = json(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-11-20', amount: '400000' }, as));

  const all = json(await h.request('GET', '/api/audit', undefined, as));
  t.same(all.items.map((i: any) => i.action).slice(0, 1), ['payment.registered'], 'newest first');
  t.ok(all.items.some((i: any) => i.action === 'partner.created'));
  const paid = all.items.find((i: any) => i.action === 'payment.registered');
  t.same(paid.object, { type: 'payment', id: payment.id });
  t.same(paid.actor.user, accountant.userId);
  t.ok(paid.actor.name, "the user's name");
  t.match(paid.after, { partner: 'KH001', amount: '400000', date: '2026-11-20' });

  const ofInvoice = json(await h.request('GET', `/api/audit?object=invoice:${invoice.id}`, undefined, as));
  t.ok(ofInvoice.items.length >= 1);
  t.ok(ofInvoice.items.every((i: any) => i.object.type === 'invoice' && i.object.id === invoice.id), 'only that invoice');
  t.ok(json(await h.request('GET', `/api/audit?object=${payment.id}`, undefined, as)).items.every((i: any) => i.object.id === payment.id), 'an id alone');
  t.ok(json(await h.request('GET', '/api/audit?object=partner', undefined, as)).items.every((i: any) => i.object.type === 'partner'), 'a type alone');

  const byAccountant = json(await h.request('GET', `/api/audit?user=${accountant.userId}`, undefined, as));
  t.ok(byAccountant.items.length >= 2);
  t.ok(byAccountant.items.every((i: any) => i.actor.user === accountant.userId), 'only what the accountant did, not the clerk');
  t.ok(!byAccountant.items.some((i: any) => i.action === 'invoice.posted'), 'the clerk posted the invoice');

  t.same(json(await h.request('GET', '/api/audit?to=2000-01-01', undefined, as)).items, [], 'nothing before the company existed');
  const today = new Date().toISOString().slice(0, 10);
  t.equal(json(await h.request('GET', `/api/audit?from=${today}&limit=500`, undefined, as)).items.length, all.items.length);

  const seen: string[] = [];
  let page = json(await h.request('GET', '/api/audit?limit=2', undefined, as));
  for (;;) {
    seen.push(...page.items.map((i: any) => i.id));
    if (!page.next) break;
    page = json(await h.request('GET', `/api/audit?limit=2&cursor=${page.next}`, undefined, as));
  }
  t.same(seen, all.items.map((i: any) => i.id), 'pages cover the log once, in order');

  for (const [query, field] of [['from=2026-13-01', 'from'], ['user=lan', 'user'], ['cursor=abc', 'cursor']]) {
    const res = await h.request('GET', `/api/audit?${query}`, undefined, as);
    t.equal(res.statusCode, 400, query);
    t.equal(res.json().field, field);
  }
  t.equal((await h.request('GET', '/api/audit')).statusCode, 403, 'a clerk may not');
  t.equal((await h.request('GET', '/api/audit', undefined, { token: (await h.tokenFor('sales')).token })).statusCode, 403, 'nor a salesperson');

  const integrator = json(await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/audit?limit=500`, undefined, { token: h.adminToken }));
  t.same(integrator.items.map((i: any) => i.id), all.items.map((i: any) => i.id), "the integrator reads the same log");
  t.equal((await h.request('GET', '/api/admin/tenants/nobody/audit', undefined, { token: h.adminToken })).statusCode, 404);
});

t.test("one company's log never shows another's", async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const accountant = await h.tokenFor('accountant');
  json(await h.request('POST', '/api/ledger/partners', { ref: 'KH001', name: 'Minh Phát' }));
  const other = json(await h.request('POST', '/api/admin/tenants', { slug: 'other', name: 'Other', currency: 'VND' }, { token: h.adminToken }));
  t.ok(other.id);
  t.same(json(await h.request('GET', '/api/admin/tenants/other/audit', undefined, { token: h.adminToken })).items.filter((i: any) => i.object.type === 'partner'), [], "the other company's log has no partner");
  t.equal(json(await h.request('GET', '/api/audit', undefined, { token: accountant.token })).items.filter((i: any) => i.object.type === 'partner').length, 1);
});

t.test('the log as a file: the same filters, every entry (paging aside), CSV or a workbook, for the accountant and the integrator', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const as = { token: (await h.tokenFor('accountant')).token };
  for (const ref of ['KH001', 'KH002', 'KH003']) json(await h.request('POST', '/api/ledger/partners', { ref, name: `Công ty ${ref}, "Hà Nội"` }, as));
  json(await h.request('POST', '/api/ledger/payments', { partner: 'KH001', date: '2026-11-20', amount: '400000' }, as));

  const csv = await h.request('GET', '/api/audit?object=partner&limit=1', undefined, { ...as, headers: { accept: 'text/csv' } });
  t.equal(csv.statusCode, 200, csv.body.slice(0, 300));
  t.match(csv.headers['content-type'], /^text\/csv/);
  t.match(csv.headers['content-disposition'], /attachment; filename="audit-acme.csv"/);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.equal(lines[0], 'Thời điểm,Người dùng,Mã người dùng,Token,Phân hệ,Hành động,Loại đối tượng,Mã đối tượng,Trước,Sau,Mã yêu cầu', 'Vietnamese headers by default');
  t.equal(lines.length, 4, 'every partner entry, not the one of limit=1');
  t.ok(lines.slice(1).every((l) => l.includes(',ledger,partner.created,partner,')), 'only what the filter selects');
  t.match(lines[1], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},/, "the time in the company's time zone");
  t.match(lines[1], /,"\{""id"":""[0-9a-f-]+"",""ref"":""KH003"",/, 'newest first; the after state as JSON, quoted as CSV quotes it');

  const xlsx = await h.request('GET', `/api/admin/tenants/${h.tenant.slug}/audit?format=xlsx&lang=en&action=payment.registered`, undefined, { token: h.adminToken });
  t.equal(xlsx.statusCode, 200, 'the integrator exports the same way');
  const rows = await readFirstSheet(new Uint8Array(xlsx.rawPayload));
  t.same(rows[0].cells.map((c) => c.text).slice(0, 6), ['At', 'User', 'User id', 'Token', 'Module', 'Action']);
  t.same(rows.slice(1).map((r) => r.cells[5].text), ['payment.registered']);

  const bad = await h.request('GET', '/api/audit?format=csv&from=2026-02-30', undefined, as);
  t.equal(bad.statusCode, 400, 'a bad filter is a problem, not a broken file');
  t.match(bad.json(), { field: 'from' });
  t.equal((await h.request('GET', '/api/audit?format=csv')).statusCode, 403, 'a clerk may not export it either');
});
