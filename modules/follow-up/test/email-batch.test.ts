/**
 * A run's email reminders go out many at a time: one delivery (`followup.emails_queued`) hands them
 * over together through the tenant's pooled connections. Each customer still gets one message, a
 * refusal or a busy mailbox concerns only its reminder (a busy one is retried alone, with backoff),
 * and a hand-over that was under way when the server died is never repeated.
 */
import t from 'tap';
import { sql } from 'kysely';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { followUpApp, invoice, partner, run, smtpServer, useSmtp, type Mailbox } from './helpers.js';

const PARTNERS = 12;
const refs = Array.from({ length: PARTNERS }, (_, i) => `KH${String(i + 1).padStart(2, '0')}`);
const address = (ref: string): string => `${ref.toLowerCase()}@khach.vn`;

async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

async function overdue(t: Parameters<typeof followUpApp>[0]): Promise<{ h: TestApp; box: Mailbox }> {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  for (const ref of refs) {
    await partner(h, ref);
    await invoice(h, ref, '2500000', '2026-03-01', '2026-03-31');
  }
  return { h, box };
}

async function actions(h: TestApp) {
  const rows = await h.db.selectFrom('followup_action as a').innerJoin('ledger_partner as p', 'p.id', 'a.partner_id')
    .select(['a.id', 'p.ref', 'a.state', 'a.result', 'a.idempotency_key']).where('a.channel', '=', 'email').orderBy('p.ref').execute();
  return new Map(rows.map((r) => [r.ref, r]));
}

async function deliveries(h: TestApp): Promise<Array<{ subscriber: string; state: string; n: number }>> {
  const { rows } = await sql<{ subscriber: string; state: string; n: number }>`
    select subscriber, state, count(*)::int as n from core_event_delivery where subscriber like 'follow-up:send-email%' group by subscriber, state order by subscriber, state`.execute(h.db);
  return rows;
}

t.test('one delivery hands over the run\'s reminders together, each once with its own key', async (t) => {
  const { h, box } = await overdue(t);
  t.equal((await run(h, '2026-04-16')).actions.length, PARTNERS);
  await drain(h);
  t.same(await deliveries(h), [{ subscriber: 'follow-up:send-emails', state: 'done', n: 1 }], 'one delivery for the run\'s emails, none retried');
  t.same(box.messages.map((m) => m.to[0]).sort(), refs.map(address), 'each customer once');
  const ids = box.messages.map((m) => m.mail.messageId);
  t.equal(new Set(ids).size, PARTNERS, 'each with its own Message-ID');
  for (const [ref, a] of await actions(h)) {
    t.equal(a.state, 'sent', `${ref} sent`);
    t.equal(a.idempotency_key, `${a.id}:follow-up:send-email`);
    t.ok(ids.includes(`<${a.id}.follow-up.send-email@congno.followup>`), `${ref}: the reminder's key is the Message-ID`);
  }
  // Delivered again (at least once): nothing is sent twice.
  await sql`update core_event_delivery set state = 'pending', next_attempt_at = now() where subscriber like 'follow-up:send-email%'`.execute(h.db);
  await drain(h);
  t.equal(box.messages.length, PARTNERS);
});

t.test('a refusal and a busy mailbox concern only their reminder; the busy ones are retried alone and go once', async (t) => {
  const { h, box } = await overdue(t);
  await run(h, '2026-04-16');
  const [busy1, busy2, refused] = [refs[0]!, refs[5]!, refs[9]!];
  box.defer.add(address(busy1));
  box.defer.add(address(busy2));
  box.reject.add(address(refused));
  t.ok(await h.app.congno.relay.deliverOne(), 'the run\'s emails');
  let now = await actions(h);
  t.equal(box.messages.length, PARTNERS - 3, 'the others arrived');
  for (const ref of [busy1, busy2]) {
    t.match(now.get(ref), { state: 'pending', result: { code: 'retrying', eventId: /^\d+$/, message: /^retrying: the mail server 127\.0\.0\.1:\d+ answered 451 4\.2\.1/ } });
  }
  t.match(now.get(refused), { state: 'rejected', result: { code: 'refused', message: /^refused by the mail server: 550 5\.1\.1/ } });
  t.equal([...now.values()].filter((a) => a.state === 'sent').length, PARTNERS - 3);
  t.same(await deliveries(h), [{ subscriber: 'follow-up:send-email', state: 'pending', n: 2 }, { subscriber: 'follow-up:send-emails', state: 'done', n: 1 }], 'a retry of its own for each busy one');

  // Still busy at the retry: the outbox's backoff, and the timeline says when the next attempt is.
  t.ok(await h.app.congno.relay.deliverOne());
  t.ok(await h.app.congno.relay.deliverOne());
  const partnerId = (await h.db.selectFrom('ledger_partner').select('id').where('ref', '=', busy1).executeTakeFirstOrThrow()).id;
  const timeline = (await h.request('GET', `/api/follow-up/partners/${partnerId}/timeline`)).json();
  t.match(timeline.actions, [{ state: 'pending', result: { code: 'retrying', attempts: 1, nextAttemptAt: /^2\d{3}-/, message: /^retrying, next attempt at .*answered 451/ } }]);

  // The mailboxes take mail again.
  box.defer.clear();
  await sql`update core_event_delivery set next_attempt_at = now() where state = 'pending'`.execute(h.db);
  await drain(h);
  now = await actions(h);
  t.equal(now.get(busy1)!.state, 'sent');
  t.equal(now.get(busy2)!.state, 'sent');
  t.equal(now.get(refused)!.state, 'rejected');
  const received = box.messages.map((m) => m.to[0]).sort();
  t.same(received, refs.filter((r) => r !== refused).map(address), 'each customer once; the refused address never');
});

