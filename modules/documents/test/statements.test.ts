/**
 * Statements as a customer receives them: the text read back from the PDF in four languages
 * (Vietnamese letters intact, Chinese characters, Arabic words in logical order, amounts per
 * locale), the activity statement equal to the ledger's report line for line, the open items
 * with ages, no two text boxes overlapping, the address inside the envelope window, the HTML
 * preview, and bad input named.
 */
import t from 'tap';
import { addressRect } from '../window.js';
import { companySettings, documentsApp, invoice, ok, overlaps, partner, pdfItems, type TextItem } from './helpers.js';

const BASE = '/api/documents/partners';

async function books(h: Awaited<ReturnType<typeof documentsApp>>) {
  await companySettings(h);
  await partner(h, 'KH01', { name: 'Công ty TNHH Thương mại Dịch vụ Minh Phát', contacts: [{ kind: 'followup', name: 'Chị Nguyễn Thị Lan', email: 'lan@minhphat.vn' }] });
  const a = await invoice(h, 'KH01', '1234567', '2026-03-01', '2026-03-31', 'Bán hàng theo hợp đồng số 12/2026/HĐMB, giao tại kho Bình Dương, đợt 1 của 3');
  const b = await invoice(h, 'KH01', '250000', '2026-03-10', '2026-04-09');
  await invoice(h, 'KH01', '4000000', '2026-04-05', '2026-06-30');
  ok(await h.request('POST', '/api/ledger/payments', { partner: 'KH01', date: '2026-03-20', amount: '1000000', reference: 'Chuyển khoản thanh toán một phần hóa đơn INV/2026/00001 theo thỏa thuận ngày 15/03/2026', allocations: [{ invoice: a.number, amount: '1000000' }] }));
  return { a, b };
}

function noOverlap(t: { same(found: unknown, wanted: unknown, message: string): void }, items: TextItem[], what: string): void {
  const found = overlaps(items);
  t.same(found.map(([a, b]) => `${a.text} ⟷ ${b.text}`), [], `${what}: no text box overlaps another`);
}

