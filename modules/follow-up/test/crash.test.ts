/**
 * A server dying in the middle of a run (its transaction had written the partners' levels, the
 * actions and their events, not yet committed): nothing of it remains, the next run does the work,
 * and each customer receives their reminder exactly once.
 *
 * - A real server process (`npm start`'s core/server.ts, relay and scheduler on) SIGKILLed while its
 *   run waits mid-transaction; a new process started on the same database runs again and sends
 *   through a real SMTP server on 127.0.0.1.
 * - In-process: the run's database connection terminated, then every delivery redelivered.
 */
import t, { type Test } from 'tap';
import pg from 'pg';
import { sql } from 'kysely';
import { loadConfig } from '../../../config/index.js';
import { buildApp } from '../../../core/app.js';
import { createDb, createPool } from '../../../core/db/kysely.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../../../test/helpers/server-process.js';
import { followUpApp, invoice, partner, run, smtpServer, useSmtp } from './helpers.js';

const PARTNERS = 30;

/** The follow-up app with an SMTP server and PARTNERS customers, each with an invoice overdue by the run date. */
async function overdueCustomers(t: Test) {
  const h = await followUpApp(t);
  const box = await smtpServer(t);
  await useSmtp(h, box);
  for (let i = 1; i <= PARTNERS; i++) {
    const ref = `KH${String(i).padStart(3, '0')}`;
    await partner(h, ref);
    await invoice(h, ref, String(100000 * i), '2026-03-01', '2026-03-31');
  }
  return { h, box };
}

t.test('the server process is killed during a run: after a restart each reminder is sent once', async (t) => {
  const { h, box } = await overdueCustomers(t);
  const processes: ServerProcess[] = [];
  t.teardown(async () => { for (const p of processes) await stopServerProcess(p, 'SIGKILL'); });

  // Hold any run back at its last writes (the activities of the 15-day level).
  const blocker = new pg.Client({ connectionString: h.databaseUrl });
  await blocker.connect();
  t.teardown(() => blocker.end().catch(() => {}));
  await blocker.query('begin');
  await blocker.query('lock table followup_activity in share row exclusive mode');

  const first = await startServerProcess(h.databaseUrl, { CONGNO_MODULES: 'ledger,follow-up' });
  processes.push(first);
  const answer = fetch(`${first.url}/api/follow-up/runs`, {
    method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-04-20' }),
  }).then((r) => r.status, (err: Error) => err);
  const waiting = await waitFor(async () => {
    const r = await blocker.query(`select pid from pg_locks where relation = 'followup_activity'::regclass and not granted`);
    return r.rows[0]?.pid as number | undefined;
  }, 60_000, 50);
  const inFlight = await blocker.query(`select count(*)::int as n from pg_locks where pid = $1 and relation = 'followup_action'::regclass`, [waiting]);
  t.ok(inFlight.rows[0].n > 0, 'the run had written its actions, uncommitted');

  // kill -9: no shutdown, no rollback sent; PostgreSQL is left with the dead client's open transaction.
  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(first.child.signalCode, 'SIGKILL', 'the server process was killed');
  t.type(await answer, Error, 'the killed server never answered');
  await blocker.query('rollback');
  // Its backend gets the lock, finds the client gone and aborts the transaction.
  await waitFor(async () => {
    const r = await blocker.query('select count(*)::int as n from pg_stat_activity where pid = $1', [waiting]);
    return r.rows[0].n === 0;
  }, 30_000, 50);
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from followup_action`.execute(h.db)).rows[0].n), 0, 'no action of the killed run remains');
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from core_event_outbox where name = 'followup.action_created'`.execute(h.db)).rows[0].n), 0, 'nor any event');
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from followup_partner where last_level_id is not null`.execute(h.db)).rows[0].n), 0, 'nor any level');
  t.equal(box.messages.length, 0, 'nothing was sent');

  // Restarted: a new process runs the follow-up again; its relay sends each reminder once.
  const second = await startServerProcess(h.databaseUrl, { CONGNO_MODULES: 'ledger,follow-up' });
  processes.push(second);
  const run = async (): Promise<any> => {
    const res = await fetch(`${second.url}/api/follow-up/runs`, { method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-04-20' }) });
    t.equal(res.status, 200);
    return res.json();
  };
  t.equal((await run()).actions.length, PARTNERS);
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from core_event_delivery where subscriber = 'follow-up:send-email' and state <> 'done'`.execute(h.db);
    return box.messages.length >= PARTNERS && Number(r.rows[0].n) === 0;
  }, 60_000, 100);
  t.same((await run()).actions, [], 'a second run adds nothing');
  await new Promise((r) => setTimeout(r, 500));
  await stopServerProcess(second);
  t.equal(second.child.exitCode, 0, 'the second server stopped cleanly');
  const recipients = box.messages.map((m) => m.to[0]).sort();
  t.equal(recipients.length, PARTNERS, 'one email per customer');
  t.equal(new Set(recipients).size, PARTNERS, 'nobody twice');
  const states = await sql<{ state: string; n: string }>`select state, count(*) as n from followup_action where channel = 'email' group by state`.execute(h.db);
  t.same(states.rows.map((r) => [r.state, Number(r.n)]), [['sent', PARTNERS]]);
});

