/**
 * A clerk sees a reminder before it goes (GET /partners/{id}/preview): the same subject, text,
 * HTML and attachments the customer then receives from a real SMTP server; and afterwards the
 * partner's timeline keeps the body that was sent.
 */
import t from 'tap';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, followUpApp, invoice, levels, ok, partner, run, smtpServer, useSmtp } from './helpers.js';

async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

/** Line ends as the mail parser gives them back. */
const norm = (s: string): string => s.replace(/\r\n/g, '\n').trimEnd();

t.test('the preview is the email the customer receives: subject, text, HTML, attachments; the timeline keeps what was sent', async (t) => {
  // The statement attachment is made by the documents module.
  const h = await followUpApp(t, { modules: ['follow-up', 'documents'] });
  const box = await smtpServer(t);
  await useSmtp(h, box);
  const l15 = (await levels(h)).find((l) => l.delay === 15);
  ok(await h.request('PUT', `${BASE}/levels/${l15.id}`, { name: l15.name, delay: 15, channels: ['email'], auto: true, template: 'overdue', attachStatement: true, activity: l15.activity }));
  const kh01 = await partner(h, 'KH01', { name: 'Công ty TNHH Minh Phát', email: 'info@minhphat.vn', contacts: [{ kind: 'followup', name: 'Chị Lan', email: 'lan.ketoan@minhphat.vn' }] });
  await invoice(h, 'KH01', '1234567', '2026-03-01', '2026-03-31');
  await invoice(h, 'KH01', '250000', '2026-03-10', '2026-04-09');

  const preview = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/preview?date=2026-04-20&channel=email`));
  t.match(preview, {
    level: { id: l15.id, name: 'Quá hạn 15 ngày', delay: 15 }, language: 'vi', date: '2026-04-20',
    from: 'Phòng kế toán ACME <ketoan@acme.vn>', to: 'lan.ketoan@minhphat.vn', warnings: [],
    subject: 'ACME Trading Co., Ltd – Thông báo công nợ quá hạn: 1.484.567\u00a0₫',
    attachments: ['sao-ke-cong-no-KH01-2026-04-20.pdf'],
  }, 'by default the level due that day');
  t.match(preview.text, /Kính gửi Chị Lan,/);
  t.match(preview.html, /<td[^>]*>1\.234\.567\u00a0₫<\/td>/);

  await run(h, '2026-04-20');
  await drain(h);
  t.equal(box.messages.length, 1);
  const mail = box.messages[0].mail;
  t.equal(mail.subject, preview.subject, 'the same subject');
  t.equal(norm(mail.text!), norm(preview.text), 'the same text');
  t.equal(norm(mail.html as string), norm(preview.html), 'the same HTML');
  t.same(mail.attachments.map((a) => a.filename), preview.attachments, 'the same attachments');

  const timeline = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/timeline`));
  t.match(timeline.actions, [{ state: 'sent', message: { subject: preview.subject, text: preview.text, html: preview.html, attachments: preview.attachments, to: 'lan.ketoan@minhphat.vn', language: 'vi' } }],
    'the timeline keeps the body that was sent');

  // After it: the level the partner is at; another level by id, or by name (the seeded one in any language).
  t.equal(ok(await h.request('GET', `${BASE}/partners/KH01/preview?date=2026-04-21`)).level.id, l15.id);
  const final = (await levels(h)).find((l) => l.delay === 60);
  const byId = ok(await h.request('GET', `${BASE}/partners/KH01/preview?date=2026-04-21&level=${final.id}`));
  t.match(byId, { level: { name: 'Quá hạn 60 ngày: thông báo lần cuối' }, subject: /Thông báo lần cuối về công nợ quá hạn/, attachments: [] });
  t.equal(ok(await h.request('GET', `${BASE}/partners/KH01/preview?date=2026-04-21&level=${encodeURIComponent('60 days overdue: final notice')}`)).level.id, final.id);
  t.equal(ok(await h.request('GET', `${BASE}/partners/KH01/preview?date=2026-04-21&level=${encodeURIComponent('quá hạn 60 ngày: thông báo lần cuối')}`)).level.id, final.id);

  const unknown = await h.request('GET', `${BASE}/partners/KH01/preview?level=nope`);
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json(), { field: 'level', detail: /no level 'nope' in plan 'default'/ });
  const letter = await h.request('GET', `${BASE}/partners/KH01/preview?channel=letter`);
  t.equal(letter.statusCode, 400);
  t.equal(letter.json().field, 'channel');
  t.equal((await h.request('GET', `${BASE}/partners/KH99/preview`)).statusCode, 404);
});

t.test('nothing due, nothing to remind, not configured: the preview says so', async (t) => {
  const h = await followUpApp(t);
  const kh01 = await partner(h, 'KH01', { email: null });
  await invoice(h, 'KH01', '500000', '2026-03-01', '2026-05-31');
  const none = await h.request('GET', `${BASE}/partners/${kh01.id}/preview?date=2026-04-01`);
  t.equal(none.statusCode, 409);
  t.match(none.json(), { type: /no-level$/, detail: /No level of plan 'default' applies to KH01 on 2026-04-01/ });
  const nothing = await h.request('GET', `${BASE}/partners/${kh01.id}/preview?date=2026-04-01&level=${encodeURIComponent('Quá hạn 15 ngày')}`);
  t.equal(nothing.statusCode, 409);
  t.match(nothing.json(), { type: /nothing-to-remind$/, detail: /Nothing to remind KH01 of on 2026-04-01/ });

  const due = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/preview?date=2026-05-28`));
  t.match(due, { level: { delay: -3 }, from: null, to: null, subject: /Nhắc thanh toán|sắp đến hạn/ });
  t.match(due.warnings, [/^Not sent now: email is not configured/, /^Not sent now: missing contact data/]);
});
