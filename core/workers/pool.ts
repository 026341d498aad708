/**
 * A small pool of worker processes for CPU- and memory-heavy work on what a tenant sent (reading
 * a spreadsheet), so that work never holds the event loop every other request waits on.
 *
 * Processes, not worker threads: a worker thread that runs out of its heap limit can abort the
 * whole server (nodejs/node#47224; reproduced here with exceljs and `resourceLimits`), while a
 * child process that does only ends itself.
 *
 * - One task per worker at a time; further tasks wait in a queue (first come, first served).
 * - Each task is time-limited from the moment a worker takes it: past the limit the worker is
 *   killed (the only way to stop synchronous code) and the task fails with reason `timeout`.
 * - Workers get a heap limit; a task that exceeds it fails with reason `out-of-memory`.
 * - A worker may stream partial results (`emit`), each delivered as its own message, so the
 *   main thread takes a large result in small pieces between other requests.
 * - Idle workers do not keep the server's process alive and are ended after `idleMs`; `close()`
 *   ends them all (a running task is let finish first). The pool starts workers again when asked.
 *   A worker whose parent goes away ends itself.
 *
 * Worker scripts call `serveTasks(handler)`. They may be TypeScript: load-ts.mjs registers tsx.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOADER = fileURLToPath(new URL('./load-ts.mjs', import.meta.url));

export interface PoolOptions {
  /** The worker script (a .ts file URL is fine). */
  script: URL;
  size: number;
  /** An idle worker is ended after this long, giving its memory back. */
  idleMs: number;
  /** V8's old-generation limit of each worker (--max-old-space-size). */
  heapMb: number;
}

export interface RunOptions<C> {
  timeoutMs: number;
  onChunk?: (chunk: C) => void;
}

/**
 * Why a task did not complete: `failed` (the handler threw; `message` is its message), `timeout`,
 * `out-of-memory`, `crashed` (the worker died during the task), `startup` (the worker could not
 * start: a fault of the server, not of the task).
 */
export class PoolError extends Error {
  constructor(message: string, readonly reason: 'failed' | 'timeout' | 'out-of-memory' | 'crashed' | 'startup') {
    super(message);
    this.name = 'PoolError';
  }
}

type Message = { type: 'ready' } | { type: 'chunk'; data: unknown } | { type: 'done'; data: unknown } | { type: 'failed'; message: string };

interface Job {
  task: unknown;
  options: RunOptions<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job: Job | null;
  /** Set while a task runs: its time limit; while idle: when the worker is ended. */
  timer: NodeJS.Timeout | null;
  /** Ended once its current task is over (close() was called). */
  retiring: boolean;
  /** The end of its stderr, to tell running out of memory from other deaths. */
  stderr: string;
  exited: Promise<void>;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];

  constructor(private readonly options: PoolOptions) {}

  run<R, C = never>(task: unknown, options: RunOptions<C>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ task, options: options as RunOptions<unknown>, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /** Workers alive now (tests and diagnostics). */
  get workers(): number {
    return this.slots.length;
  }

  /** Ends every worker: idle ones now, busy ones when their task is over. Resolves when all have exited. */
  async close(): Promise<void> {
    const exits = this.slots.map((s) => s.exited);
    for (const slot of [...this.slots]) {
      if (slot.job) slot.retiring = true;
      else this.end(slot);
    }
    await Promise.all(exits);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job && !s.retiring);
      if (!slot) {
        if (this.slots.length >= this.options.size) return;
        slot = this.spawn();
      }
      this.assign(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // the server's (or a test runner's) flags are not the worker's
    const child = fork(LOADER, [this.options.script.href], {
      execArgv: [`--max-old-space-size=${this.options.heapMb}`],
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let exited!: () => void;
    const slot: Slot = { child, ready: false, job: null, timer: null, retiring: false, stderr: '', exited: new Promise<void>((r) => { exited = r; }) };
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => { slot.stderr = (slot.stderr + text).slice(-4096); });
    child.on('message', (message: Message) => this.onMessage(slot, message));
    child.on('error', () => { /* a failed spawn or send; 'exit' follows and settles the task */ });
    child.on('exit', (code, signal) => {
      const oom = /heap out of memory|Allocation failed/.test(slot.stderr);
      const reason = oom ? 'out-of-memory' : slot.ready ? 'crashed' : 'startup';
      const why = oom ? 'the worker ran out of memory' : `the worker stopped (${signal ?? `exit code ${code}`})${slot.ready ? '' : ` before it was ready: ${slot.stderr.trim().split('\n').slice(-3).join(' ')}`}`;
      this.settle(slot, (job) => job.reject(new PoolError(why, reason)));
      this.remove(slot);
      exited();
      this.pump();
    });
    this.slots.push(slot);
    return slot;
  }

  private assign(slot: Slot, job: Job): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = job;
    this.hold(slot, true);
    slot.timer = setTimeout(() => {
      this.settle(slot, (j) => j.reject(new PoolError(`the task did not finish within ${job.options.timeoutMs} ms`, 'timeout')));
      this.end(slot);
    }, job.options.timeoutMs);
    slot.child.send(job.task as never);
  }

  private onMessage(slot: Slot, message: Message): void {
    if (message.type === 'ready') { slot.ready = true; return; }
    const job = slot.job;
    if (!job) return;
    if (message.type === 'chunk') {
      try {
        job.options.onChunk?.(message.data);
      } catch (err) {
        this.settle(slot, (j) => j.reject(err as Error));
        this.end(slot);
      }
      return;
    }
    this.settle(slot, (j) => (message.type === 'done' ? j.resolve(message.data) : j.reject(new PoolError(message.message, 'failed'))));
    if (slot.retiring) this.end(slot);
    else this.idle(slot);
    this.pump();
  }

  /** Ends the slot's task (if any) once, with `how`. */
  private settle(slot: Slot, how: (job: Job) => void): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    if (job) how(job);
  }

  /** Whether the worker keeps the server's process alive: only while it has a task. */
  private hold(slot: Slot, busy: boolean): void {
    const handles = [slot.child, slot.child.channel, slot.child.stderr] as ({ ref(): void; unref(): void } | null | undefined)[];
    for (const h of handles) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  private idle(slot: Slot): void {
    this.hold(slot, false);
    slot.timer = setTimeout(() => this.end(slot), this.options.idleMs);
    slot.timer.unref();
  }

  private end(slot: Slot): void {
    this.remove(slot);
    this.hold(slot, false);
    slot.child.ref(); // until its 'exit', which close() waits for
    slot.child.kill('SIGKILL');
  }

  private remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }
}

/**
 * The worker side: runs `handler` for each task the pool sends, one at a time. `emit` sends a
 * partial result (delivered to the caller's onChunk, in order, before the final result). The
 * worker ends when its parent goes away.
 */
export function serveTasks<T, R, C = never>(handler: (task: T, emit: (chunk: C) => void) => Promise<R> | R): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('serveTasks() runs in a process started by WorkerPool');
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (task: T) => {
    try {
      const result = await handler(task, (chunk) => send({ type: 'chunk', data: chunk }));
      send({ type: 'done', data: result });
    } catch (err) {
      send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  });
  send({ type: 'ready' });
}
