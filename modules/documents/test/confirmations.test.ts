/**
 * Balance confirmations as a clerk and a customer use them: the document both companies sign
 * (read back from the PDF), the customer's page in its language, confirm and dispute through the
 * link, the answer on record and on the bus, and links that are used, expired, unknown, forged,
 * another company's or of a company that turned the module off — which show nothing of any books.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createTenantToken } from '../../../core/auth/tokens.js';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { mintLink } from '../../../core/links.js';
import { createTenant } from '../../../core/tenants.js';
import { typedAmount } from '../confirm-page.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { smtpServer } from '../../../test/helpers/smtp.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { companySettings, documentsApp, invoice, ok, overlaps, partner, pdfItems } from './helpers.js';

type App = Awaited<ReturnType<typeof documentsApp>>;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function books(h: App, ref: string, extra: Record<string, unknown> = {}) {
  await partner(h, ref, { name: `Công ty Cổ phần ${ref} Việt`, ...extra });
  const a = await invoice(h, ref, '1234567', '2026-03-01', '2026-03-31');
  await invoice(h, ref, '250000', '2026-03-10', '2026-04-09');
  await invoice(h, ref, '4000000', '2026-04-05', '2026-06-30');
  ok(await h.request('POST', '/api/ledger/payments', { partner: ref, date: '2026-03-20', amount: '1000000', allocations: [{ invoice: a.number, amount: '1000000' }] }));
}

/** The path of a link (the test's requests go to the app itself). */
const pathOf = (url: string) => new URL(url).pathname;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function ask(h: App, body: Record<string, unknown>) {
  const res = await h.request('POST', '/api/documents/confirmations', body);
  t.equal(res.statusCode, 201, `confirmation of ${String(body.partner)} created: ${res.statusCode === 201 ? '' : res.body}`);
  return res.json();
}

