/**
 * A small pool of worker threads for CPU-heavy work on what a tenant sent (reading a spreadsheet),
 * so that work never holds the event loop every other request waits on.
 *
 * - One task per worker at a time; further tasks wait in a queue (first come, first served).
 * - Each task is time-limited from the moment a worker takes it: past the limit the worker is
 *   terminated (the only way to stop synchronous code) and the task fails with reason `timeout`.
 * - Workers get a heap limit; a task that exceeds it fails with reason `out-of-memory`.
 * - A worker may stream partial results (`emit`), each delivered as its own message, so the
 *   main thread takes a large result in small pieces between other requests.
 * - Idle workers do not keep the process alive and are ended after `idleMs`; `close()` ends them
 *   all (a running task is let finish first). The pool starts workers again when asked for work.
 *
 * Worker scripts call `serveTasks(handler)`. They may be TypeScript: load-ts.mjs registers tsx.
 */
import { Worker, parentPort, type ResourceLimits, type TransferListItem } from 'node:worker_threads';

const LOADER = new URL('./load-ts.mjs', import.meta.url);

export interface PoolOptions {
  /** The worker script (a .ts file URL is fine). */
  script: URL;
  size: number;
  /** An idle worker is ended after this long, giving its heap back. */
  idleMs: number;
  resourceLimits?: ResourceLimits;
}

export interface RunOptions<C> {
  timeoutMs: number;
  onChunk?: (chunk: C) => void;
  transfer?: TransferListItem[];
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
  worker: Worker;
  ready: boolean;
  job: Job | null;
  /** Set while a task runs: its time limit; while idle: when the worker is ended. */
  timer: NodeJS.Timeout | null;
  /** Ended once its current task is over (close() was called). */
  retiring: boolean;
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

  /** Workers alive now (for tests and diagnostics). */
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
    const worker = new Worker(LOADER, {
      workerData: { script: this.options.script.href },
      // Not the parent's flags (--import tsx, test runners' loaders): load-ts.mjs sets up what is needed.
      execArgv: [],
      resourceLimits: this.options.resourceLimits,
      stdout: false,
      stderr: false,
    });
    let exited!: () => void;
    const slot: Slot = { worker, ready: false, job: null, timer: null, retiring: false, exited: new Promise<void>((r) => { exited = r; }) };
    worker.on('message', (message: Message) => this.onMessage(slot, message));
    worker.on('error', (err: Error & { code?: string }) => {
      const reason = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : slot.ready ? 'crashed' : 'startup';
      this.settle(slot, (job) => job.reject(new PoolError(err.message, reason)));
      this.remove(slot);
    });
    worker.on('exit', () => {
      this.settle(slot, (job) => job.reject(new PoolError('the worker stopped during the task', slot.ready ? 'crashed' : 'startup')));
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
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      this.settle(slot, (j) => j.reject(new PoolError(`the task did not finish within ${job.options.timeoutMs} ms`, 'timeout')));
      this.end(slot);
    }, job.options.timeoutMs);
    slot.worker.postMessage(job.task, job.options.transfer);
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

  private idle(slot: Slot): void {
    slot.worker.unref();
    slot.timer = setTimeout(() => this.end(slot), this.options.idleMs);
    slot.timer.unref();
  }

  private end(slot: Slot): void {
    this.remove(slot);
    void slot.worker.terminate();
  }

  private remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }
}

/**
 * The worker side: runs `handler` for each task the pool sends, one at a time. `emit` sends a
 * partial result (delivered to the caller's onChunk, in order, before the final result).
 */
export function serveTasks<T, R, C = never>(handler: (task: T, emit: (chunk: C) => void) => Promise<R> | R): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks() runs in a worker thread');
  port.on('message', async (task: T) => {
    try {
      const result = await handler(task, (chunk) => port.postMessage({ type: 'chunk', data: chunk }));
      port.postMessage({ type: 'done', data: result });
    } catch (err) {
      port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ type: 'ready' });
}
