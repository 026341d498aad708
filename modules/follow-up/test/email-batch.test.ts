/**
 * A run's email reminders go out many at a time: the first delivery hands over the reminders never
 * tried together, through the tenant's pooled connections; the others' deliveries find theirs done.
 * Each customer still gets one message, a refusal or a busy mailbox concerns only its reminder, and
 * a hand-over that was under way when the server died is never repeated.
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

/** The partner whose reminder the relay delivers first (the delivery that takes the others along). */
async function firstInLine(h: TestApp): Promise<string> {
  const { rows } = await sql<{ ref: string }>`
    select p.ref from core_event_delivery d
    join core_event_outbox o on o.tenant_id = d.tenant_id and o.id = d.event_id
    join ledger_partner p on p.id = (o.payload->>'partnerId')::uuid
    where d.subscriber = 'follow-up:send-email' and d.state = 'pending'
    order by d.next_attempt_at, d.id limit 1`.execute(h.db);
  return rows[0]!.ref;
}

t.test('one delivery hands over the run\'s reminders together; the others find theirs sent', async (t) => {
  const { h, box } = await overdue(t);
  t.equal((await run(h, '2026-04-16')).actions.length, PARTNERS);
  t.ok(await h.app.congno.relay.deliverOne());
  t.equal(box.messages.length, PARTNERS, 'every reminder arrived after the first delivery');
  await drain(h);
  t.same(box.messages.map((m) => m.to[0]).sort(), refs.map(address), 'each customer once');
  const ids = box.messages.map((m) => m.mail.messageId);
  t.equal(new Set(ids).size, PARTNERS, 'each with its own Message-ID');
  for (const [ref, a] of await actions(h)) {
    t.equal(a.state, 'sent', `${ref} sent`);
    t.equal(a.idempotency_key, `${a.id}:follow-up:send-email`);
    t.ok(ids.includes(`<${a.id}.follow-up.send-email@congno.followup>`), `${ref}: the action's key is the Message-ID`);
  }
  const { rows } = await sql<{ state: string; n: number }>`select state, count(*)::int as n from core_event_delivery where subscriber = 'follow-up:send-email' group by state`.execute(h.db);
  t.same(rows, [{ state: 'done', n: PARTNERS }], 'every delivery done, none retried');
});

t.test('a refusal and a busy mailbox concern only their reminder; the busy ones go later, once', async (t) => {
  const { h, box } = await overdue(t);
  await run(h, '2026-04-16');
  const first = await firstInLine(h);
  const mate = refs.find((r) => r !== first)!;
  const refused = refs.find((r) => r !== first && r !== mate)!;
  box.defer.add(address(first));
  box.defer.add(address(mate));
  box.reject.add(address(refused));
  t.ok(await h.app.congno.relay.deliverOne());
  let now = await actions(h);
  t.equal(box.messages.length, PARTNERS - 3, 'the others arrived');
  t.match(now.get(first), { state: 'pending', result: { code: 'retrying', message: /^retrying: the mail server 127\.0\.0\.1:\d+ answered 451 4\.2\.1/ } });
  t.match(now.get(mate), { state: 'pending', result: { code: 'retrying', message: /answered 451/ } });
  t.match(now.get(refused), { state: 'rejected', result: { code: 'refused', message: /^refused by the mail server: 550 5\.1\.1/ } });
  t.equal([...now.values()].filter((a) => a.state === 'sent').length, PARTNERS - 3);

  // The mailboxes take mail again: the busy ones go with their own deliveries (the first one's after its backoff).
  box.defer.clear();
  await sql`update core_event_delivery set next_attempt_at = now() where state = 'pending'`.execute(h.db);
  await drain(h);
  now = await actions(h);
  t.equal(now.get(first)!.state, 'sent');
  t.equal(now.get(mate)!.state, 'sent');
  t.equal(now.get(refused)!.state, 'rejected');
  const received = box.messages.map((m) => m.to[0]).sort();
  t.same(received, refs.filter((r) => r !== refused).map(address), 'each customer once; the refused address never');
});

t.test('reminders whose hand-over was under way when the server died are not taken along, nor sent again', async (t) => {
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
