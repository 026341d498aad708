/**
 * VietQR from the customer's side: the payload the API gives, the code drawn in the PDF decoded
 * back to that payload, and a bank transfer carrying its reference matched by the bank module to
 * the right invoices through the REST API. Reminder letters: the level's template in the
 * partner's language, the responsible's phone, a tenant's own template, one page with every font
 * under 300 KB.
 */
import t from 'tap';
import { readVietQr } from '../vietqr.js';
import { companySettings, documentsApp, invoice, ok, overlaps, partner, pdfItems, qrInPdf } from './helpers.js';

const BASE = '/api/documents/partners';

function statementCsv(lines: Array<[string, string, string, string]>): Buffer {
  const rows = [
    'SAO KÊ TÀI KHOẢN,,,,,,,',
    'Số tài khoản: 0071001234567,,,,,,,',
    'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Số tài khoản đối ứng,Nội dung',
    ...lines.map(([date, amount, balance, text], i) => [String(i + 1), date, `FT${i}`, '', amount, balance, '', text].map((c) => `"${c}"`).join(',')),
  ];
  return Buffer.from('\ufeff' + rows.join('\r\n'), 'utf8');
}

t.test('the VietQR payload, drawn and read back, and paid through the bank module', async (t) => {
  const h = await documentsApp(t, ['documents', 'follow-up', 'bank-reconciliation']);
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  const a = await invoice(h, 'KH01', '1200000', '2026-01-05', '2026-02-04');
  const b = await invoice(h, 'KH01', '800000', '2026-01-20', '2026-02-19');
  const c = await invoice(h, 'KH01', '5000000', '2026-02-01', '2099-03-03');
  const d = await invoice(h, 'KH02', '300000', '2026-02-01', '2099-03-03');

  const missing = await h.request('GET', `${BASE}/KH01/vietqr`);
  t.equal(missing.statusCode, 409, 'no receiving account yet');
  t.equal(missing.json().field, 'settings.bankAccount');
  await companySettings(h);

  // Without an amount: what is overdue (a and b), with the customer's own reference.
  const overdue = ok(await h.request('GET', `${BASE}/KH01/vietqr`));
  t.equal(overdue.amount, '2000000');
  t.match(overdue.reference, /^CN[0-9A-Z]{6,}$/);
  const fields = readVietQr(overdue.payload)!;
  t.ok(fields, 'a payload with a valid CRC');
  t.equal(fields.get('38'), '0010A00000072701270006970436011300710012345670208QRIBFTTA', 'NAPAS GUID, Vietcombank BIN, the account, to an account');
  t.equal(fields.get('53'), '704');
  t.equal(fields.get('54'), '2000000');
  t.equal(fields.get('58'), 'VN');
  t.equal(fields.get('62'), `08${String(overdue.reference.length).padStart(2, '0')}${overdue.reference}`);
  t.equal(ok(await h.request('GET', `${BASE}/KH01/vietqr`)).reference, overdue.reference, 'the same reference every time');
  t.not(ok(await h.request('GET', `${BASE}/KH02/vietqr`)).reference, overdue.reference, 'each customer its own');
  t.equal(ok(await h.request('GET', `${BASE}/KH02/vietqr`)).amount, '300000', 'nothing overdue: the balance');
  t.equal(ok(await h.request('GET', `${BASE}/KH01/vietqr?amount=150000`)).amount, '150000');
  t.equal((await h.request('GET', `${BASE}/KH01/vietqr?amount=1.5`)).statusCode, 400);
  const zero = await h.request('GET', `${BASE}/KH01/vietqr?amount=0`);
  t.same([zero.statusCode, zero.json().field], [400, 'amount']);
  const { token } = await h.tokenFor('accountant');
  const badBin = await h.request('PATCH', '/api/documents/settings', { settings: { bankAccount: { bin: '97043', accountNumber: '1', accountName: 'X' } } }, { token });
  t.equal(badBin.statusCode, 400);
  t.match(badBin.json().field, /bankAccount/);

  // The statement's code is the same payment, and decodes back to the same payload.
  const pdf = await h.request('GET', `${BASE}/KH01/statement.pdf?outstanding=true`);
  t.equal(await qrInPdf(pdf.rawPayload), overdue.payload, 'the QR code in the PDF reads back as the payload');

  // The customer scans and pays: the bank line carries the reference; the oldest invoices are settled.
  const file = statementCsv([
    ['03/03/2026', '2.000.000', '12.000.000', `MBVCB.123456 ${overdue.reference} CONG TY KH01 chuyen tien`],
    ['04/03/2026', '300.000', '12.300.000', `thanh toan ${d.paymentReference}`],
  ]);
  const imported = await h.app.inject({ method: 'POST', url: '/api/bank-reconciliation/statements?format=csv', payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'text/csv' } });
  t.equal(imported.statusCode, 201, imported.body);
  const lines = ok<any[]>(await h.request('GET', `/api/bank-reconciliation/statements/${imported.json().id}/lines`));
  t.same(lines.map((l) => [l.matchState, l.rule]), [['matched', 'customer-reference'], ['matched', 'payment-reference']]);
  t.same(lines[0].matches[0].invoices.map((i: any) => [i.number, i.amount]), [[a.number, '1200000'], [b.number, '800000']], 'the customer\'s oldest invoices, oldest first');
  for (const [inv, state] of [[a, 'paid'], [b, 'paid'], [c, 'not_paid'], [d, 'paid']] as const) {
    t.equal(ok(await h.request('GET', `/api/ledger/invoices/${inv.id}`)).paymentState, state, `${inv.number} ${state}`);
  }
  t.equal((await h.request('GET', `${BASE}/KH01/vietqr?amount=5000000`)).statusCode, 200);
});