t.test('reminders whose hand-over was under way when the server died are not sent again: uncertain', async (t) => {
  const { h, box } = await overdue(t);
  await run(h, '2026-04-16');
  const before = await actions(h);
  const dying = [refs[3]!, refs[7]!].map((ref) => before.get(ref)!);
  for (const a of dying) {
    await h.db.insertInto('followup_send_attempt').values({ tenant_id: h.tenant.id, idempotency_key: `${a.id}:follow-up:send-email`, action_id: a.id, state: 'sending', attempts: 1, response: null, finished_at: null }).execute();
  }
  await drain(h);
  t.equal(box.messages.length, PARTNERS - 2, 'the two are not sent again');
  const after = await actions(h);
  for (const a of dying) {
    t.match(after.get(a.ref), { state: 'uncertain', result: { code: 'uncertain', messageId: `<${a.id}.follow-up.send-email@congno.followup>` } });
  }
  t.equal([...after.values()].filter((a) => a.state === 'sent').length, PARTNERS - 2);
});

t.test('a template that cannot be written: refused when saved; one saved before concerns only its reminders', async (t) => {
  const { h, box } = await overdue(t);
  const broken = 'Subject: Nhắc nợ\n{{nope "x"}}';
  const refused = await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { templates: { 'overdue/email.en': broken } } }, { token: h.adminToken });
  t.equal(refused.statusCode, 400);
  t.match(refused.json(), { field: 'settings.templates.overdue/email.en', detail: /^templates\.overdue\/email\.en: not a template that can be written: Missing helper: "nope"/ });

  // Saved before templates were checked: the English reminder fails in words, the others go.
  await sql`update core_tenant_module set settings = jsonb_set(settings, '{templates}', ${JSON.stringify({ 'overdue/email.en': broken })}::jsonb)
            where tenant_id = ${h.tenant.id} and module = 'follow-up'`.execute(h.db);
  await partner(h, 'EN01', { email: 'ap@saigonimports.com', lang: 'en' });
  await invoice(h, 'EN01', '700000', '2026-03-01', '2026-03-31');
  await run(h, '2026-04-16');
  await drain(h);
  t.equal(box.messages.length, PARTNERS, 'the Vietnamese reminders went');
  t.notOk(box.messages.some((m) => m.to[0] === 'ap@saigonimports.com'));
  t.match((await actions(h)).get('EN01'), { state: 'failed', result: { code: 'template_error', message: /^not sent: the reminder could not be written \(Missing helper: "nope"\)/ } });
});

t.test('reminders left pending by a round that ran out of attempts go with the next run, though it creates none', async (t) => {
  const { h, box } = await overdue(t);
  t.equal((await run(h, '2026-04-16')).actions.length, PARTNERS);
  // The round's delivery failed its last attempt (the database down for hours, say): a dead letter.
  await sql`update core_event_delivery set state = 'dead', attempts = 8, last_error = 'connection refused' where subscriber = 'follow-up:send-emails'`.execute(h.db);
  await drain(h);
  t.equal(box.messages.length, 0);
  t.equal([...(await actions(h)).values()].filter((a) => a.state === 'pending').length, PARTNERS, 'still pending');

  t.equal((await run(h, '2026-04-17')).actions.length, 0, 'the next run has no new reminder');
  await drain(h);
  t.same(box.messages.map((m) => m.to[0]).sort(), refs.map(address), 'each customer once');
  t.ok([...(await actions(h)).values()].every((a) => a.state === 'sent'));

  // Nothing waits any more: a run asks for no round.
  await run(h, '2026-04-18');
  t.same(await deliveries(h), [
    { subscriber: 'follow-up:send-emails', state: 'dead', n: 1 },
    { subscriber: 'follow-up:send-emails', state: 'done', n: 1 },
  ]);
});
