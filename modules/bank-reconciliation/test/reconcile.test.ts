/**
 * A clerk imports the bank's CSV export: exact references and invoice numbers settle invoices
 * (paid, payment.reconciled in the same transaction), a known payer account with an equal
 * amount too, a typing slip only suggests; a second import adds nothing; manual match, partial
 * match, unmatch and the 409 of a line matched twice.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/bank-reconciliation';

function ok<T = any>(res: { statusCode: number; body: string; json(): unknown }): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

async function invoice(h: TestApp, partner: string, amount: string, dueDate: string): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', { partner, date: '2026-03-01', dueDate, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: amount }] }));
}

function csv(lines: Array<[string, string, string, string, string, string, string]>): Buffer {
  const rows = [
    'SAO KÊ TÀI KHOẢN,,,,,,,',
    'Số tài khoản: 0071000123456,,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Nội dung',
    ...lines.map((l, i) => [String(i + 1), ...l].map((c) => `"${c}"`).join(',')),
  ];
  return Buffer.from('\ufeff' + rows.join('\r\n'), 'utf8');
}

async function importCsv(h: TestApp, file: Buffer, query = '') {
  return h.app.inject({ method: 'POST', url: `${BASE}/statements?format=csv${query}`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } });
}

/** A reference with one character changed: the check character no longer fits. */
function slip(reference: string): string {
  const i = reference.length - 3;
  return reference.slice(0, i) + (reference[i] === '7' ? '8' : '7') + reference.slice(i + 1);
}