t.test('the customer confirms the balance through its link; the answer is on record, on the bus and in the audit', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await books(h, 'KH01');
  const asked = await ask(h, { partner: 'KH01', asOf: '2026-04-30' });
  t.match(asked.url, /^http:\/\/localhost:80\/documents\/confirm\/[A-Za-z0-9_-]{86}$/, 'an absolute link the customer can open');
  t.equal(asked.balance, '4484567', 'what KH01 owes on 30 April: 234,567 + 250,000 + 4,000,000');
  t.same(asked.items.map((i: any) => i.residual), ['234567', '250000', '4000000'], 'its open items, oldest first');
  t.equal(asked.state, 'open');
  t.equal(asked.answer, null);

  await invoice(h, 'KH01', '999000', '2026-04-20', '2026-05-20');
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)).balance, '4484567', 'an invoice posted later on an earlier date does not change what was asked');

  const pdf = await h.request('GET', `/api/documents/confirmations/${asked.id}.pdf`);
  t.equal(pdf.statusCode, 200);
  t.equal(pdf.headers['content-type'], 'application/pdf');
  const read = await pdfItems(pdf.rawPayload);
  const text = read.text.join(' ');
  for (const words of ['BIÊN BẢN ĐỐI CHIẾU CÔNG NỢ', 'Bên A (bên bán)', 'Bên B (bên mua)', 'Công ty TNHH Thương mại ACME', 'Công ty Cổ phần KH01 Việt',
    'MST: 0312345678', 'MST: 0101234567', 'Tính đến ngày 30/04/2026, Công ty Cổ phần KH01 Việt còn nợ Công ty TNHH Thương mại ACME số tiền 4.484.567 ₫.',
    'ĐẠI DIỆN BÊN A', 'ĐẠI DIỆN BÊN B', '(Ký, ghi rõ họ tên, đóng dấu)']) {
    t.ok(text.includes(words), `the PDF says "${words}"`);
  }
  t.ok(read.text.join('').includes(asked.url), 'the PDF carries the link (cut across lines where it must)');
  t.same(overlaps(read.items).map(([a, b]) => `${a.text} ⟷ ${b.text}`), [], 'no text box overlaps another');

  const page = await h.request('GET', pathOf(asked.url), undefined, { token: null });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'none'/, 'no script runs on the page');
  t.equal(page.headers['referrer-policy'], 'no-referrer', 'the link does not leak to other sites');
  t.equal(page.headers['cache-control'], 'no-store');
  t.match(page.body, /<html lang="vi" dir="ltr">/);
  for (const words of ['Công ty TNHH Thương mại ACME', 'Công ty Cổ phần KH01 Việt', '4.484.567&nbsp;₫', 'INV/2026/00001', 'Tôi xác nhận số dư này']) {
    t.ok(page.body.replace(/\u00A0/g, '&nbsp;').includes(words), `the page shows ${words}`);
  }

  const answered = await h.request('POST', pathOf(asked.url), form({ choice: 'confirmed', name: 'Trần Thị Bích – Kế toán trưởng' }), { token: null, headers: { ...FORM, 'user-agent': 'Mozilla/5.0 test' } });
  t.equal(answered.statusCode, 200);
  t.ok(answered.body.replace(/\u00A0/g, ' ').includes('Quý khách đã xác nhận số dư 4.484.567 ₫ tính đến ngày 30/04/2026'), 'the customer is told what was recorded');

  const after = ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`));
  t.equal(after.state, 'confirmed');
  t.match(after.answer, { by: 'Trần Thị Bích – Kế toán trưởng', ip: '127.0.0.1', amount: '4484567', difference: '0', note: null });
  const events = await h.db.selectFrom('core_event_outbox').select(['name', 'payload']).where('name', '=', 'confirmation.answered').execute();
  t.equal(events.length, 1, 'one confirmation.answered on the bus');
  t.match(events[0].payload, { confirmationId: asked.id, state: 'confirmed', balance: '4484567', amount: '4484567', difference: '0', answeredBy: 'Trần Thị Bích – Kế toán trưởng', asOf: '2026-04-30' });
  const audit = await h.db.selectFrom('core_audit').select(['action']).where('entity_id', '=', asked.id).orderBy('id').execute();
  t.same(audit.map((a) => a.action), ['confirmation.created', 'confirmation.confirmed'], 'who asked and who answered are in the audit log');

  for (const method of ['GET', 'POST'] as const) {
    const again = await h.request(method, pathOf(asked.url), method === 'POST' ? form({ choice: 'disputed', name: 'X', amount: '1', note: 'x' }) : undefined, { token: null, headers: method === 'POST' ? FORM : {} });
    t.equal(again.statusCode, 409, `${method} on a used link`);
    t.ok(again.body.includes('Biên bản đối chiếu này đã được phản hồi'), 'says it was answered');
    t.notOk(/KH01|4\.484\.567|INV\//.test(again.body), 'and shows nothing of the books');
  }
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)).state, 'confirmed', 'the second answer changed nothing');
});

t.test('a dispute records the customer\'s balance and note; bad answers are named on the page and nothing is recorded', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await books(h, 'KH02', { lang: 'en' });
  await books(h, 'KH03');
  const asked = await ask(h, { partner: 'KH02', asOf: '2026-04-30' });
  t.equal(asked.lang, 'en-US', 'asked in the partner\'s language');
  await ask(h, { partner: 'KH03' });

  const page = await h.request('GET', pathOf(asked.url), undefined, { token: null });
  t.match(page.body, /<html lang="en" dir="ltr">/);
  t.ok(page.body.includes('₫4,484,567'), 'amounts in the partner\'s locale');

  const bad = await h.request('POST', pathOf(asked.url), form({ choice: 'disputed', amount: '4.000.000,5', note: '', name: '  ' }), { token: null, headers: FORM });
  t.equal(bad.statusCode, 400);
  for (const words of ['Enter the balance in your books as a number, e.g. 1,234,567.', 'Say what differs', 'Enter your name']) t.ok(bad.body.includes(words), `the page says: ${words}`);
  t.ok(bad.body.includes('value="4.000.000,5"'), 'and keeps what was typed');
  const none = await h.request('POST', pathOf(asked.url), form({ name: 'Tom' }), { token: null, headers: FORM });
  t.equal(none.statusCode, 400);
  t.ok(none.body.includes('Choose whether you confirm the balance'), 'an answer must say confirm or dispute');
  const injected = await h.request('POST', pathOf(asked.url), form({ choice: 'disputed', amount: 'x', note: '<script>alert(1)</script>', name: 'Tom' }), { token: null, headers: FORM });
  t.notOk(injected.body.includes('<script>'), 'what was typed is escaped');
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)).state, 'open', 'nothing recorded');

  const disputed = await h.request('POST', pathOf(asked.url), form({ choice: 'disputed', amount: '4,250,000', note: 'INV/2026/00001: we paid the rest on 2 April.', name: 'Tom Nguyen, CFO' }), { token: null, headers: FORM });
  t.equal(disputed.statusCode, 200);
  t.ok(disputed.body.includes('Your balance of ₫4,250,000 as of 04/30/2026 has been sent to Công ty TNHH Thương mại ACME'), 'the customer is told what was sent');
  const got = ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`));
  t.match(got, { state: 'disputed', answer: { by: 'Tom Nguyen, CFO', amount: '4250000', difference: '-234567', note: 'INV/2026/00001: we paid the rest on 2 April.' } });

  const list = ok(await h.request('GET', '/api/documents/confirmations?state=disputed'));
  t.same(list.items.map((i: any) => i.partner.ref), ['KH02'], 'the disputed ones');
  t.equal(list.total.count, 1);
  const all = ok(await h.request('GET', '/api/documents/confirmations?limit=1'));
  t.equal(all.total.count, 2);
  t.equal(all.items[0].partner.ref, 'KH03', 'newest first');
  const second = ok(await h.request('GET', `/api/documents/confirmations?limit=1&cursor=${all.next}`));
  t.same(second.items.map((i: any) => i.partner.ref), ['KH02'], 'the cursor gives the next page');
  t.equal(second.next, null);
  t.same(ok(await h.request('GET', '/api/documents/confirmations?state=open&q=kh03')).items.map((i: any) => i.partner.ref), ['KH03']);
  t.equal((await h.request('GET', '/api/documents/confirmations?state=lost')).statusCode, 400, 'an unknown state is named');
  const csv = await h.request('GET', '/api/documents/confirmations?state=disputed&lang=en', undefined, { headers: { accept: 'text/csv' } });
  t.match(csv.headers['content-type'], /^text\/csv/);
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  t.equal(lines[0], 'As of,Partner ref,Partner,Balance,State,Expires,Answered at,Answered by,Their balance,Difference,Note,Sent to');
  t.equal(lines.length, 2, 'the filtered list as a file');
  t.match(lines[1], /^2026-04-30,KH02,Công ty Cổ phần KH02 Việt,4484567,disputed,.*,"Tom Nguyen, CFO",4250000,-234567,INV\/2026\/00001: we paid the rest on 2 April\.,$/);
});

