import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export interface LoadOptions {
  /** Full URL, e.g. `${server.url}/api/example/notes?limit=20`. */
  url: string;
  headers?: Record<string, string>;
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
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU time of the server's process (user + system) per request, µs: steadier than req/s on a busy machine. */
  serverCpuPerRequest: number;
  /** CPU time of the PostgreSQL server per request, µs; null when it runs elsewhere. On a shared server it includes other clients' work. */
  databaseCpuPerRequest: number | null;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/**
 * Runs autocannon in a process of its own, so the load generator never shares the server's
 * event loop (on a 2-core machine it still shares the CPUs: the figures are conservative).
 */
export function runAutocannon(options: Required<Omit<LoadOptions, 'headers' | 'warmup'>> & { headers?: Record<string, string> }): Promise<Omit<LoadResult, 'databaseCpuPerRequest'>> {
  // The server runs in this process: its CPU time over the run, divided by the requests served.
  const cpuBefore = process.cpuUsage();
  const args = [AUTOCANNON, '-j', '-n', '-c', String(options.connections), '-d', String(options.duration)];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}=${v}`);
  args.push(options.url);
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
        resolve({
          requestsPerSec: r.requests.average, latencyP50: r.latency.p50, latencyP99: r.latency.p99, latencyAvg: r.latency.average,
          requests: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
          serverCpuPerRequest: r.requests.total > 0 ? Math.round((cpu.user + cpu.system) / r.requests.total) : 0,
        });
      } catch {
        reject(new Error(`autocannon printed no JSON result: ${out.slice(0, 200)} ${err.slice(0, 200)}`));
      }
    });
  });
}