t.test('a reminder letter per level and language, with the responsible and a code for one invoice', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  const clerk = await h.tokenFor('clerk');
  await h.db.updateTable('core_user').set({ name: 'Nguyễn Thu', phone: '0903 123 456' }).where('id', '=', clerk.userId).execute();
  await partner(h, 'KH01', { name: 'Công ty TNHH Minh Phát' });
  ok(await h.request('PUT', '/api/follow-up/partners/KH01', { responsible: clerk.userId }));
  const a = await invoice(h, 'KH01', '1234567', '2026-03-01', '2026-03-31');

  const res = await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20`);
  t.equal(res.statusCode, 200, res.statusCode === 200 ? 'the letter' : res.body);
  t.match(res.headers['content-disposition'], 'thu-nhac-no-KH01-2026-04-20.pdf');
  const { text, items, pages } = await pdfItems(res.rawPayload);
  const all = text.join('\n').replace(/\u00a0/g, ' ');
  t.equal(pages, 1);
  t.match(all, 'Ngày 20 tháng 04 năm 2026');
  t.match(all, 'V/v: Thông báo công nợ quá hạn', 'the overdue level\'s letter: 20 days late, level "Quá hạn 15 ngày"');
  t.match(all, 'Kính gửi Công ty TNHH Minh Phát,');
  t.match(all, `${a.number} 31/03/2026 20 ngày 1.234.567 ₫`);
  t.match(all, 'Tổng còn phải trả 1.234.567 ₫');
  t.match(all, 'Người phụ trách: Nguyễn Thu — ĐT: 0903 123 456');
  t.match(all, `Nội dung chuyển khoản: ${a.paymentReference}`, 'one invoice: its own reference');
  t.match(all, 'Đại diện Công ty TNHH Thương mại ACME');
  t.same(overlaps(items), []);
  t.equal(readVietQr((await qrInPdf(res.rawPayload))!)?.get('54'), '1234567');

  const final = await pdfItems((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20&level=${encodeURIComponent('Quá hạn 60 ngày: thông báo lần cuối')}&lang=en`)).rawPayload);
  t.match(final.text.join('\n'), 'Re: Final notice of overdue amounts', 'a level by name, in English');
  t.match(final.text.join('\n'), 'within 7 days');

  // The company's own letter for the overdue level, in Vietnamese.
  const { token } = await h.tokenFor('accountant');
  ok(await h.request('PATCH', '/api/documents/settings', { settings: { templates: { 'overdue/letter.vi': 'Subject: Đề nghị thanh toán {{overdueTotal}}\nKính gửi {{recipient}},\n\n{{itemsTable}}\n\nXin cảm ơn.' } } }, { token }));
  const own = await pdfItems((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20`)).rawPayload);
  t.match(own.text.join('\n').replace(/\u00a0/g, ' '), 'V/v: Đề nghị thanh toán 1.234.567 ₫');
  t.match(own.text.join('\n'), 'Xin cảm ơn.');

  const html = await h.request('GET', `${BASE}/KH01/reminder.html?date=2026-04-20&lang=zh`);
  t.match(html.body, '逾期款项通知');

  t.equal((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20&level=nope`)).json().field, 'level');
  t.equal((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-03-01`)).statusCode, 409, 'nothing to remind yet');
});

t.test('a letter for the post carries the statement of open items on its own pages behind it', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await partner(h, 'KH01', { name: 'Công ty TNHH Minh Phát' });
  for (let k = 0; k < 3; k++) await invoice(h, 'KH01', String(1_000_000 + k), `2026-02-0${k + 1}`, '2026-03-01');
  await invoice(h, 'KH01', '500000', '2026-04-01', '2026-05-31');
  const final = encodeURIComponent('Quá hạn 60 ngày: thông báo lần cuối');
  // The company has its final notice carry the statement.
  const levels = ok(await h.request('GET', '/api/follow-up/levels'));
  const { id, createdAt, updatedAt, ...level } = levels.find((l: any) => l.name === 'Quá hạn 60 ngày: thông báo lần cuối');
  const { token } = await h.tokenFor('accountant');
  t.equal((await h.request('PUT', `/api/follow-up/levels/${id}`, { ...level, attachStatement: true }, { token })).statusCode, 200, 'the final notice attaches the statement');

  const letter = await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-05-05&level=${final}`);
  t.equal(letter.statusCode, 200, letter.statusCode === 200 ? 'the letter' : letter.body);
  const { text, items, pages } = await pdfItems(letter.rawPayload);
  t.equal(pages, 2, 'the letter, then the statement on a page of its own');
  const page2 = items.filter((i) => i.page === 2).map((i) => i.text).join(' ').replace(/\u00a0/g, ' ');
  t.match(page2, 'THÔNG BÁO CÔNG NỢ', 'page 2 is the statement of open items');
  t.match(page2, 'Đến ngày 05/05/2026', 'on the letter\'s date');
  t.match(page2, '500.000 ₫', 'with what is not due yet too');
  t.notMatch(page2, 'Chị|Kính gửi', 'no second letter');
  t.match(items.filter((i) => i.page === 1).map((i) => i.text).join(' '), '45 Lý Thường Kiệt', 'the address in the window of page 1');
  t.notMatch(page2, '45 Lý Thường Kiệt', 'and no second address block');
  t.match(text.join('\n'), 'Trang 2/2');
  t.same(overlaps(items), []);

  const alone = await pdfItems((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-05-05&level=${final}&statement=false`)).rawPayload);
  t.equal(alone.pages, 1, 'statement=false: the letter alone');
  const asked = await pdfItems((await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20&statement=true`)).rawPayload);
  t.equal(asked.pages, 2, 'statement=true behind a level that does not attach it');
});

