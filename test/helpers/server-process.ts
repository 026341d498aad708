import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../core/app.js';

export interface ServerProcess { child: ChildProcess; url: string; output: string[]; exited: Promise<number | null> }

/**
 * `npm start` (core/server.ts) in a child process on the given database, on a random port, with
 * extra environment variables; resolves once it listens.
 */
export async function startServerProcess(databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_OPTIONS|TAP|_TAP)/.test(k)) env[k] = v;
  Object.assign(env, { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', CONGNO_POOL_SIZE: '4' }, extraEnv);
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/server.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = /congno listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}) before listening:\n${output.join('')}`)); });
  });
  return { child, url, output, exited };
}

export async function stopServerProcess(p: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}
