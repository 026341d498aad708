/**
 * The embedded PostgreSQL's life: a server killed with SIGKILL leaves its postgres running; the
 * next start adopts it and its clean stop stops it; the CLI while a server runs shares the cluster
 * without stopping it; a pid file naming a reused pid is no running cluster; and as root, a data
 * directory the `postgres` OS user cannot reach is refused before initdb, with the fix.
 * Real processes (`npm start` as node --import tsx core/server.ts, the CLI) on temporary data directories.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../core/app.js';
import { startEmbeddedPostgres } from '../../core/db/embedded.js';
import { freePort } from '../helpers/net.js';
import { startServerProcess, stopServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitFor } from '../helpers/wait.js';

const isRoot = os.userInfo().uid === 0;

/** A plain environment, as an integrator's shell: without tap's hooks, DATABASE_URL or CONGNO_* settings. */
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|TAP|_TAPJS_|CONGNO_|DATABASE_URL$)/.test(k)));

interface Run { code: number | null; stdout: string; stderr: string }

function node(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: PROJECT_ROOT, env: { ...baseEnv, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** A data directory of the test's own, which the `postgres` OS user can enter when the tests run as root. */
async function dataDir(t: Test): Promise<string> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'congno-lifecycle-'));
  await fs.chmod(parent, 0o711); // mkdtemp makes it 0700
  const dir = path.join(parent, 'data');
  t.teardown(async () => {
    // Whatever a failed assertion left running on this directory (and only there) is stopped.
    const pid = postmasterPid(dir);
    if (pid && running(pid)) {
      process.kill(pid, 'SIGQUIT');
      await waitFor(async () => !running(pid), 10_000).catch(() => {});
    }
    await fs.rm(parent, { recursive: true, force: true });
  });
  return dir;
}

function postmasterPid(dir: string): number | null {
  try {
    return Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

/** Whether `pid` runs (a zombie, which an init that does not reap may keep, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    if (existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function health(server: ServerProcess): Promise<number> {
  return (await fetch(`${server.url}/health`)).status;
}

t.test('a server killed with SIGKILL: its postgres is adopted by the next start, shared with the CLI, stopped by a clean stop', { timeout: 90_000 }, async (t) => {
  const servers: ServerProcess[] = [];
  t.teardown(async () => { for (const s of servers) await stopServerProcess(s, 'SIGKILL'); }); // before the directory's own
  const dir = await dataDir(t);
  const env = { CONGNO_DATA_DIR: dir, CONGNO_EMBEDDED_PG_PORT: String(await freePort()), CONGNO_MODULES: 'example' };

  const first = await startServerProcess('', env);
  servers.push(first);
  t.match(first.output.join(''), /embedded PostgreSQL started/);
  const pid = postmasterPid(dir);
  t.ok(pid && running(pid), 'the first server started a postgres');
  first.child.kill('SIGKILL');
  await first.exited;
  t.ok(running(pid!), 'its postgres outlives the killed server');

  const second = await startServerProcess('', env);
  servers.push(second);
  t.match(second.output.join(''), /embedded PostgreSQL adopted/, 'the next start adopts it');
  t.equal(postmasterPid(dir), pid, 'the same postgres, no second one');
  t.equal(await health(second), 200, 'and serves requests on it');

  const cli = await node('core/cli.ts', ['tenant', 'list'], env);
  t.equal(cli.code, 0, cli.stderr);
  t.ok(running(pid!), 'the CLI shared the running server’s cluster and left it running');
  t.equal(await health(second), 200, 'the server still serves');

  await stopServerProcess(second, 'SIGTERM');
  t.equal(await second.exited, 0, 'a clean stop');
  t.match(second.output.join(''), /embedded PostgreSQL stopped/);
  await waitFor(async () => !running(pid!), 15_000);
  t.pass('and it stopped the adopted postgres');
});

t.test('in one process: the last user stops the cluster; a pid file naming another process is no cluster', { timeout: 60_000 }, async (t) => {
  const dir = await dataDir(t);
  const port = await freePort();
  const a = await startEmbeddedPostgres(dir, port);
  t.equal(a.how, 'started');
  const b = await startEmbeddedPostgres(dir, port);
  t.equal(b.how, 'shared', 'a second user while the first runs shares it');
  const pid = postmasterPid(dir)!;
  t.equal(await a.release(), 'left running', 'the first to leave leaves it running');
  const client = new pg.Client({ connectionString: b.url() });
  await client.connect();
  t.equal((await client.query('select 1 as one')).rows[0].one, 1, 'for the other user');
  await client.end();
  t.equal(await b.release(), 'stopped', 'the last to leave stops it');
  t.notOk(running(pid), 'postgres is gone');

  // As a crash leaves it, with the pid now taken by an unrelated live process (this one).
  const pidFile = path.join(dir, 'pg', 'postmaster.pid');
  await fs.writeFile(pidFile, `${process.pid}\n${path.join(dir, 'pg')}\n${Math.floor(Date.now() / 1000)}\n${port}\n\n127.0.0.1\n  1234  5678\nready   \n`);
  const c = await startEmbeddedPostgres(dir, port);
  t.equal(c.how, 'started', 'not taken for a running cluster: a new postgres started');
  t.not(postmasterPid(dir), process.pid);
  t.equal(await c.release(), 'stopped');
});

t.test('as root, a data directory the postgres OS user cannot reach is refused before initdb, with the fix', { skip: isRoot ? false : 'needs root: only then does PostgreSQL run as the OS user postgres' }, async (t) => {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'congno-closed-')); // 0700, owned by root
  t.teardown(() => fs.rm(parent, { recursive: true, force: true }));
  const dir = path.join(parent, 'data');
  const env = { CONGNO_DATA_DIR: dir, CONGNO_EMBEDDED_PG_PORT: String(await freePort()), PORT: '0', CONGNO_MODULES: 'example' };
  const [server, cli] = await Promise.all([node('core/server.ts', [], env), node('core/cli.ts', ['migrate'], env)]);
  const said = new RegExp(`cannot enter ${parent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 0700\\).*'chmod o\\+x ${parent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}', or set CONGNO_DATA_DIR to a directory outside`);
  for (const [run, prefix, what] of [[server, 'congno could not start: ', 'npm start'], [cli, 'congno: ', 'the CLI']] as const) {
    t.equal(run.code, 1, `${what}: exit 1`);
    const lines = run.stderr.trimEnd().split('\n');
    t.equal(lines.length, 1, `${what}: one line, no stack trace (${JSON.stringify(run.stderr)})`);
    t.ok(lines[0].startsWith(prefix), `${what}: ${lines[0]}`);
    t.match(lines[0], said, `${what}: names the directory and the fix`);
  }
  t.notOk(existsSync(path.join(dir, 'pg')), 'initdb was not run');
});
