/**
 * Email reminders through a real SMTP server on 127.0.0.1: what the customer receives (recipient,
 * subject, the overdue items with amounts formatted for their locale), what the clerk sees
 * afterwards (delivery result on the timeline), missing contact data, a refusal by the server, a
 * payment that arrives before the reminder goes out, and never a second message.
 */
import t from 'tap';
import { sql } from 'kysely';
import { addDays } from '../../../core/dates.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, followUpApp, invoice, levels, ok, partner, pay, pdfText, run, smtpServer, useSmtp } from './helpers.js';
import { qrInPng } from '../../../test/helpers/qr.js';

const DUE = '2026-03-31';
const day = (n: number): string => addDays(DUE, n);

/** Delivers every due outbox delivery (the relay's work, driven by the test). */
async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

async function actions(h: TestApp) {
  return h.db.selectFrom('followup_action as a').innerJoin('ledger_partner as p', 'p.id', 'a.partner_id')
    .select(['p.ref', 'a.channel', 'a.state', 'a.recipient', 'a.result', 'a.idempotency_key']).where('a.channel', '=', 'email').orderBy('p.ref').execute();
}

t.test('a reminder in Vietnamese to the follow-up contact, with the overdue items and vi-VN amounts', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  const kh01 = await partner(h, 'KH01', { name: 'Công ty TNHH Minh Phát', email: 'info@minhphat.vn', contacts: [{ kind: 'followup', name: 'Chị Lan', email: 'lan.ketoan@minhphat.vn' }] });
  await partner(h, 'KH02', { name: 'Cửa hàng Ánh Dương', email: 'anhduong@khach.vn' });
  await partner(h, 'KH03', { name: 'Hộ kinh doanh Bình An', email: null });
  const a1 = await invoice(h, 'KH01', '1234567', '2026-03-01', DUE);
  const a2 = await invoice(h, 'KH01', '250000', '2026-03-10', '2026-04-09');
  await invoice(h, 'KH02', '99000000', '2026-03-01', DUE);
  await invoice(h, 'KH03', '500000', '2026-03-01', DUE);
  // KH01's follow-up responsible gets the replies.
  const clerk = await h.tokenFor('clerk');
  await h.db.updateTable('core_user').set({ email: 'thu.nguyen@acme.vn', name: 'Nguyễn Thu' }).where('id', '=', clerk.userId).execute();
  ok(await h.request('PUT', `${BASE}/partners/KH01`, { responsible: clerk.userId }));

  const r = await run(h, day(16));
  t.same(r.actions.map((a: any) => [a.ref, a.levelName]), [['KH01', 'Quá hạn 15 ngày'], ['KH02', 'Quá hạn 15 ngày'], ['KH03', 'Quá hạn 15 ngày']]);
  t.same(r.missingContactData.map((m: any) => [m.ref, m.name, m.missing]), [['KH03', 'Hộ kinh doanh Bình An', 'missing contact data: no email address (neither a follow-up contact nor the partner has one)']],
    'a partner without an email is listed, not skipped silently');
  t.equal(box.messages.length, 0, 'nothing leaves inside the run');
  await drain(h);

  t.equal(box.messages.length, 2);
  const toLan = box.messages.find((m) => m.to[0] === 'lan.ketoan@minhphat.vn')!;
  t.ok(toLan, 'the follow-up contact first, not the partner address');
  t.same(toLan.to, ['lan.ketoan@minhphat.vn']);
  t.equal(toLan.from, 'ketoan@acme.vn');
  const mail = toLan.mail;
  t.equal(mail.subject, 'ACME Trading Co., Ltd – Thông báo công nợ quá hạn: 1.484.567\u00a0₫', 'the subject names the overdue total');
  t.equal(mail.replyTo?.value[0].address, 'thu.nguyen@acme.vn', 'replies go to the follow-up responsible');
  t.equal(mail.headers.get('content-language'), 'vi');
  const text = mail.text!;
  t.match(text, 'Kính gửi Chị Lan,');
  t.match(text, 'các khoản sau của Công ty TNHH Minh Phát đã quá hạn thanh toán');
  t.match(text, /INV\/2026\/00001\s+31\/03\/2026\s+16 ngày\s+1\.234\.567\u00a0₫/, 'the overdue invoice: due date, days overdue, amount as vi-VN writes it');
  t.match(text, /INV\/2026\/00002\s+09\/04\/2026\s+7 ngày\s+250\.000\u00a0₫/);
  t.match(text, /Tổng cộng\s+1\.484\.567\u00a0₫/, 'the total');
  t.match(mail.html as string, /<td[^>]*>1\.234\.567\u00a0₫<\/td>/, 'the HTML part has the same table');
  void a1; void a2;

  const toKh02 = box.messages.find((m) => m.to[0] === 'anhduong@khach.vn')!;
  t.match(toKh02.mail.text!, /99\.000\.000\u00a0₫/);

  const rows = await actions(h);
  t.match(rows, [
    { ref: 'KH01', state: 'sent', recipient: 'lan.ketoan@minhphat.vn', result: { accepted: ['lan.ketoan@minhphat.vn'], rejected: [], response: /^250 / } },
    { ref: 'KH02', state: 'sent', recipient: 'anhduong@khach.vn' },
    { ref: 'KH03', state: 'missing_contact', recipient: null, result: { reason: /missing contact data/ } },
  ]);
  t.match(rows[0].idempotency_key, /^[0-9a-f-]{36}:follow-up:send-email$/, 'one key per reminder, whichever delivery sends it');
  t.equal(mail.messageId, `<${rows[0].idempotency_key!.replace(/:/g, '.')}@congno.followup>`, 'the idempotency key travels as the Message-ID');

  const timeline = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/timeline`));
  t.match(timeline.actions, [{ channel: 'email', state: 'sent', level: { name: 'Quá hạn 15 ngày' }, recipient: 'lan.ketoan@minhphat.vn', result: { response: /^250 / } }]);
  t.match(timeline.activities, [{ type: 'call', level: 'Quá hạn 15 ngày', dueOn: day(16), responsible: clerk.userId, state: 'open' }]);

  // Redelivered (at least once): the reminder is not sent a second time.
  await sql`update core_event_delivery set state = 'pending', next_attempt_at = now() where subscriber like 'follow-up:send-email%'`.execute(h.db);
  await drain(h);
  t.equal(box.messages.length, 2, 'no second message');
  t.same((await run(h, day(16))).actions, [], 'a second run the same day sends nothing');
  await drain(h);
  t.equal(box.messages.length, 2);
});

t.test('other languages: the partner\'s language picks the template and the number format', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  await partner(h, 'EN01', { name: 'Saigon Imports Ltd', email: 'ap@saigonimports.com', lang: 'en' });
  await partner(h, 'ZH01', { name: '华南贸易公司', email: 'cw@huanan.cn', lang: 'zh_CN' });
  await partner(h, 'AR01', { name: 'شركة الخليج', email: 'ar@gulf.ae', lang: 'ar' });
  for (const ref of ['EN01', 'ZH01', 'AR01']) await invoice(h, ref, '1234567', '2026-03-01', DUE);
  await run(h, day(-3));
  await drain(h);
  const by = (to: string) => box.messages.find((m) => m.to[0] === to)!.mail;
  t.equal(by('ap@saigonimports.com').subject, 'ACME Trading Co., Ltd – Friendly reminder: ₫1,234,567 falls due soon');
  t.match(by('ap@saigonimports.com').text!, /INV\/2026\/\d+\s+03\/31\/2026\s+not yet due\s+₫1,234,567/);
  t.equal(by('cw@huanan.cn').subject, 'ACME Trading Co., Ltd – 付款提醒：₫1,234,567 即将到期');
  t.match(by('ar@gulf.ae').text!, 'الإجمالي');
  t.match(by('ar@gulf.ae').html as string, /dir="rtl"/);
});

t.test('the mail server refuses the address: rejected with its reason, not retried', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  box.reject.add('old@khach.vn');
  await partner(h, 'KH01', { email: 'old@khach.vn' });
  await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  await run(h, day(20));
  await drain(h);
  t.equal(box.messages.length, 0);
  const [row] = await actions(h);
  t.match(row, { state: 'rejected', recipient: 'old@khach.vn', result: { responseCode: 550, response: /Recipient address rejected: User unknown/ } });
  const delivery = await h.db.selectFrom('core_event_delivery').select(['state', 'attempts']).where('subscriber', 'like', 'follow-up:send-email%').executeTakeFirstOrThrow();
  t.match(delivery, { state: 'done', attempts: 1 });
});

t.test('paid between the run and the sending: cancelled, nothing sent; email not configured: failed in words, sent by the first run after it is', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await partner(h, 'KH01');
  await partner(h, 'KH02');
  const inv = await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  await invoice(h, 'KH02', '1000000', '2026-03-01', DUE);
  await run(h, day(20));
  await pay(h, 'KH01', '1000000', day(20), inv.id);
  // Not configured yet: the reminder fails, saying why; the delivery is done, not retried into a dead letter.
  await drain(h);
  t.same((await actions(h)).map((a) => [a.ref, a.state]), [['KH01', 'cancelled'], ['KH02', 'failed']]);
  t.match((await actions(h))[0].result, { code: 'nothing_left', reason: 'nothing left to remind on 2026-04-20: paid (or excluded, or promised) since the run of 2026-04-20' });
  t.match((await actions(h))[1].result, { code: 'not_configured', message: /^email is not configured: set the follow-up settings email\.host and email\.from/ });
  const deliveries = await h.db.selectFrom('core_event_delivery').select(['subscriber', 'state', 'attempts', 'last_error']).where('subscriber', 'like', 'follow-up:send-email%').execute();
  t.same(deliveries, [{ subscriber: 'follow-up:send-emails', state: 'done', attempts: 1, last_error: null }], 'an expected condition, not an error to retry');
  await useSmtp(h, box);
  const next = await run(h, day(21));
  t.equal(next.requeued, 1, 'the next run queues it again');
  await drain(h);
  t.same(box.messages.map((m) => m.to), [['kh02@khach.vn']], 'only the partner who still owes');
  t.same((await actions(h)).map((a) => [a.ref, a.state]), [['KH01', 'cancelled'], ['KH02', 'sent']]);
  t.match((await actions(h))[1].result, { code: 'sent', message: /^accepted by the mail server: 250 / });
});

t.test('a crash while handing the message over: never sent twice, marked uncertain for a clerk', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', DUE);
  await run(h, day(20));
  // What a process killed during the SMTP call leaves: the attempt committed as 'sending', the delivery still pending.
  const { id: action_id } = await h.db.selectFrom('followup_action').select('id').where('channel', '=', 'email').executeTakeFirstOrThrow();
  await h.db.insertInto('followup_send_attempt').values({ tenant_id: h.tenant.id, idempotency_key: `${action_id}:follow-up:send-email`, action_id, state: 'sending', attempts: 1, response: null, finished_at: null }).execute();
  await drain(h);
  t.equal(box.messages.length, 0, 'not sent again');
  const [row] = await actions(h);
  t.match(row, { state: 'uncertain', result: { reason: /not sent again so the customer is never reminded twice/, messageId: `<${action_id}.follow-up.send-email@congno.followup>` } });
});

t.test('a level with attachStatement attaches the partner\'s statement from the documents module, and the payment QR code inline', async (t) => {
  const h = await followUpApp(t, { modules: ['follow-up', 'documents'] });
  const box = await smtpServer(t);
  await useSmtp(h, box);
  const final = (await levels(h)).find((l) => l.delay === 60);
  ok(await h.request('PUT', `${BASE}/levels/${final.id}`, { name: final.name, delay: 60, channels: ['email'], auto: true, template: 'final', attachStatement: true }));
  const { token } = await h.tokenFor('accountant');
  ok(await h.request('PATCH', '/api/documents/settings', { settings: { bankAccount: { bin: '970436', accountNumber: '0071001234567', accountName: 'ACME' } } }, { token }));
  const p = await partner(h, 'KH01', { name: 'Công ty TNHH Minh Phát', address: { street: '12 Nguyễn Huệ', ward: 'Phường Sài Gòn', province: 'Thành phố Hồ Chí Minh' } });
  const inv = await invoice(h, 'KH01', '1234567', '2026-01-01', '2026-01-31');
  await invoice(h, 'KH01', '2000000', '2026-03-20', '2026-04-19');
  await run(h, '2026-04-10');
  await drain(h);
  t.equal(box.messages.length, 1);
  const mail = box.messages[0].mail;
  t.match(mail.subject, 'Thông báo lần cuối về công nợ quá hạn');
  t.same(mail.attachments.map((a) => [a.filename, a.contentType]), [[`vietqr-${inv.paymentReference}.png`, 'image/png'], ['sao-ke-cong-no-KH01-2026-04-10.pdf', 'application/pdf']]);
  const text = await pdfText(mail.attachments[1].content);
  t.match(text, 'THÔNG BÁO CÔNG NỢ');
  t.match(text, 'Đến ngày 10/04/2026');
  t.match(text, /Khách hàng:\s+Công ty TNHH Minh Phát/);
  t.match(text, '12 Nguyễn Huệ');
  t.match(text, 'Thành phố Hồ Chí Minh');
  t.match(text, inv.number);
  t.match(text, /1\.234\.567\s₫/);
  t.match(text, /Tổng còn phải trả\s+3\.234\.567\s₫/);
  t.match(text, /Trong đó quá hạn\s+1\.234\.567\s₫/);
  t.match(text, '69 ngày');
  t.match((await actions(h))[0].result, { attachments: [`vietqr-${inv.paymentReference}.png`, 'sao-ke-cong-no-KH01-2026-04-10.pdf'] });
  // The reminder lists one invoice: its QR code pays it, with its own reference.
  const qr = mail.attachments[0];
  t.equal(qr.contentDisposition, 'inline');
  t.equal(qr.cid, 'payment-qr@congno');
  t.match(mail.html as string, /<img src="[^"]+" alt="VietQR"/, 'shown in the message (the reader inlines the cid: part)');
  t.match(mail.html as string, `Nội dung chuyển khoản: ${inv.paymentReference}`);
  const payload = await qrInPng(qr.content);
  t.match(payload, `5802VN62${String(inv.paymentReference.length + 4).padStart(2, '0')}08${String(inv.paymentReference.length).padStart(2, '0')}${inv.paymentReference}`);
  t.match(payload, '54071234567', 'the amount reminded of');

  const res = await h.request('GET', `${BASE}/partners/${p.id}/statement?date=2026-04-10`);
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/pdf');
  t.match(res.headers['content-disposition'], 'sao-ke-cong-no-KH01-2026-04-10.pdf');
  t.match(await pdfText(res.rawPayload), /Tổng còn phải trả\s+3\.234\.567\s₫/, 'a clerk downloads the same statement');

  // Without the documents module: no statement to attach, and the download says why.
  ok(await h.request('DELETE', '/api/admin/tenants/acme/modules/documents', undefined, { token: h.adminToken }));
  const off = await h.request('GET', `${BASE}/partners/${p.id}/statement?date=2026-04-10`);
  t.equal(off.statusCode, 409);
  t.match(off.json().detail, 'documents module');
});

t.test('a tenant template replaces the shipped one', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  const url = `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`;
  const bad = await h.request('PATCH', url, { settings: { templates: { 'overdue/email.vi': '' } } }, { token: h.adminToken });
  t.equal(bad.statusCode, 400, 'an empty template is refused');
  t.match(bad.json().field, /^settings\.templates\./);
  // One without its Subject line is not used: the shipped template goes out instead.
  ok(await h.request('PATCH', url, { settings: { templates: { 'due/email.vi': 'Kính gửi {{contactName}}' } } }, { token: h.adminToken }));
  ok(await h.request('PATCH', url, { settings: { templates: { 'overdue/email.vi': 'Subject: Nhắc nợ {{partner.name}} – {{overdueTotal}}\nKính gửi {{contactName}},\n\n{{itemsTable}}\n\nPhòng kế toán' } } }, { token: h.adminToken }));
  await partner(h, 'KH01', { name: 'Công ty Minh Phát' });
  await invoice(h, 'KH01', '1234567', '2026-03-01', DUE);
  await run(h, day(20));
  await drain(h);
  const mail = box.messages[0].mail;
  t.equal(mail.subject, 'Nhắc nợ Công ty Minh Phát – 1.234.567\u00a0₫');
  t.match(mail.text!, /^Kính gửi Công ty Minh Phát,\n\nSố hóa đơn/);
  t.match(mail.text!, /Phòng kế toán\n$/);
  await partner(h, 'KH02');
  await invoice(h, 'KH02', '500000', '2026-03-01', day(20));
  await run(h, day(20));
  await drain(h);
  t.equal(box.messages[1].mail.subject, 'ACME Trading Co., Ltd – Hóa đơn đến hạn thanh toán hôm nay: 500.000\u00a0₫');
});