t.test('one page with Latin, Vietnamese, Chinese and Arabic fonts stays under 300 KB; no follow-up, no letter', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h, { company: { name: 'ACME 贸易 شركة أكمي', address: '12 Nguyễn Huệ, TP. Hồ Chí Minh' } });
  await partner(h, 'KH01', { name: 'Công ty Minh Phát 明发贸易有限公司 شركة منه فات', lang: 'zh' });
  await invoice(h, 'KH01', '1234567', '2026-03-01', '2026-03-31');
  for (const lang of ['zh', 'ar', 'vi']) {
    const res = await h.request('GET', `${BASE}/KH01/reminder.pdf?date=2026-04-20&lang=${lang}`);
    t.equal(res.statusCode, 200);
    const { pages, text } = await pdfItems(res.rawPayload);
    t.equal(pages, 1);
    t.ok(res.rawPayload.length <= 300 * 1024, `${lang}: ${Math.round(res.rawPayload.length / 1024)} KB`);
    t.match(text.join('\n'), '明发贸易有限公司');
    t.match(text.join('\n'), 'شركة منه فات');
  }
  const alone = await documentsApp(t, ['documents']);
  await partner(alone, 'KH01');
  const res = await alone.request('GET', `${BASE}/KH01/reminder.pdf`);
  t.equal(res.statusCode, 409);
  t.match(res.json().detail, 'follow-up module is not enabled');
});