t.test('a server\'s connection dies during a run: after restart each reminder is sent once, even redelivered', async (t) => {
  const { h, box } = await overdueCustomers(t);

  // Hold the run back at its last writes (the activities of the 15-day level) so the process dies mid-transaction.
  const blocker = new pg.Client({ connectionString: h.databaseUrl });
  await blocker.connect();
  t.teardown(() => blocker.end().catch(() => {}));
  await blocker.query('begin');
  await blocker.query('lock table followup_activity in share row exclusive mode');

  // A second server on the same database asks for the run; its transaction waits at the lock.
  const otherPool = createPool(h.databaseUrl, 4);
  otherPool.on('connect', (client) => client.on('error', () => {})); // its connection is about to be cut
  const otherDb = createDb(otherPool);
  const other = await buildApp({ config: loadConfig({ databaseUrl: h.databaseUrl, logLevel: 'silent', modules: ['follow-up'] }, {}), db: otherDb, databaseUrl: h.databaseUrl, background: false, logger: false });
  await other.ready();
  t.teardown(async () => { await other.close(); await otherDb.destroy(); });
  const answer = other.inject({ method: 'POST', url: '/api/follow-up/runs', headers: { authorization: `Bearer ${h.token}` }, payload: { date: '2026-04-20' } });
  const waiting = await waitFor(async () => {
    const r = await blocker.query(`select pid from pg_locks where relation = 'followup_activity'::regclass and not granted`);
    return r.rows[0]?.pid as number | undefined;
  }, 60_000, 50);
  // It has written the levels, actions and events of every partner, uncommitted. The server dies:
  // PostgreSQL sees its connection end, as when the process is killed.
  const inFlight = await blocker.query(`select count(*)::int as n from pg_locks where pid = $1 and relation = 'followup_action'::regclass`, [waiting]);
  t.ok(inFlight.rows[0].n > 0, 'the run had written its actions');
  await blocker.query('select pg_terminate_backend($1)', [waiting]);
  const res = await answer;
  t.equal(res.statusCode, 500, 'the dying server never answered 201');
  await blocker.query('rollback');

  // The killed run's transaction never committed: no action, no event, no level.
  await waitFor(async () => {
    const r = await blocker.query('select count(*)::int as n from pg_stat_activity where pid = $1', [waiting]);
    return r.rows[0].n === 0;
  }, 30_000, 50);
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from followup_action`.execute(h.db)).rows[0].n), 0);
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from core_event_outbox where name = 'followup.action_created'`.execute(h.db)).rows[0].n), 0);
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from followup_partner where last_level_id is not null`.execute(h.db)).rows[0].n), 0);

  // Restarted: the scheduled (or a clerk's) run does the work; delivered at least once, sent exactly once.
  const again = await run(h, '2026-04-20');
  t.equal(again.actions.length, PARTNERS);
  t.same((await run(h, '2026-04-20')).actions, [], 'and a second run adds nothing');
  while (await h.app.congno.relay.deliverOne());
  // Redeliver everything once more, as after a crash between sending and marking done.
  await sql`update core_event_delivery set state = 'pending', next_attempt_at = now() where subscriber = 'follow-up:send-email'`.execute(h.db);
  while (await h.app.congno.relay.deliverOne());
  const recipients = box.messages.map((m) => m.to[0]).sort();
  t.equal(recipients.length, PARTNERS, 'one email per customer');
  t.equal(new Set(recipients).size, PARTNERS, 'nobody twice');
  const states = await sql<{ state: string; n: string }>`select state, count(*) as n from followup_action where channel = 'email' group by state`.execute(h.db);
  t.same(states.rows.map((r) => [r.state, Number(r.n)]), [['sent', PARTNERS]]);
});