t.test('Arabic and Chinese: the document and the page in the customer\'s language, right to left in Arabic', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await books(h, 'KH04', { lang: 'ar' });
  await books(h, 'KH05', { lang: 'zh' });
  const ar = await ask(h, { partner: 'KH04', asOf: '2026-04-30' });
  const zh = await ask(h, { partner: 'KH05', asOf: '2026-04-30' });

  const arPdf = await pdfItems((await h.request('GET', `/api/documents/confirmations/${ar.id}.pdf`)).rawPayload);
  const arWords = arPdf.items.filter((i) => /[\u0600-\u06FF]/.test(i.text)).flatMap((i) => i.text.split(/\s+/));
  for (const word of ['مصادقة', 'الرصيد', 'الطرف', 'حتى', 'تاريخ']) t.ok(arWords.includes(word), `the Arabic PDF has the word ${word} in logical order`);
  t.same(overlaps(arPdf.items).map(([a, b]) => `${a.text} ⟷ ${b.text}`), [], 'no overlap in Arabic');
  const arPage = await h.request('GET', pathOf(ar.url), undefined, { token: null });
  t.match(arPage.body, /<html lang="ar" dir="rtl">/, 'the page reads right to left');
  t.ok(arPage.body.includes('أؤكد هذا الرصيد'));
  const arAnswer = await h.request('POST', pathOf(ar.url), form({ choice: 'disputed', amount: '٤٬٠٠٠٬٠٠٠', note: 'فاتورة مدفوعة', name: 'أحمد' }), { token: null, headers: FORM });
  t.equal(arAnswer.statusCode, 200, 'an amount typed in Arabic-Indic digits is read');
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${ar.id}`)).answer.amount, '4000000');

  const zhPdf = await pdfItems((await h.request('GET', `/api/documents/confirmations/${zh.id}.pdf`)).rawPayload);
  const zhText = zhPdf.text.join('\n');
  t.ok(zhText.includes('往来账款余额确认函'), 'the Chinese title');
  t.ok(zhText.includes('甲方代表') && zhText.includes('乙方代表'), 'both signatures');
  t.same(overlaps(zhPdf.items).map(([a, b]) => `${a.text} ⟷ ${b.text}`), [], 'no overlap in Chinese');
  t.ok((await h.request('GET', pathOf(zh.url), undefined, { token: null })).body.includes('我确认此余额'));
});

t.test('expired, unknown, forged and another company\'s links show nothing of anyone\'s books', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  await books(h, 'KH06');
  const asked = await ask(h, { partner: 'KH06', asOf: '2026-04-30' });
  const expired = await ask(h, { partner: 'KH06', asOf: '2026-04-15' });
  await sql`update documents_confirmation set expires_at = now() - interval '1 minute' where id = ${expired.id}::uuid`.execute(h.db);
  const secret = /KH06|4\.484\.567|INV\/|Công ty Cổ phần/;

  const late = await h.request('GET', pathOf(expired.url), undefined, { token: null });
  t.equal(late.statusCode, 410);
  t.ok(late.body.includes('Đường dẫn này đã hết hạn'), 'an expired link says so');
  t.notOk(secret.test(late.body), 'and nothing more');
  const lateAnswer = await h.request('POST', pathOf(expired.url), form({ choice: 'confirmed', name: 'A' }), { token: null, headers: FORM });
  t.equal(lateAnswer.statusCode, 410, 'it cannot be answered');
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${expired.id}`)).state, 'expired');
  t.same(ok(await h.request('GET', '/api/documents/confirmations?state=expired')).items.map((i: any) => i.id), [expired.id]);
  t.same(ok(await h.request('GET', '/api/documents/confirmations?state=open')).items.map((i: any) => i.id), [asked.id]);

  const token = pathOf(asked.url).split('/').pop()!;
  const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  const otherRecord = mintLink(h.tenant.id, randomUUID());
  const unknownTenant = mintLink(randomUUID(), asked.id);
  for (const [what, path] of [['a forged secret', `/documents/confirm/${flipped}`], ['an unknown record', `/documents/confirm/${otherRecord}`],
    ['an unknown company', `/documents/confirm/${unknownTenant}`], ['a cut link', `/documents/confirm/${token.slice(0, 40)}`], ['not a token', '/documents/confirm/%27%20or%201%3D1--']] as const) {
    const res = await h.request('GET', path, undefined, { token: null });
    t.equal(res.statusCode, 404, `${what}: 404`);
    t.ok(res.body.includes('Đường dẫn không hợp lệ'), `${what}: says the link is not valid`);
    t.notOk(secret.test(res.body), `${what}: shows nothing`);
    t.equal((await h.request('POST', path, form({ choice: 'confirmed', name: 'A' }), { token: null, headers: FORM })).statusCode, 404, `${what}: cannot be answered`);
  }
  const english = await h.request('GET', `/documents/confirm/${flipped}`, undefined, { token: null, headers: { 'accept-language': 'fr-FR,en;q=0.8' } });
  t.ok(english.body.includes('This link is not valid'), 'a page that knows no confirmation speaks the browser\'s language');

  // Another company, with its own confirmation: its link with our company swapped in opens nothing, and its clerk sees none of ours.
  const beta = await createTenant(h.db, { slug: 'beta', name: 'Beta JSC', currency: 'VND' });
  await h.app.congno.enablement.enable(beta.id, 'documents', SYSTEM_ACTOR);
  const { token: betaToken } = await createTenantToken(h.db, beta.id, 'Beta clerk', 'clerk');
  ok(await h.request('POST', '/api/ledger/partners', { ref: 'B1', name: 'Beta customer' }, { token: betaToken }));
  const theirs = (await h.request('POST', '/api/documents/confirmations', { partner: 'B1' }, { token: betaToken })).json();
  const theirToken = pathOf(theirs.url).split('/').pop()!;
  const swapped = Buffer.concat([Buffer.from(h.tenant.id.replace(/-/g, ''), 'hex'), Buffer.from(theirToken, 'base64url').subarray(16)]).toString('base64url');
  t.equal((await h.request('GET', `/documents/confirm/${swapped}`, undefined, { token: null })).statusCode, 404, 'another company\'s link under our company: unknown');
  t.equal((await h.request('GET', pathOf(theirs.url), undefined, { token: null })).statusCode, 200, 'while it opens for its own company');
  t.equal((await h.request('GET', `/api/documents/confirmations/${asked.id}`, undefined, { token: betaToken })).statusCode, 404, 'their clerk cannot read ours');
  t.same(ok(await h.request('GET', '/api/documents/confirmations', undefined, { token: betaToken })).items.map((i: any) => i.partner.ref), ['B1'], 'and lists only theirs');

  ok(await h.request('DELETE', `/api/admin/tenants/${h.tenant.slug}/modules/documents`, undefined, { token: h.adminToken }));
  t.equal((await h.request('GET', pathOf(asked.url), undefined, { token: null })).statusCode, 404, 'a company that turned documents off: its links are unknown');
});

