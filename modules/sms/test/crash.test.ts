/**
 * A server process killed while the SMSC holds its submits (taken, not yet answered): after a
 * restart on the same database the reminders never handed over go, the held ones are not
 * submitted again; they become `unknown` once their grace time passes, and a clerk's resend sends
 * one of them once more — by hand, once.
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
  // The SMSC takes submits and never answers: the relay's workers wait on them.
  const sendingCount = async () => Number((await sql<{ n: string }>`select count(*) as n from sms_message where submit_state = 'sending'`.execute(h.db)).rows[0]!.n);
  await waitFor(async () => (smsc.received.length >= 2 && (await sendingCount()) === smsc.received.length) || undefined, 60_000, 25).catch(async (err) => {
    const rows = await sql`select state, submit_state, result from sms_message`.execute(h.db);
    throw new Error(`${(err as Error).message}: the SMSC has ${smsc.received.length}; messages ${JSON.stringify(rows.rows)}; server said:\n${first.output.join('').slice(-3000)}`);
  });
  const held = smsc.received.length;
  t.ok(held >= 2 && held <= MESSAGES, `${held} messages are being handed over; the SMSC has them`);

  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(first.child.signalCode, 'SIGKILL', 'the server process was killed before the SMSC answered');
  smsc.silent(false);

  const second = await startServerProcess(h.databaseUrl, MODULES);
  processes.push(second);
  // The restarted process delivers the interrupted events again: the reminders never handed over go now.
  await waitFor(async () => new Set(smsc.received.map((r) => r.to)).size === MESSAGES || undefined, 60_000, 50);
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from sms_message where state = 'submitted'`.execute(h.db);
    return Number(r.rows[0]!.n) === MESSAGES - held || undefined;
  }, 60_000, 50);
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(smsc.received.length, MESSAGES, 'every customer got one message: the held ones were not submitted again');

  // The grace time passes: the clock makes the held ones unknown.
  await sql`update sms_message set submit_started_at = now() - interval '11 minutes' where submit_state = 'sending'`.execute(h.db);
  await withTenant(h.db, h.tenant.id, (trx) => h.app.congno.bus.emit(trx, h.tenant.id, 'sms.clock_ticked', { job: 'sms/clock', period: new Date().toISOString(), date: '2026-11-02' }, 'sms'));
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from sms_message where state = 'unknown'`.execute(h.db);
    return Number(r.rows[0]!.n) === held || undefined;
  }, 60_000, 100);
  await stopServerProcess(second);
  t.equal(smsc.received.length, MESSAGES, 'still each message once at the SMSC');
  const list = ok<any>(await h.request('GET', '/api/sms/messages?state=unknown')).items;
  t.equal(list.length, held);
  t.match(list[0].result, /the server stopped while handing it over|did not answer/);
  const states = (await actions(h, 'sms')).map((a: any) => a.state).sort();
  t.same(states, [...Array(MESSAGES - held).fill('sent'), ...Array(held).fill('uncertain')].sort(), 'the held reminders wait for a clerk, the others went');

  // A clerk checked with the operator: the first never arrived. Sent again, once.
  const resent = ok(await h.request('POST', `/api/sms/messages/${list[0].id}/resend`, {}));
  t.match(resent, { state: 'queued' });
  await drain(h);
  t.equal(smsc.received.length, MESSAGES + 1, 'the resent message went once more');
  const again = await h.request('POST', `/api/sms/messages/${list[0].id}/resend`, {});
  t.equal(again.statusCode, 409, 'a submitted message is not resent');
  const left = ok(await h.request('POST', `/api/sms/messages/${list[1].id}/cancel`, { reason: 'the operator has it' }));
  t.match(left, { state: 'cancelled', result: 'cancelled by a clerk: the operator has it' });
  t.equal(smsc.received.length, MESSAGES + 1, 'nothing else went');
});