t.test('the activity statement in Vietnamese is the ledger\'s statement, line for line', async (t) => {
  const h = await documentsApp(t);
  await books(h);
  const report = ok(await h.request('GET', '/api/ledger/partners/KH01/statement?from=2026-03-01&to=2026-04-30'));
  const res = await h.request('GET', `${BASE}/KH01/statement.pdf?from=2026-03-01&to=2026-04-30`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/pdf');
  t.match(res.headers['content-disposition'], 'so-chi-tiet-cong-no-KH01-2026-04-30.pdf');
  t.equal(res.headers['content-language'], 'vi', 'the follow-up contact\'s language, else the partner\'s');
  const { text, items, pages } = await pdfItems(res.rawPayload);
  t.equal(pages, 1);
  const all = text.join('\n');
  t.match(all, 'SỔ CHI TIẾT CÔNG NỢ');
  t.match(all, 'Từ ngày 01/03/2026 đến ngày 30/04/2026');
  t.match(all, 'Công ty TNHH Thương mại ACME', 'the company\'s letterhead');
  t.match(all, 'MST: 0312345678');
  t.match(all, 'Khách hàng: Công ty TNHH Thương mại Dịch vụ Minh Phát');
  t.match(all, 'MST: 0101234567', 'the customer\'s tax code');
  t.match(all, /Hạn thanh toán\s+Phát sinh Nợ\s+Phát sinh Có\s+Số dư/, 'headers on one line when there is room');
  const money = (v: string) => `${Number(v).toLocaleString('vi-VN')}\u00a0₫`.replace(/\u00a0/g, ' ');
  const flat = all.replace(/\u00a0/g, ' ');
  t.match(flat, `Số dư đầu kỳ ${money(report.opening)}`);
  for (const line of report.lines) {
    const [y, m, d] = line.date.split('-');
    const amount = line.debit !== '0' ? money(line.debit) : money(line.credit);
    const row = text.map((l) => l.replace(/\u00a0/g, ' ')).find((l) => l.startsWith(`${d}/${m}/${y} ${line.ref?.slice(0, 14) ?? ''}`));
    t.ok(row?.endsWith(`${amount} ${money(line.balance)}`), `line ${line.ref}: ${amount}, balance ${line.balance} (${row})`);
  }
  t.match(flat, `Số dư cuối kỳ ${money(report.closing)}`);
  t.equal(report.closing, '4484567');
  t.match(all, /Chuyển khoản thanh[\s\S]*một phần hóa đơn[\s\S]*thỏa thuận ngày/, 'a long reference wraps inside its cell, its row grows');
  noOverlap(t, items, 'activity statement');
});

t.test('open items with ages in vi, en, zh and ar: words, order and amounts per locale', async (t) => {
  const h = await documentsApp(t);
  await books(h);
  const expected: Record<string, RegExp[]> = {
    vi: [/THÔNG BÁO CÔNG NỢ/, /Đến ngày 20\/04\/2026/, /Tổng còn phải trả\s+4\.484\.567 ₫/, /Trong đó quá hạn\s+484\.567 ₫/, /20 ngày/, /Quét mã|Thanh toán bằng chuyển khoản/],
    en: [/STATEMENT OF OPEN ITEMS/, /As of 04\/20\/2026/, /Total open\s+₫4,484,567/, /Of which overdue\s+₫484,567/, /20 days/, /Pay by bank transfer/],
    zh: [/未结清款项通知/, /截至\s*2026\/04\/20/, /未付合计\s+₫4,484,567/, /其中逾期\s+₫484,567/, /银行转账付款/, /转账附言/],
    ar: [/كشف بالمبالغ المستحقة/, /إجمالي المستحق/, /4,484,567 ₫/, /منها متأخر/, /الدفع بالتحويل المصرفي/, /رقم الحساب/],
  };
  for (const [lang, patterns] of Object.entries(expected)) {
    const res = await h.request('GET', `${BASE}/KH01/statement.pdf?outstanding=true&asOf=2026-04-20&lang=${lang}`);
    t.equal(res.statusCode, 200, `${lang}: ${res.statusCode === 200 ? '' : res.body}`);
    t.equal(res.headers['content-language'], lang);
    const { text, items } = await pdfItems(res.rawPayload);
    const all = text.join('\n').replace(/\u00a0/g, ' ');
    for (const p of patterns) t.match(all, p, `${lang}: ${p}`);
    t.match(all, 'Công ty TNHH Thương mại Dịch vụ Minh Phát', `${lang}: the Vietnamese name keeps its letters`);
    noOverlap(t, items, `open items (${lang})`);
    if (lang === 'ar') {
      // Every Arabic word comes back in logical order (not mirrored), right of its label's value.
      const words = items.filter((i) => /[\u0600-\u06FF]/.test(i.text)).flatMap((i) => i.text.split(/\s+/));
      for (const w of ['العميل', 'المستند', 'التاريخ', 'المبلغ', 'المتبقي']) t.ok(words.includes(w), `ar: "${w}" read as written`);
      const label = items.find((i) => i.text.includes('رمز العميل'))!;
      const value = items.find((i) => i.text.trim() === 'KH01' && Math.abs(i.y - label.y) < 2)!;
      t.ok(value && value.x < label.x, 'ar: the label at the right, its value to its left');
    }
  }
  const en = await pdfItems((await h.request('GET', `${BASE}/KH01/statement.pdf?outstanding=true&asOf=2026-04-20&lang=en-GB`)).rawPayload);
  t.match(en.text.join('\n'), 'As of 20/04/2026', 'a locale of a language: its own date order');
});

t.test('the address lies inside the envelope window the company chose', async (t) => {
  const h = await documentsApp(t);
  await books(h);
  for (const window of [{ envelope: 'DL', side: 'left' }, { envelope: 'C5', side: 'right' }] as const) {
    const { token } = await h.tokenFor('accountant');
    ok(await h.request('PATCH', '/api/documents/settings', { settings: { window } }, { token }));
    for (const lang of ['vi', 'ar']) {
      const { items } = await pdfItems((await h.request('GET', `${BASE}/KH01/statement.pdf?outstanding=true&lang=${lang}`)).rawPayload);
      const box = addressRect(window.envelope, window.side);
      const address = ['Công ty TNHH Thương mại Dịch vụ Minh Phát', 'Chị Nguyễn Thị Lan', '45 Lý Thường Kiệt', 'Phường Cửa Nam', 'Hà Nội'];
      for (const line of address) {
        const item = items.find((i) => i.text === line && i.page === 1 && i.y < 300);
        t.ok(item, `${window.envelope} ${window.side} ${lang}: "${line}" printed`);
        if (!item) continue;
        t.ok(item.x >= box.x - 0.5 && item.x + item.width <= box.x + box.width + 0.5 && item.y >= box.y - 0.5 && item.y + item.height <= box.y + box.height + 0.5,
          `${window.envelope} ${window.side} ${lang}: "${line}" inside the window (${item.x.toFixed(1)},${item.y.toFixed(1)} ${item.width.toFixed(1)}×${item.height.toFixed(1)} in ${box.x.toFixed(1)},${box.y.toFixed(1)} ${box.width.toFixed(1)}×${box.height.toFixed(1)})`);
      }
    }
  }
});

t.test('a long statement runs over pages under repeated headers, numbered n/total', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await partner(h, 'KH09');
  const inputs = Array.from({ length: 70 }, (_, i) => ({ partner: 'KH09', date: '2026-03-02', dueDate: '2026-04-01', lines: [{ description: `Đơn hàng số ${1000 + i}, giao hàng tại cửa hàng số ${i % 7}`, quantity: '1', unitPrice: String(100000 + i) }] }));
  ok(await h.request('POST', '/api/ledger/invoices/bulk', { invoices: inputs }));
  const res = await h.request('GET', `${BASE}/KH09/statement.pdf?from=2026-03-01&to=2026-03-31&lang=vi`);
  const { items, pages, text } = await pdfItems(res.rawPayload);
  t.ok(pages >= 2, `${pages} pages`);
  for (let p = 1; p <= pages; p++) {
    t.ok(items.some((i) => i.page === p && i.text === `Trang ${p}/${pages}`), `page ${p} says "Trang ${p}/${pages}"`);
    t.ok(items.some((i) => i.page === p && i.text === 'Phát sinh Nợ'), `page ${p} repeats the table header`);
  }
  t.equal(text.filter((l) => /INV\/2026\/\d{5}/.test(l)).length, 70, 'every invoice once');
  noOverlap(t, items, 'a statement of several pages');
});

