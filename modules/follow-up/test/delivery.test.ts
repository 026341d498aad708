/**
 * A reminder that does not go out says why, in words, where a clerk looks: on the action, in the
 * partner's timeline, in the run's answer (and before, in a dry run): email not configured, the
 * mail server unreachable (retrying, with the next attempt's time) or refusing it.
 */
import t from 'tap';
import net from 'node:net';
import { sql } from 'kysely';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { BASE, followUpApp, invoice, ok, partner, run, smtpServer, useSmtp } from './helpers.js';

async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

/** A port on 127.0.0.1 where nothing listens (the connection is refused). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function emailActions(h: TestApp) {
  return h.db.selectFrom('followup_action as a').innerJoin('ledger_partner as p', 'p.id', 'a.partner_id')
    .select(['p.ref', 'a.id', 'a.state', 'a.result']).where('a.channel', '=', 'email').orderBy('p.ref').execute();
}

t.test('email not configured: the dry run warns, the action, the timeline and the run say not_configured in words', async (t) => {
  const h = await followUpApp(t);
  const kh01 = await partner(h, 'KH01');
  await partner(h, 'KH02', { email: null });
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await invoice(h, 'KH02', '2000000', '2026-03-01', '2026-03-31');

  const dry = await run(h, '2026-04-20', true);
  t.match(dry.channelProblems, [{ channel: 'email', code: 'not_configured', actions: 1, message: /^Email is not configured \(the follow-up settings email\.host and email\.from\): 1 email reminder would not go out/ }],
    'the dry run warns that a channel it would use is not configured (KH02 has no address: not counted)');
  t.match(dry.warnings, [/^Email is not configured/]);

  const real = await run(h, '2026-04-20');
  t.match(real.channelProblems, [{ channel: 'email', code: 'not_configured', actions: 1, message: /1 email reminder will not go out; they are recorded as failed \(not_configured\) and the first run after email is configured sends them/ }]);
  await drain(h);

  const [a1, a2] = await emailActions(h);
  t.match(a1, { ref: 'KH01', state: 'failed', result: { code: 'not_configured', message: /^email is not configured: set the follow-up settings email\.host and email\.from .*; the first run after that sends this reminder$/ } });
  t.match(a2, { ref: 'KH02', state: 'missing_contact', result: { code: 'missing_contact', message: /^missing contact data: no email address/ } });

  const timeline = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/timeline`));
  t.match(timeline.actions, [{ channel: 'email', state: 'failed', result: { code: 'not_configured', message: /^email is not configured/ }, message: null }]);
  const detail = ok(await h.request('GET', `${BASE}/runs/${real.id}`));
  t.match(detail.delivery, { states: { failed: 1, missing_contact: 1 }, problems: [{ code: 'not_configured', actions: 1, message: /^email is not configured/ }, { code: 'missing_contact', actions: 1 }] });
  const dead = await h.db.selectFrom('core_event_delivery').select(['state', 'last_error']).where('subscriber', 'like', 'follow-up:send-email%').execute();
  t.same(dead, [{ state: 'done', last_error: null }], 'no retry with backoff, no dead letter');

  // A dry run after it is configured says it would queue it again; the real run does, and it goes out once.
  const box = await smtpServer(t);
  await useSmtp(h, box);
  const again = await run(h, '2026-04-22', true);
  t.equal(again.requeued, 1);
  t.same(again.channelProblems, []);
  t.equal((await run(h, '2026-04-22')).requeued, 1);
  await drain(h);
  t.equal((await run(h, '2026-04-23')).requeued, 0, 'once');
  await drain(h);
  t.same(box.messages.map((m) => m.to), [['kh01@khach.vn']]);
  t.match((await emailActions(h))[0], { state: 'sent', result: { code: 'sent' } });
});

t.test('a wrong port: pending with "retrying, next attempt at …" on the action, the timeline and the run; then sent once', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  const port = await closedPort();
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port, from: 'ketoan@acme.vn' } } }, { token: h.adminToken }));
  const kh01 = await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  const r = await run(h, '2026-04-20');
  t.same(r.channelProblems, [], 'configured: nothing to warn about before sending');
  await drain(h);

  const [action] = await emailActions(h);
  t.match(action, { state: 'pending', result: { code: 'retrying', attempts: 1, message: new RegExp(`^retrying: could not connect to the mail server 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`) } });
  const delivery = await h.db.selectFrom('core_event_delivery').select(['state', 'attempts', 'next_attempt_at']).where('subscriber', '=', 'follow-up:send-email').executeTakeFirstOrThrow();
  t.match(delivery, { state: 'pending', attempts: 1 }, 'the outbox retries it with backoff');
  const next = delivery.next_attempt_at.toISOString();

  const timeline = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/timeline`));
  t.match(timeline.actions, [{ state: 'pending', result: { code: 'retrying', nextAttemptAt: next, message: `retrying, next attempt at ${next}: ${action.result!.reason}` } }]);
  const detail = ok(await h.request('GET', `${BASE}/runs/${r.id}`));
  t.match(detail.actions, [{ state: 'pending', result: { code: 'retrying', nextAttemptAt: next, message: /^retrying, next attempt at / } }]);
  t.match(detail.delivery.problems, [{ code: 'retrying', actions: 1, message: /^retrying, next attempt at .*could not connect to the mail server/ }]);

  // Fixed: the next attempt sends it, once.
  await useSmtp(h, box);
  await sql`update core_event_delivery set next_attempt_at = now() where state = 'pending'`.execute(h.db);
  await drain(h);
  t.equal(box.messages.length, 1);
  t.match((await emailActions(h))[0], { state: 'sent', result: { code: 'sent' } });
  await sql`update core_event_delivery set state = 'pending', next_attempt_at = now() where subscriber = 'follow-up:send-email'`.execute(h.db);
  await drain(h);
  t.equal(box.messages.length, 1, 'redelivered: not sent twice');
});

t.test('unreachable at the last attempt: failed (unreachable) instead of a dead letter; the next run sends it', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  const port = await closedPort();
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port, from: 'ketoan@acme.vn' } } }, { token: h.adminToken }));
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-20');
  await drain(h);
  t.match((await emailActions(h))[0], { state: 'pending', result: { code: 'retrying' } });
  // Seven attempts of its retry already failed: the eighth is the last.
  await sql`update core_event_delivery set attempts = 7, next_attempt_at = now() where subscriber = 'follow-up:send-email'`.execute(h.db);
  await drain(h);
  t.match((await emailActions(h))[0], { state: 'failed', result: { code: 'unreachable', attempts: 8, message: /^not sent after 8 attempts: could not connect to the mail server .*; the next run queues it again$/ } });
  t.match(await h.db.selectFrom('core_event_delivery').select('state').where('subscriber', '=', 'follow-up:send-email').executeTakeFirstOrThrow(), { state: 'done' });

  await useSmtp(h, box);
  t.equal((await run(h, '2026-04-21')).requeued, 1);
  await drain(h);
  t.equal(box.messages.length, 1);
  t.match((await emailActions(h))[0], { state: 'sent' });
});

t.test('refused by the mail server: rejected, "refused by the mail server: …" in words', async (t) => {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  box.reject.add('old@khach.vn');
  const kh01 = await partner(h, 'KH01', { email: 'old@khach.vn' });
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-20');
  await drain(h);
  const timeline = ok(await h.request('GET', `${BASE}/partners/${kh01.id}/timeline`));
  t.match(timeline.actions, [{ state: 'rejected', result: { code: 'refused', message: /^refused by the mail server: 550 .*Recipient address rejected/ }, message: { to: 'old@khach.vn', subject: /Thông báo công nợ quá hạn/ } }]);
});

t.test('a failed reminder replaced by a later level is superseded, not sent late', async (t) => {
  const h = await followUpApp(t);
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { minIntervalDays: 0 } }, { token: h.adminToken }));
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-03-28');
  await drain(h);
  await run(h, '2026-04-16');
  await drain(h);
  t.same((await emailActions(h)).map((a) => [a.state, a.result?.code]), [['failed', 'not_configured'], ['failed', 'not_configured']]);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  t.equal((await run(h, '2026-04-17')).requeued, 1, 'only the latest level goes');
  await drain(h);
  t.equal(box.messages.length, 1);
  t.match(box.messages[0].mail.subject, /quá hạn/);
  const states = (await h.db.selectFrom('followup_action as a').innerJoin('followup_level as l', 'l.id', 'a.level_id').select(['l.delay', 'a.state', 'a.result'])
    .where('a.channel', '=', 'email').orderBy('l.delay').execute());
  t.match(states, [{ delay: -3, state: 'cancelled', result: { code: 'superseded' } }, { delay: 15, state: 'sent' }]);
});

t.test('the mail server refuses the login: failed (auth_failed) in words, sent by the first run after the password is fixed', async (t) => {
  const { SMTPServer } = await import('smtp-server');
  const received: string[] = [];
  const server = new SMTPServer({
    secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, logger: false, closeTimeout: 100,
    onAuth(auth, _session, callback) {
      if (auth.username === 'ketoan' && auth.password === 'right') return callback(null, { user: auth.username });
      const err = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
      err.responseCode = 535;
      return callback(err);
    },
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => { received.push(session.envelope.rcptTo[0].address); callback(); });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.server.address() as net.AddressInfo).port;
  const h = await followUpApp(t);
  const url = `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`;
  ok(await h.request('PATCH', url, { settings: { email: { host: '127.0.0.1', port, from: 'ketoan@acme.vn', user: 'ketoan', password: 'wrong' } } }, { token: h.adminToken }));
  await partner(h, 'KH01');
  await invoice(h, 'KH01', '1000000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-20');
  await drain(h);
  t.match((await emailActions(h))[0], { state: 'failed', result: { code: 'auth_failed', responseCode: 535, message: /^the mail server refused the login: .*535.*; check the follow-up settings email\.user and email\.password/ } });
  t.same(received, []);
  ok(await h.request('PATCH', url, { settings: { email: { password: 'right' } } }, { token: h.adminToken }));
  t.equal((await run(h, '2026-04-21')).requeued, 1);
  await drain(h);
  t.same(received, ['kh01@khach.vn']);
  t.match((await emailActions(h))[0], { state: 'sent' });
});
