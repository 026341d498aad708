import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../core/db/kysely.js';
import type { Rng } from './dataset.js';
import type { LoadOptions, LoadResult } from './load.js';

export type Size = 'S' | 'M' | 'L';
export type DbKind = 'embedded' | 'external';

/** A figure to aim for: at least (throughput) or at most (latency, errors). */
export interface Goal { atLeast?: number; atMost?: number }

/** One line of the results table, as a workload reports it. */
export interface ResultRow {
  metric: string;
  value: number;
  unit: string;
  goal?: Goal;
}

/** A row as printed and saved: the workload's row plus where it was measured. */
export interface RecordedRow extends ResultRow {
  workload: string;
  db: DbKind;
  size: Size;
  met: boolean | null;
}

/** A tenant of the benchmark server with its modules enabled and a clerk's token. */
export interface BenchTenant { id: string; slug: string; token: string }

export interface BenchServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  url: string;
  tenant: BenchTenant;
  close(): Promise<void>;
}

export interface BenchContext {
  size: Size;
  dbKind: DbKind;
  /** --reuse found a kept database: the tenant `bench` and what an earlier run loaded are there. */
  reused: boolean;
  /** A fresh, migrated database of this workload's own (superuser connection). */
  db: Db;
  databaseUrl: string;
  /** The server's pool size (a floor phase uses as many connections). */
  poolSize: number;
  /** Seconds of each measured load phase. */
  duration: number;
  /** Concurrent HTTP connections of each load phase. */
  connections: number;
  /** Boots the real server (buildApp) on a random port, with the relay running and the hourly scheduler off, and one tenant with `modules` enabled. */
  startServer(options: { modules: string[] }): Promise<BenchServer>;
  /** Runs autocannon in a separate process against the server (after a short warm-up). */
  load(options: LoadOptions): Promise<LoadResult>;
  /** A deterministic random source: the same seed gives the same dataset on every run. */
  rng(seed: number): Rng;
  log(message: string): void;
}

/** A benchmark workload: test/bench/workloads/<name>.ts default-exports one. */
export interface Workload {
  name: string;
  describe: string;
  run(ctx: BenchContext): Promise<ResultRow[]>;
}
