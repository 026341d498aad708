import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const MIX_RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'autocannon-mix.cjs');

/** One request of a mix: `path` on the server of `url`, a JSON body for a POST. */
export interface LoadRequest { method?: 'GET' | 'POST'; path: string; body?: unknown }

export interface LoadOptions {
  /** Full URL, e.g. `${server.url}/api/example/notes?limit=20`. */
  url: string;
  headers?: Record<string, string>;
  /**
   * A mix of requests instead of `url` alone (its origin is used), handed out in order, round
   * and round, from one counter: no two connections send the same request at once.
   */
  requests?: LoadRequest[];
  /** Stop after this many requests instead of after `duration` (the warm-up still runs by time). */
  amount?: number;
  /** Defaults to the context's connections and duration. */
  connections?: number;
  duration?: number;
  /** Seconds of unmeasured load first (JIT, pool connections, caches); default 2. */
  warmup?: number;
}

export interface LoadResult {
  /** Average requests per second over the measured phase. */
  requestsPerSec: number;
  /** Latency percentiles in ms of the 2xx responses (autocannon records whole milliseconds). */
  latencyP50: number;
  latencyP99: number;
  latencyAvg: number;
  requests: number;
  /** Length of the measured phase, s (what `amount` runs take). */
  seconds: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU time of the server's process (user + system) per request, µs: steadier than req/s on a busy machine. */
  serverCpuPerRequest: number;
  /** CPU time of the PostgreSQL server per request, µs; null when it runs elsewhere. On a shared server it includes other clients' work. */
  databaseCpuPerRequest: number | null;
  /** Statements the server sent to PostgreSQL per request (driver count, its relay included). */
  statementsPerRequest: number;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  duration: number;
  /** A run of a fixed amount of requests: start to last response (the mix runner's own clock). */
  elapsedMs?: number;
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/**
 * Runs autocannon in a process of its own, so the load generator never shares the server's
 * event loop (on a 2-core machine it still shares the CPUs: the figures are conservative).
 */
export async function runAutocannon(options: Required<Pick<LoadOptions, 'url' | 'connections' | 'duration'>> & Pick<LoadOptions, 'headers' | 'requests' | 'amount'>): Promise<Omit<LoadResult, 'databaseCpuPerRequest' | 'statementsPerRequest'>> {
  if (options.amount !== undefined && !options.requests?.length) { // a fixed amount is timed by the mix runner
    const u = new URL(options.url);
    return runAutocannon({ ...options, url: u.origin, requests: [{ method: 'GET', path: `${u.pathname}${u.search}` }] });
  }
  if (options.requests?.length) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'congno-bench-'));
    try {
      const config = path.join(dir, 'mix.json');
      const { url, connections, duration, amount, headers, requests } = options;
      await fs.writeFile(config, JSON.stringify({ url, connections, duration, amount, headers, requests }));
      return await autocannon([MIX_RUNNER, config]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const args = [AUTOCANNON, '-j', '-n', '-c', String(options.connections), '-d', String(options.duration)];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(options.url);
  return autocannon(args);
}

function autocannon(args: string[]): Promise<Omit<LoadResult, 'databaseCpuPerRequest' | 'statementsPerRequest'>> {
  // The server runs in this process: its CPU time over the run, divided by the requests served.
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.trim()}`));
      try {
        const cpu = process.cpuUsage(cpuBefore);
        const r = JSON.parse(out) as AutocannonJson;
        const seconds = r.elapsedMs !== undefined ? r.elapsedMs / 1000 : r.duration;
        resolve({
          requestsPerSec: r.elapsedMs !== undefined ? r.requests.total / seconds : r.requests.average,
          latencyP50: r.latency.p50, latencyP99: r.latency.p99, latencyAvg: r.latency.average,
          requests: r.requests.total, seconds, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
          serverCpuPerRequest: r.requests.total > 0 ? Math.round((cpu.user + cpu.system) / r.requests.total) : 0,
        });
      } catch {
        reject(new Error(`autocannon printed no JSON result: ${out.slice(0, 200)} ${err.slice(0, 200)}`));
      }
    });
  });
}
