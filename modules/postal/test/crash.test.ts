/**
 * A server process killed while Docsaway holds its letter (accepted, not yet answered): after a
 * restart on the same PostgreSQL database, the account's volume settles that letter and the
 * others go out — each letter exists once at the provider.
 */
import t from 'tap';
import { sql } from 'kysely';
import { waitFor } from '../../../test/helpers/wait.js';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../../../test/helpers/server-process.js';
import { HANOI, customer, letterActions, owes, postalApp } from './helpers.js';
import { docsawayServer } from './servers.js';

const LETTERS = 4;
const MODULES = { CONGNO_MODULES: 'ledger,follow-up,documents,postal' };

t.test('killed mid-submission: after a restart each letter exists once at Docsaway', async (t) => {
  const box = await docsawayServer(t);
  const h = await postalApp(t, { provider: 'docsaway', docsaway: { url: box.url, email: 'ketoan@acme.vn', apiKey: 'khoa-cai-dat', mode: 'LIVE' } });
  for (let i = 1; i <= LETTERS; i++) {
    await customer(h, `KH${i}`, { address: { ...HANOI, street: `${i} Tràng Tiền` } });
    await owes(h, `KH${i}`, '1000000', '2026-11-02');
  }
  const processes: ServerProcess[] = [];
  t.teardown(async () => { for (const p of processes) await stopServerProcess(p, 'SIGKILL'); });

  box.holdMail = true;
  const first = await startServerProcess(h.databaseUrl, MODULES);
  processes.push(first);
  const runRes = await fetch(`${first.url}/api/follow-up/runs`, {
    method: 'POST', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ date: '2026-11-02' }),
  });
  t.equal(runRes.status, 200);
  await waitFor(async () => box.mailed.length === 1 || undefined, 60_000, 50);
  const sending = await sql<{ n: string }>`select count(*) as n from postal_letter where submit_state = 'sending'`.execute(h.db);
  t.equal(Number(sending.rows[0]!.n), 1, 'one letter is being handed over, Docsaway has it');

  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(first.child.signalCode, 'SIGKILL', 'the server process was killed before Docsaway answered');
  box.holdMail = false;

  const second = await startServerProcess(h.databaseUrl, MODULES);
  processes.push(second);
  await waitFor(async () => {
    const r = await sql<{ n: string }>`select count(*) as n from postal_letter where state = 'submitted'`.execute(h.db);
    return Number(r.rows[0]!.n) === LETTERS || undefined;
  }, 90_000, 100);
  await new Promise((r) => setTimeout(r, 300));
  await stopServerProcess(second);

  t.equal(box.mailed.length, LETTERS, 'as many letters at Docsaway as customers');
  t.same(box.mailed.map((m) => m.recipient.address1).sort(), Array.from({ length: LETTERS }, (_, i) => `${i + 1} Tràng Tiền`).sort(), 'each customer\'s letter once');
  const rows = await sql<{ reference: string | null; result: { message: string } }>`select reference, result from postal_letter order by submit_started_at`.execute(h.db);
  t.equal(rows.rows.filter((r) => r.reference === null).length, 1, 'the letter whose answer was lost has no reference');
  t.match(rows.rows.find((r) => r.reference === null)!.result.message, /answer was lost, the account's volume shows the letter arrived/);
  t.same((await letterActions(h)).map((a: any) => a.state), Array(LETTERS).fill('sent'), 'every letter reminder is sent');
});
