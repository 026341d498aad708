/**
 * A server process killed while the SMSC holds its submits (taken, not yet answered): after a
 * restart on the same database nothing is submitted again; the hand-overs become `unknown` once
 * their grace time passes, and a clerk's resend sends one of them once more — by hand, once.
 */
import t from 'tap';
import { sql } from 'kysely';
import { withTenant } from '../../../core/db/kysely.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../../../test/helpers/server-process.js';
import { actions, customer, drain, dueLevelBy, ok, owes, smsApp } from './helpers.js';
import { startSmsc } from './smsc.js';

const MESSAGES = 4;
const MODULES = { CONGNO_MODULES: 'ledger,follow-up,sms' };

t.test('killed mid-send: no message is submitted twice; the lost hand-overs wait for a clerk', async (t) => {
  const smsc = await startSmsc({ systemId: 'congno', password: 'secret1' });
  t.teardown(() => smsc.close());
  const h = await smsApp(t, { provider: 'smpp', unaccented: true, smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'congno', password: 'secret1', sourceAddr: 'ACME' } });
  await dueLevelBy(h, ['sms']);
  for (let i = 1; i <= MESSAGES; i++) {
    await customer(h, `KH${i}`, { phone: `091200000${i}` });
    await owes(h, `KH${i}`, '1000000', '2026-11-02');
  }
  const processes: ServerProcess[] = [];
  t.teardown(async () => { for (const p of processes) await stopServerProcess(p, 'SIGKILL'); });

  smsc.silent(true);
  const first = await startServerProcess(h.databaseUrl, MODULES);
  processes.push(first);
  const runRes = await fetch(`${first.url}/api/follow-up/runs`, {
    method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-11-02' }),
  });
  t.equal(runRes.status, 200);
  await waitFor(async () => smsc.received.length === MESSAGES || undefined, 60_000, 25).catch(async (err) => {
    const rows = await sql`select state, submit_state, result from sms_message`.execute(h.db);
    throw new Error(`${(err as Error).message}: the SMSC has ${smsc.received.length}; messages ${JSON.stringify(rows.rows)}; server said:\n${first.output.join('').slice(-3000)}`);
  });
  const sending = await sql<{ n: string }>`select count(*) as n from sms_message where submit_state = 'sending'`.execute(h.db);
  t.equal(Number(sending.rows[0]!.n), MESSAGES, 'every message is being handed over; the SMSC has them all');

  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(first.child.signalCode, 'SIGKILL', 'the server process was killed before the SMSC answered');
  smsc.silent(false);

  const second = await startServerProcess(h.databaseUrl, MODULES);
  processes.push(second);
  // The restarted process delivers the interrupted events again: give it the time to.
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from core_event_delivery d join core_event_outbox o on o.id = d.event_id where o.name = 'sms.message_queued' and d.state = 'pending'`.execute(h.db).catch(() => null);
    return r === null || Number(r.rows[0]!.n) === 0 || undefined;
  }, 60_000, 100).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(smsc.received.length, MESSAGES, 'nothing was submitted again after the restart');

  // The grace time passes: the clock makes them unknown.
  await sql`update sms_message set submit_started_at = now() - interval '11 minutes'`.execute(h.db);
  await withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'sms.clock_ticked', { job: 'sms/clock', period: new Date().toISOString(), date: '2026-11-02' }, 'sms'));
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from sms_message where state = 'unknown'`.execute(h.db);
    return Number(r.rows[0]!.n) === MESSAGES || undefined;
  }, 60_000, 100);
  await stopServerProcess(second);
  t.equal(smsc.received.length, MESSAGES, 'still each message once at the SMSC');
  const list = ok<any>(await h.request('GET', '/api/sms/messages?state=unknown')).items;
  t.equal(list.length, MESSAGES);
  t.match(list[0].result, /the server stopped while handing it over/);
  t.same((await actions(h, 'sms')).map((a: any) => a.state), Array(MESSAGES).fill('uncertain'), 'the reminders wait for a clerk');

  // A clerk checked with the operator: the first never arrived. Sent again, once.
  const resent = ok(await h.request('POST', `/api/sms/messages/${list[0].id}/resend`, {}));
  t.match(resent, { state: 'queued' });
  await drain(h);
  t.equal(smsc.received.length, MESSAGES + 1, 'the resent message went once more');
  const again = await h.request('POST', `/api/sms/messages/${list[0].id}/resend`, {});
  t.equal(again.statusCode, 409, 'a submitted message is not resent');
  const left = ok(await h.request('POST', `/api/sms/messages/${list[1].id}/cancel`, { reason: 'the operator has it' }));
  t.match(left, { state: 'cancelled', result: 'cancelled by a clerk: the operator has it' });
});