t.test('the HTML preview says what the PDF says; bad input is named', async (t) => {
  const h = await documentsApp(t);
  await books(h);
  const html = await h.request('GET', `${BASE}/KH01/statement.html?outstanding=true&asOf=2026-04-20&lang=ar`);
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], 'text/html');
  t.match(html.body, '<html lang="ar" dir="rtl">');
  t.match(html.body, 'كشف بالمبالغ المستحقة');
  t.match(html.body, '<svg', 'the QR code as SVG');
  const vi = await h.request('GET', `${BASE}/KH01/statement.html?from=2026-03-01&to=2026-04-30`);
  t.match(vi.body, 'Số dư cuối kỳ');
  t.notMatch(vi.body, '<script', 'nothing runs in the preview');

  const bad = async (url: string, status: number, field?: string) => {
    const res = await h.request('GET', url);
    t.equal(res.statusCode, status, `${url}: ${res.body}`);
    t.match(res.headers['content-type'], 'application/problem+json');
    if (field) t.equal(res.json().field, field);
  };
  await bad(`${BASE}/KH01/statement.pdf?lang=fr`, 400, 'lang');
  await bad(`${BASE}/KH01/statement.pdf?from=2026-13-01`, 400, 'from');
  await bad(`${BASE}/KH01/statement.pdf?outstanding=true&asOf=yesterday`, 400, 'asOf');
  await bad(`${BASE}/KH01/statement.pdf?from=2026-05-01&to=2026-04-01`, 400);
  await bad(`${BASE}/NOPE/statement.pdf`, 404);
  await bad(`${BASE}/KH01/statement.pdf?colour=red`, 400);
});

t.test('a salesperson gets documents of their own customers only', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  const sales = await h.tokenFor('sales');
  await partner(h, 'KH01', { salesperson: sales.userId });
  await partner(h, 'KH02');
  t.equal((await h.request('GET', `${BASE}/KH01/statement.pdf`, undefined, { token: sales.token })).statusCode, 200);
  t.equal((await h.request('GET', `${BASE}/KH02/statement.pdf`, undefined, { token: sales.token })).statusCode, 404);
  t.equal((await h.request('GET', `${BASE}/KH02/vietqr?amount=1000`, undefined, { token: sales.token })).statusCode, 404);
});
