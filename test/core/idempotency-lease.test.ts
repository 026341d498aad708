/**
 * An Idempotency-Key reservation is a lease its request renews: a slow request keeps its key, a
 * request whose process died frees it for the retry, and an attempt that lost its reservation
 * cannot commit.
 */
import t from 'tap';
import pg from 'pg';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const body = { text: 'Khách hứa trả 20.000.000 ₫ trước 15/12' };

/** Holds every insert of a note back until `release()`; resolves once a request waits at it. */
async function blockNotes(h: TestApp) {
  const blocker = new pg.Client({ connectionString: h.databaseUrl });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('lock table example_note in share row exclusive mode');
  return {
    waiting: () => waitFor(async () => {
      const r = await blocker.query(`select pid from pg_locks where relation = 'example_note'::regclass and not granted`);
      return r.rows[0]?.pid as number | undefined;
    }, 60_000, 20),
    release: async () => { await blocker.query('rollback'); await blocker.end(); },
  };
}

const notes = async (h: TestApp) => Number((await sql<{ n: string }>`select count(*) as n from example_note`.execute(h.db)).rows[0].n);

t.test('a request slower than the lease keeps its key: retries meanwhile get 409, afterwards the replay', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'], config: { idempotencyLeaseMs: 300 } });
  const block = await blockNotes(h);
  const first = h.request('POST', '/api/example/notes', body, { headers: { 'idempotency-key': 'slow-1' } });
  await block.waiting();
  await new Promise((r) => setTimeout(r, 1000)); // more than three leases
  const during = await h.request('POST', '/api/example/notes', body, { headers: { 'idempotency-key': 'slow-1' } });
  t.equal(during.statusCode, 409, 'the renewed reservation still holds the key');
  t.equal(during.json().type, 'urn:congno:problem:idempotency-in-progress');
  t.ok(Number(during.headers['retry-after']) >= 1, 'Retry-After says when to try again');
  await block.release();
  t.equal((await first).statusCode, 201);
  const after = await h.request('POST', '/api/example/notes', body, { headers: { 'idempotency-key': 'slow-1' } });
  t.equal(after.statusCode, 201);
  t.equal(after.headers['idempotent-replayed'], 'true');
  t.equal(await notes(h), 1);
});

t.test('an attempt whose reservation was taken over cannot commit', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const block = await blockNotes(h);
  const first = h.request('POST', '/api/example/notes', body, { headers: { 'idempotency-key': 'lost-1' } });
  await block.waiting();
  // What a retry does once the lease has run out: the reservation names another attempt.
  await sql`update core_idempotency set attempt = gen_random_uuid() where key = 'lost-1'`.execute(h.db);
  await block.release();
  const res = await first;
  t.equal(res.statusCode, 409);
  t.equal(res.json().field, 'header.idempotency-key');
  t.equal(await notes(h), 0, 'its note was rolled back');
});

t.test('the server is killed while a keyed request runs: after a restart the retry runs, once', async (t) => {
  const h = await buildTestApp(t, { modules: ['example'] });
  const processes: ServerProcess[] = [];
  t.teardown(async () => { for (const p of processes) await stopServerProcess(p, 'SIGKILL'); });
  const env = { CONGNO_MODULES: 'example', CONGNO_IDEMPOTENCY_LEASE_MS: '1500' };
  const send = (p: ServerProcess) => fetch(`${p.url}/api/example/notes`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json', 'idempotency-key': 'crash-1' },
  });

  const block = await blockNotes(h);
  const first = await startServerProcess(h.databaseUrl, env);
  processes.push(first);
  const answer = send(first).then((r) => r.status, (err: Error) => err);
  const waiting = await block.waiting();
  first.child.kill('SIGKILL');
  await first.exited;
  t.type(await answer, Error, 'the killed server never answered');
  await block.release();
  await waitFor(async () => Number((await sql<{ n: string }>`select count(*) as n from pg_stat_activity where pid = ${waiting}`.execute(h.db)).rows[0].n) === 0, 30_000, 50);
  t.equal(await notes(h), 0, 'nothing of the killed request was written');
  const left = await sql<{ state: string }>`select state from core_idempotency where key = 'crash-1'`.execute(h.db);
  t.same(left.rows.map((r) => r.state), ['in_progress'], 'its reservation is left behind');

  const second = await startServerProcess(h.databaseUrl, env);
  processes.push(second);
  const ran = await waitFor(async () => {
    const res = await send(second);
    if (res.status === 409) return null; // the dead request's lease has not run out yet
    return res;
  }, 20_000, 200);
  t.equal(ran.status, 201, 'the retry ran');
  t.notOk(ran.headers.get('idempotent-replayed'));
  const replay = await send(second);
  t.equal(replay.status, 201);
  t.equal(replay.headers.get('idempotent-replayed'), 'true');
  t.same(await replay.json(), await ran.json());
  t.equal(await notes(h), 1, 'one note');
  await stopServerProcess(second);
});
