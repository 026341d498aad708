/**
 * PDFs are drawn in a worker process (core/workers/pool.ts): laying out a page costs a few
 * milliseconds of CPU and a batch of letters would otherwise hold every other request back. One
 * worker (the machine has two cores; the other serves requests), started on the first document
 * and ended after a minute without work.
 */
import { ProblemError } from '../../core/errors.js';
import { PoolError, WorkerPool } from '../../core/workers/pool.js';
import type { DocumentModel } from './model.js';
import type { PdfOptions } from './pdf.js';

export interface Renderer {
  pdf(model: DocumentModel, options: PdfOptions): Promise<{ pdf: Buffer; pages: number }>;
  /** Why the PDF library cannot place this image, or null when it can (opened in the worker, not on the event loop). */
  checkImage(data: Buffer): Promise<string | null>;
}

export function createRenderer(): Renderer {
  const pool = new WorkerPool({ script: new URL('./render-worker.ts', import.meta.url), size: 1, idleMs: 60_000, heapMb: 512 });
  return {
    async pdf(model, options) {
      try {
        const { pdf, pages } = await pool.run<{ pdf: Uint8Array; pages: number }>({ kind: 'pdf', model, options }, { timeoutMs: 60_000 });
        return { pdf: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength), pages };
      } catch (err) {
        if (!(err instanceof PoolError)) throw err;
        throw new ProblemError(503, 'render-failed', 'Document not drawn', `The document could not be drawn (${err.reason}: ${err.message}); try again.`);
      }
    },
    async checkImage(data) {
      try {
        return await pool.run<string | null>({ kind: 'image', data }, { timeoutMs: 10_000 });
      } catch (err) {
        if (!(err instanceof PoolError)) throw err;
        return `it could not be opened (${err.reason})`;
      }
    },
  };
}