t.test('a clerk emails the confirmation: the customer gets the PDF and the link, in its language, once', async (t) => {
  const h = await buildTestApp(t, { modules: ['documents', 'follow-up'], background: true });
  await companySettings(h);
  await books(h, 'KH08', { contacts: [{ kind: 'followup', name: 'Chị Lan', email: 'lan@kh08.vn' }] });
  await partner(h, 'KH09', { email: null });
  const asked = await ask(h, { partner: 'KH08', asOf: '2026-04-30' });
  const send = (id: string, body: Record<string, unknown> = {}) => h.request('POST', `/api/documents/confirmations/${id}/send`, body);

  const unconfigured = await send(asked.id);
  t.equal(unconfigured.statusCode, 409, 'no mail server yet');
  t.match(unconfigured.json(), { type: /email-not-configured/, detail: /email\.host and email\.from/ });
  t.equal(ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)).sent, null, 'nothing recorded as sent');

  const box = await smtpServer(t);
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port: box.port, secure: false, from: 'Phòng kế toán ACME <ketoan@acme.vn>' } } }, { token: h.adminToken }));
  const queued = await send(asked.id);
  t.equal(queued.statusCode, 202, queued.body);
  t.match(queued.json(), { sent: { to: 'lan@kh08.vn' }, mail: { to: 'lan@kh08.vn', state: 'queued' } }, 'to the follow-up contact');
  await waitFor(async () => box.messages.length === 1);
  const [message] = box.messages;
  t.same(message.to, ['lan@kh08.vn']);
  t.equal(message.mail.subject, 'Biên bản đối chiếu công nợ đến ngày 30/04/2026 – Công ty TNHH Thương mại ACME');
  const text = (message.mail.text ?? '').replace(/\u00A0/g, ' ');
  t.ok(text.startsWith('Kính gửi Chị Lan,'), 'addressed to the contact');
  t.ok(text.includes('quý khách còn nợ 4.484.567 ₫'), 'the balance in words');
  t.ok(text.includes(asked.url), 'the link to answer');
  t.equal(message.mail.attachments.length, 1);
  t.equal(message.mail.attachments[0].filename, 'bien-ban-doi-chieu-KH08-2026-04-30.pdf');
  t.equal(message.mail.attachments[0].contentType, 'application/pdf');
  t.ok((await pdfItems(message.mail.attachments[0].content)).text.includes('BIÊN BẢN ĐỐI CHIẾU CÔNG NỢ'), 'the confirmation itself attached');
  const delivered = await waitFor(async () => { const c = ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)); return c.mail?.state === 'sent' && c; });
  t.match(delivered.mail.message, /^accepted by the mail server: 250/, 'what the mail server said');

  box.reject.add('nobody@kh08.vn');
  t.equal((await send(asked.id, { to: 'nobody@kh08.vn' })).statusCode, 202, 'another address, given by the clerk');
  const refused = await waitFor(async () => { const c = ok(await h.request('GET', `/api/documents/confirmations/${asked.id}`)); return c.mail?.state === 'rejected' && c; });
  t.match(refused.mail.message, /User unknown/, 'a refusal is told in the mail server\'s words');
  t.equal(box.messages.length, 1, 'and nothing else arrived');

  const bad = await send(asked.id, { to: 'not an address' });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'to');
  const other = await ask(h, { partner: 'KH09' });
  const nobody = await send(other.id);
  t.equal(nobody.statusCode, 409);
  t.equal(nobody.json().field, 'to', 'a partner without an email address: the clerk is asked for one');
  t.equal((await h.request('POST', pathOf(asked.url), form({ choice: 'confirmed', name: 'Lan' }), { token: null, headers: FORM })).statusCode, 200, 'the customer answers');
  t.equal((await send(asked.id)).statusCode, 409, 'an answered confirmation is not sent again');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(box.messages.length, 1, 'exactly one email reached the customer');
});

