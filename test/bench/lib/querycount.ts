import pg from 'pg';

let count = 0;
let installed = false;
/** Time and count per statement (its first words), when BENCH_STATEMENTS is set. */
const timed = new Map<string, { n: number; ms: number }>();

/**
 * Counts the statements this process sends through the `pg` driver (every `client.query` is one
 * round trip: a parameterised query is parse/bind/execute/sync in one flight). The bench server
 * runs in the bench process, so the count of a load phase is the server's (its relay included).
 * With BENCH_STATEMENTS=1 the time from sending each statement to its answer is summed per
 * statement and the 30 slowest in total are printed at exit: where a workload's time goes.
 */
export function installQueryCounter(): () => number {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    const timing = !!process.env.BENCH_STATEMENTS;
    pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
      count++;
      const result = query.apply(this, args);
      if (timing && result instanceof Promise) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text ?? '?';
        const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
        const started = performance.now();
        const record = () => {
          const t = timed.get(key) ?? { n: 0, ms: 0 };
          t.n++;
          t.ms += performance.now() - started;
          timed.set(key, t);
        };
        result.then(record, record);
      }
      return result;
    } as typeof pg.Client.prototype.query;
    if (timing) {
      process.on('exit', () => {
        const top = [...timed].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
        process.stderr.write(`statements by total time:\n${top.map(([k, t]) => `${(t.ms / 1000).toFixed(2).padStart(8)} s ${String(t.n).padStart(8)}× ${k}`).join('\n')}\n`);
      });
    }
  }
  return () => count;
}
