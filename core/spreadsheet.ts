/**
 * The first visible worksheet of an XLSX workbook as rows of plain cells, for the modules that
 * import spreadsheets (bank statements, ledger imports); each keeps its own meaning of the cells.
 *
 * An XLSX file is a zip archive a tenant sends, so reading one is bounded on every side:
 * - its central directory is checked here, before anything is inflated: file count, declared
 *   sizes (each and in total) and compression ratio (zip.ts, XLSX_LIMITS);
 * - it is read in a worker process (one, shared by the server; see workers/pool.ts for why not a
 *   thread), never on the event loop: the worker inflates each entry under its declared size (a
 *   header that lies is caught there), re-packs it uncompressed for exceljs, and sends the rows
 *   back in chunks;
 * - the worker has a time limit and a heap limit; past either it is ended and the file refused.
 * Every refusal is a SpreadsheetError whose message says what was exceeded; callers turn it into
 * their 400. Only a worker that cannot start at all (a broken installation) is another error.
 */
import { checkEntries, formatBytes, readCentralDirectory, ZipError, type ZipLimits } from './zip.js';
import { PoolError, WorkerPool } from './workers/pool.js';

export interface SheetCell { text: string; number?: number; date?: string }
/** `at`: the row number a spreadsheet program shows. */
export interface SheetRow { at: number; cells: SheetCell[] }

/**
 * Measured on the 2-core CI machine: a 200,000-row bank statement of 7 columns written by exceljs
 * is 10 MB zipped and unpacks to 71 MB (sheet 54 MB, shared strings 16 MB), at most 12:1 per
 * file; exceljs needs ~0.55 GB of heap and 9 s (idle machine) to load it. A 300,000-row sheet of
 * 106 MB took 58 s with the machine busy. So: room for 200,000 rows of about 12 columns, a time
 * limit that such a file meets on a busy machine, and nothing a real workbook needs beyond that
 * (an XLSX has a dozen files inside; more than 100:1 is not how XML compresses).
 */
export const XLSX_LIMITS: ZipLimits & { timeoutMs: number; heapMb: number } = {
  maxEntries: 10_000,
  maxTotalBytes: 128 * 1024 * 1024,
  maxRatio: 100,
  ratioFromBytes: 1024 * 1024,
  timeoutMs: 60_000,
  heapMb: 2048,
};

export class SpreadsheetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpreadsheetError';
  }
}

/** What the worker is sent. */
export interface SheetTask { bytes: Uint8Array; maxRows?: number; limits: ZipLimits }

export interface ReadSheetOptions {
  /** Rows beyond this many are not read (nor sent back). */
  maxRows?: number;
  /** Time limit of this read (default XLSX_LIMITS.timeoutMs). */
  timeoutMs?: number;
}

let pool: WorkerPool | null = null;

function workers(): WorkerPool {
  pool ??= new WorkerPool({
    script: new URL('./workers/spreadsheet-worker.ts', import.meta.url),
    // One: the machine has two cores and the other serves requests.
    size: 1,
    idleMs: 60_000,
    heapMb: XLSX_LIMITS.heapMb,
  });
  return pool;
}

/**
 * Ends the spreadsheet worker (after the read it may be doing); a later read starts another, with
 * XLSX_LIMITS as they are then.
 */
export async function closeSpreadsheetWorkers(): Promise<void> {
  const closing = pool;
  pool = null;
  await closing?.close();
}

/** The worker alive now, if any (tests). */
export const spreadsheetWorkers = (): number => pool?.workers ?? 0;

function refusal(err: ZipError): SpreadsheetError {
  return new SpreadsheetError(err.kind === 'limit' ? err.message : `the XLSX workbook cannot be read (${err.message})`);
}

/**
 * The rows of the workbook's first visible sheet (else its first sheet), empty rows left out.
 * `bytes` must start as a zip archive does (callers say what else it is when it does not).
 */
export async function readFirstSheet(bytes: Uint8Array, options: ReadSheetOptions = {}): Promise<SheetRow[]> {
  const limits: ZipLimits = { maxEntries: XLSX_LIMITS.maxEntries, maxTotalBytes: XLSX_LIMITS.maxTotalBytes, maxRatio: XLSX_LIMITS.maxRatio, ratioFromBytes: XLSX_LIMITS.ratioFromBytes };
  try {
    // Cheap (the central directory only): a declared bomb is refused without waiting for the worker.
    checkEntries(readCentralDirectory(bytes, limits.maxEntries), limits);
  } catch (err) {
    if (err instanceof ZipError) throw refusal(err);
    throw err;
  }
  const timeoutMs = options.timeoutMs ?? XLSX_LIMITS.timeoutMs;
  const rows: SheetRow[] = [];
  try {
    await workers().run<{ rows: number }, string>({ bytes, maxRows: options.maxRows, limits } satisfies SheetTask, {
      timeoutMs,
      onChunk: (json) => { for (const row of JSON.parse(json) as SheetRow[]) rows.push(row); },
    });
  } catch (err) {
    if (!(err instanceof PoolError)) throw err;
    switch (err.reason) {
      case 'failed': throw new SpreadsheetError(err.message);
      case 'timeout': throw new SpreadsheetError(`the workbook took longer than ${timeoutMs / 1000} s to read, the limit for one file; split it or save it as CSV`);
      case 'out-of-memory': throw new SpreadsheetError(`the workbook needs more than ${formatBytes(XLSX_LIMITS.heapMb * 1024 * 1024)} of memory to read, the limit for one file; split it or save it as CSV`);
      case 'crashed': throw new SpreadsheetError(`the XLSX workbook cannot be read (${err.message})`);
      default: throw err;
    }
  }
  return rows;
}