t.test('a salesperson asks, reads and sends the confirmations of their own customers only; the preview is HTML', async (t) => {
  const h = await documentsApp(t);
  await companySettings(h);
  const sales = await h.tokenFor('sales');
  await books(h, 'KH10', { salesperson: sales.userId });
  await books(h, 'KH11');
  const as = { token: sales.token };
  const own = (await h.request('POST', '/api/documents/confirmations', { partner: 'KH10' }, as));
  t.equal(own.statusCode, 201, 'their own customer');
  t.equal((await h.request('POST', '/api/documents/confirmations', { partner: 'KH11' }, as)).statusCode, 404, 'not another\'s');
  const theirs = await ask(h, { partner: 'KH11' });
  t.equal((await h.request('GET', `/api/documents/confirmations/${theirs.id}`, undefined, as)).statusCode, 404);
  t.equal((await h.request('GET', `/api/documents/confirmations/${theirs.id}.pdf`, undefined, as)).statusCode, 404);
  t.equal((await h.request('POST', `/api/documents/confirmations/${theirs.id}/send`, {}, as)).statusCode, 404);
  const list = ok(await h.request('GET', '/api/documents/confirmations', undefined, as));
  t.same(list.items.map((i: any) => i.partner.ref), ['KH10'], 'the list holds their own');
  t.equal(list.total.count, 1);
  const html = await h.request('GET', `/api/documents/confirmations/${own.json().id}.html?lang=en`, undefined, as);
  t.match(html.headers['content-type'], /^text\/html/);
  t.match(html.body, 'BALANCE CONFIRMATION');
  t.match(html.body, 'For Party A');
});