t.test('import, auto-match by reference, number and payer account; suggestions; duplicates; manual work', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát', bankAccounts: ['0011001234567'] }));
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH02', name: 'Cửa hàng Ánh Dương' }));
  const a = await invoice(h, 'KH01', '1100000', '2026-03-31');
  const b = await invoice(h, 'KH01', '500000', '2026-04-30');
  const c = await invoice(h, 'KH02', '2000000', '2026-03-31');
  const d = await invoice(h, 'KH02', '750000', '2026-04-15');
  const e = await invoice(h, 'KH02', '300000', '2026-04-20');

  const file = csv([
    ['05/03/2026', 'FT001', '', '1.100.000', '11.100.000', '', `CTY MINH PHAT TT ${a.paymentReference.toLowerCase()}`],
    ['06/03/2026', 'FT002', '', '750.000', '11.850.000', '', `Anh Duong thanh toan hoa don ${d.number}`],
    ['07/03/2026', 'FT003', '', '500.000', '12.350.000', '0011001234567', 'chuyen tien'],
    ['08/03/2026', 'FT004', '', '2.000.000', '14.350.000', '', `TT ${slip(c.paymentReference)}`],
    ['09/03/2026', 'FT005', '50.000', '', '14.300.000', '', 'Phí chuyển tiền'],
    ['10/03/2026', 'FT006', '', '123.456', '14.423.456', '', 'khong ro noi dung'],
    ['11/03/2026', 'FT007', '', '100.000', '14.523.456', '', 'tra truoc mot phan'],
  ]);
  const res = await importCsv(h, file);
  t.equal(res.statusCode, 201, res.body);
  const result = res.json();
  t.match(result, { imported: 7, duplicatesSkipped: 0, autoMatched: 3, suggested: 1 });

  const lines = ok<any[]>(await h.request('GET', `${BASE}/statements/${result.id}/lines`));
  t.same(lines.map((l) => [l.description.slice(0, 12), l.matchState, l.rule]), [
    ['CTY MINH PHA', 'matched', 'payment-reference'],
    ['Anh Duong th', 'matched', 'invoice-number'],
    ['chuyen tien', 'matched', 'payer-account'],
    [`TT ${slip(c.paymentReference)}`.slice(0, 12), 'suggested', 'payment-reference-typo'],
    ['Phí chuyển t', 'unmatched', null],
    ['khong ro noi', 'unmatched', null],
    ['tra truoc mo', 'unmatched', null],
  ]);
  t.same(lines[0].matches[0].invoices, [{ id: a.id, number: a.number, amount: '1100000' }], 'what the line settled');
  t.match(lines[0].reason, a.paymentReference);
  t.same(lines[3].suggestions[0].invoices.map((i: any) => i.number), [c.number], 'the typing slip points at the right invoice');
  for (const inv of [a, b, d]) t.equal(ok(await h.request('GET', `/api/ledger/invoices/${inv.id}`)).paymentState, 'paid', `${inv.number} paid`);
  const reconciled = await sql<{ n: string }>`select count(*)::text as n from core_event_outbox where name = 'payment.reconciled'`.execute(h.db);
  t.equal(reconciled.rows[0].n, '3', 'payment.reconciled for each matched line');

  // The same file again: nothing new.
  const again = ok(await importCsv(h, file));
  t.match(again, { imported: 0, duplicatesSkipped: 7, autoMatched: 0 });
  t.equal(again.id, result.id, 'the same statement, not a second one');

  // Freshness for the follow-up.
  const [account] = ok<any[]>(await h.request('GET', `${BASE}/accounts`));
  t.match(account, { number: '0071000123456', lastStatementDate: '2026-03-11', statements: 1, unmatchedLines: 2, suggestedLines: 1 });

  // The clerk confirms the suggestion, and matches a partial payment of e.
  const confirmed = ok(await h.request('POST', `${BASE}/lines/${lines[3].id}/match`, { invoices: [c.id] }));
  t.equal(confirmed.matchState, 'matched');
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${c.id}`)).paymentState, 'paid');
  const partial = ok(await h.request('POST', `${BASE}/lines/${lines[6].id}/match`, { invoices: [e.id] }));
  t.same(partial.matches[0].invoices, [{ id: e.id, number: e.number, amount: '100000' }]);
  const ePartial = ok(await h.request('GET', `/api/ledger/invoices/${e.id}`));
  t.match(ePartial, { paymentState: 'partial', residual: '200000' });

  // Matched twice: 409. Money out: 400.
  const twice = await h.request('POST', `${BASE}/lines/${lines[6].id}/match`, { invoices: [e.id] });
  t.equal(twice.statusCode, 409);
  const out = await h.request('POST', `${BASE}/lines/${lines[4].id}/match`, { invoices: [e.id] });
  t.equal(out.statusCode, 400);

  // Unmatch: the payment the match created is reversed; the invoice is open again; the line can be matched again.
  const undone = ok(await h.request('POST', `${BASE}/lines/${lines[0].id}/unmatch`));
  t.equal(undone.matchState, 'unmatched');
  t.same(undone.matches, []);
  t.match(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)), { paymentState: 'not_paid', residual: '1100000' });
  t.equal(ok(await h.request('GET', '/api/ledger/partners/KH01')).balance, '1100000');
  const rematched = ok(await h.request('POST', `${BASE}/lines/${lines[0].id}/match`, { invoices: [a.id], saveRule: false }));
  t.equal(rematched.matchState, 'matched');
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)).paymentState, 'paid');
  const audit = await sql<{ action: string }>`select action from core_audit where module = 'bank-reconciliation' order by id`.execute(h.db);
  t.ok(audit.rows.some((r) => r.action === 'bank.line_unmatched'), 'the undo is audited');
});

t.test('confirming a payment registered before; a saved payer rule matches the next statement', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' }));
  const a = await invoice(h, 'KH01', '400000', '2026-03-31');
  const b = await invoice(h, 'KH01', '600000', '2026-04-30');
  const pay = ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-04', amount: '400000', allocations: [{ invoice: a.id, amount: '400000' }] }));
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)).paymentState, 'in_payment');
  const first = ok(await importCsv(h, csv([
    ['05/03/2026', 'FT101', '', '400.000', '10.400.000', '9704 1234 5678', 'NGUYEN VAN A CHUYEN KHOAN'],
  ])));
  t.equal(first.autoMatched, 0);
  const [line] = ok<any[]>(await h.request('GET', `${BASE}/statements/${first.id}/lines`));
  const confirmed = ok(await h.request('POST', `${BASE}/lines/${line.id}/match`, { payment: pay.id, saveRule: true }));
  t.equal(confirmed.matchState, 'matched');
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)).paymentState, 'paid', 'in_payment → paid once the bank shows it');

  const next = ok(await importCsv(h, csv([
    ['06/04/2026', 'FT201', '', '600.000', '11.000.000', '970412345678', 'NGUYEN VAN A CK'],
  ])));
  t.equal(next.autoMatched, 1, 'the saved rule knows the payer');
  const [second] = ok<any[]>(await h.request('GET', `${BASE}/statements/${next.id}/lines`));
  t.match(second.rule, /^rule:/);
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${b.id}`)).paymentState, 'paid');

  // Unmatching a confirmation leaves the payment, unconfirmed.
  ok(await h.request('POST', `${BASE}/lines/${line.id}/unmatch`));
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${a.id}`)).paymentState, 'in_payment');
  t.equal(ok(await h.request('GET', `/api/ledger/payments/${pay.id}`)).reversedOn, null);
});

t.test('a statement that does not add up is refused with the figures, and imported with force', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  const file = Buffer.from([
    ':20:STARTUMS', ':25:0071000123456', ':28C:1/1', ':60F:C260301VND10000000,', ':61:2603020302C500000,NTRFNONREF', ':86:TIEN HANG',
    ':62F:C260302VND10600000,', '-',
  ].join('\r\n'));
  const send = (q = '') => h.app.inject({ method: 'POST', url: `${BASE}/statements?format=mt940${q}`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/octet-stream' } });
  const refused = await send();
  t.equal(refused.statusCode, 422);
  t.match(refused.json().detail, /opening 10000000 \+ movements 500000 = 10500000, but the closing balance is 10600000 \(difference 100000\)/);
  const count = await sql<{ n: string }>`select count(*)::text as n from bank_reconciliation_statement`.execute(h.db);
  t.equal(count.rows[0].n, '0', 'nothing stored');
  const forced = await send('&force=true');
  t.equal(forced.statusCode, 201, forced.body);
  t.equal(forced.json().imported, 1);

  const malformed = await h.app.inject({ method: 'POST', url: `${BASE}/statements?format=mt940`, payload: Buffer.from(':20:X\r\n:25:1\r\n:60F:C260301VND1,\r\n:61:2603020302C5,3,4NTRF\r\n:62F:C260302VND1,\r\n-'), headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/octet-stream' } });
  t.equal(malformed.statusCode, 400);
  t.match(malformed.json().detail, /line 4/);
});

t.test('a CSV export without a balance column: the clerk gives the opening (or closing) balance with the file', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'KH01', name: 'Công ty Minh Phát' }));
  const inv = await invoice(h, 'KH01', '1500000', '2026-03-31');
  const file = Buffer.from([
    'Ngày giao dịch,Nội dung,Số tiền ghi nợ,Số tiền ghi có,Số tham chiếu',
    `22/04/2026,CK thanh toan ${inv.paymentReference} cam on,,1.500.000,FT26112001`,
    '23/04/2026,Phi quan ly tai khoan,11.000,,FT26112002',
  ].join('\r\n'));
  const journal = '&journal=0071000123456';

  const missing = await importCsv(h, file, journal);
  t.equal(missing.statusCode, 400);
  t.match(missing.json(), { field: 'opening', detail: 'the file has no balance column: give the opening or the closing balance' });
  for (const [query, field, detail] of [
    ['&opening=1.5', 'opening', /^opening '1\.5' has 1 decimals; VND has 0/],
    ['&opening=0&openingDate=22/04/2026', 'openingDate', /^openingDate must be a date YYYY-MM-DD/],
    ['&openingDate=2026-04-21', 'openingDate', /^openingDate is the date of the opening balance: give opening too/],
    ['&closingDate=2026-04-30', 'closingDate', /^closingDate is the date of the closing balance: give closing too/],
  ] as const) {
    const res = await importCsv(h, file, journal + query);
    t.equal(res.statusCode, 400, query);
    t.match(res.json(), { field, detail }, query);
  }
  const stored = () => sql<{ opening: string; closing: string }>`select opening_amount::text as opening, closing_amount::text as closing from bank_reconciliation_statement`.execute(h.db);
  t.same((await stored()).rows, [], 'nothing stored by the refused imports');
  const camt = await h.app.inject({
    method: 'POST', url: `${BASE}/statements?opening=0`, payload: readFileSync(new URL('./fixtures/statements/camt/camt053.v2.minimal.xml', import.meta.url)),
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/xml' },
  });
  t.equal(camt.statusCode, 400);
  t.match(camt.json(), { field: 'opening', detail: 'a camt053 statement carries its own balances; opening and closing are given for CSV and XLSX files only' });

  // Given the opening balance, the closing one is computed; a given closing that does not add up is refused.
  const wrong = await importCsv(h, file, `${journal}&opening=10000000&closing=12000000`);
  t.equal(wrong.statusCode, 422);
  const imported = ok(await importCsv(h, file, `${journal}&opening=10000000&openingDate=2026-04-21`));
  t.match(imported, { imported: 2, autoMatched: 1 });
  t.same((await stored()).rows, [{ opening: '10000000', closing: '11489000' }], 'the closing balance: opening + the lines');
  t.match(ok<any[]>(await h.request('GET', `${BASE}/statements/${imported.id}/lines`)).map((l) => l.matchState), ['matched', 'unmatched']);
  t.equal(ok(await h.request('GET', `/api/ledger/invoices/${inv.id}`)).paymentState, 'paid');
});
