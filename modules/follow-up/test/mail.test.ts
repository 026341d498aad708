/**
 * Emails other modules send through the company's mail server (`mail.send` of the service):
 * handed over once after commit, a refusal and an unreachable server told in words, a crash
 * while handing over never sends twice.
 */
import t from 'tap';
import { sql } from 'kysely';
import { withTenant } from '../../../core/db/kysely.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { freePort } from '../../../test/helpers/net.js';
import { followUpApp, ok, smtpServer, useSmtp } from './helpers.js';

async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

const send = (h: TestApp, to: string, about = 'test') => withTenant(h.db, h.tenant.id, (trx) => h.app.congno.service('follow-up').mail.send(trx, h.tenant.id, 'documents', {
  to, subject: 'Biên bản đối chiếu', text: 'Kính gửi quý khách', lang: 'vi-VN', about,
  attachments: [{ filename: 'bien-ban.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.7 test') }],
}));
const state = (h: TestApp, id: string) => withTenant(h.db, h.tenant.id, (trx) => h.app.congno.service('follow-up').mail.get(trx, h.tenant.id, id));

t.test('a mail is handed over once, after commit, with its attachment; a refusal is kept in the server\'s words', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  t.match(await send(h, 'a@khach.vn').then(() => null, (e: unknown) => e), { status: 409, slug: 'email-not-configured' }, 'no mail server: refused at once');
  await useSmtp(h, box);
  t.match(await send(h, 'not-an-address').then(() => null, (e: unknown) => e), { status: 400, field: 'to' }, 'not an address');

  const queued = await send(h, 'a@khach.vn');
  t.equal(queued.state, 'queued');
  t.equal(box.messages.length, 0, 'nothing leaves inside the transaction');
  await drain(h);
  t.equal(box.messages.length, 1);
  t.same(box.messages[0].to, ['a@khach.vn']);
  t.equal(box.messages[0].mail.subject, 'Biên bản đối chiếu');
  t.equal(box.messages[0].mail.from?.value[0].address, 'ketoan@acme.vn', 'from the company\'s sender');
  t.equal(box.messages[0].mail.attachments[0].content.toString(), '%PDF-1.7 test');
  t.match(await state(h, queued.id), { state: 'sent', result: { code: 'sent' } });
  await drain(h);
  t.equal(box.messages.length, 1, 'never twice');

  box.reject.add('gone@khach.vn');
  const refused = await send(h, 'gone@khach.vn');
  await drain(h);
  t.match(await state(h, refused.id), { state: 'rejected', result: { code: 'refused', message: /User unknown/ } });
});

t.test('an unreachable server is retried; a crash while handing over makes the mail uncertain, not sent twice', async (t) => {
  const h = await followUpApp(t, { config: { relay: { enabled: true, pollMs: 50, workers: 1, backoffMs: 0 } } });
  const box = await smtpServer(t);
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port: await freePort(), secure: false, from: 'ketoan@acme.vn' } } }, { token: h.adminToken }));
  const later = await send(h, 'b@khach.vn');
  await h.app.congno.relay.deliverOne();
  t.match(await state(h, later.id), { state: 'queued', result: { code: 'retrying', message: /retrying: could not connect/ } }, 'nothing handed over: queued again, and why');
  await useSmtp(h, box);
  await drain(h);
  t.match(await state(h, later.id), { state: 'sent' }, 'sent once the server answers');
  t.equal(box.messages.length, 1);

  const crashed = await send(h, 'c@khach.vn');
  // The process stopped after marking it "sending": the redelivery must not send it again.
  await sql`update followup_mail set state = 'sending' where id = ${crashed.id}::uuid`.execute(h.db);
  await drain(h);
  t.match(await state(h, crashed.id), { state: 'uncertain', result: { code: 'uncertain' } });
  t.equal(box.messages.length, 1, 'not sent');
});
