/** Worker process behind render.ts: draws document models as PDFs, off the server's event loop. */
import { serveTasks } from '../../core/workers/pool.js';
import type { DocumentModel } from './model.js';
import { renderPdf, type PdfOptions } from './pdf.js';

serveTasks<{ model: DocumentModel; options: PdfOptions }, { pdf: Uint8Array; pages: number }>(async ({ model, options }) => renderPdf(model, options));