t.test('asking names bad input', async (t) => {
  const h = await documentsApp(t);
  await books(h, 'KH07');
  const post = (body: unknown) => h.request('POST', '/api/documents/confirmations', body);
  const cases: Array<[unknown, number, string]> = [
    [{ partner: 'KH07', asOf: '2099-01-01' }, 400, 'asOf'],
    [{ partner: 'KH07', asOf: '30/04/2026' }, 400, 'asOf'],
    [{ partner: 'KH07', lang: 'fr' }, 400, 'lang'],
    [{ partner: 'NOPE' }, 404, ''],
    [{ partner: 'KH07', extra: 1 }, 400, ''],
    [{}, 400, ''],
  ];
  for (const [body, status, field] of cases) {
    const res = await post(body);
    t.equal(res.statusCode, status, `${JSON.stringify(body)} → ${status}`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    if (field) t.equal(res.json().field, field, `names ${field}`);
  }
  t.equal((await h.request('GET', '/api/documents/confirmations/not-an-id')).statusCode, 404);
  t.equal((await h.request('GET', `/api/documents/confirmations/${randomUUID()}.pdf`)).statusCode, 404);
  t.equal(await h.db.selectFrom('documents_confirmation').select(({ fn }) => fn.countAll().as('n')).executeTakeFirstOrThrow().then((r) => Number(r.n)), 0, 'nothing was written');
});

t.test('amounts as customers type them', async (t) => {
  const cases: Array<[string, string, string, bigint | null]> = [
    ['1.234.567', 'vi-VN', 'VND', 1234567n],
    ['1.234.567 ₫', 'vi-VN', 'VND', 1234567n],
    ['1 234 567', 'vi-VN', 'VND', 1234567n],
    ['1,234,567', 'en-US', 'VND', 1234567n],
    ['-500.000', 'vi-VN', 'VND', -500000n],
    ['0', 'vi-VN', 'VND', 0n],
    ['1.5', 'vi-VN', 'VND', null],
    ['12.34.567', 'vi-VN', 'VND', null],
    ['1,234.56', 'en-US', 'USD', 123456n],
    ['1.234,56', 'vi-VN', 'USD', 123456n],
    ['1234.5', 'en-US', 'USD', 123450n],
    ['1,234.567', 'en-US', 'USD', null],
    ['٤٬٠٠٠٬٠٠٠', 'ar', 'VND', 4000000n],
    ['abc', 'en-US', 'VND', null],
    ['', 'en-US', 'VND', null],
    ['9'.repeat(41), 'en-US', 'VND', null],
  ];
  for (const [text, locale, currency, wanted] of cases) t.equal(typedAmount(text, locale, currency), wanted, `${text} (${locale}, ${currency})`);
});
