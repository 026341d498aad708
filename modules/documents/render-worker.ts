/** Worker process behind render.ts: draws document models as PDFs, off the server's event loop. */
import PDFDocument from 'pdfkit';
import { serveTasks } from '../../core/workers/pool.js';
import type { DocumentModel } from './model.js';
import { renderPdf, type PdfOptions } from './pdf.js';

type Task = { kind: 'pdf'; model: DocumentModel; options: PdfOptions } | { kind: 'image'; data: Uint8Array };

serveTasks<Task, { pdf: Uint8Array; pages: number } | string | null>(async (task) => {
  if (task.kind === 'pdf') return renderPdf(task.model, task.options);
  return imageProblem(Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength));
});

/** Places the image on a page and finishes the document: decoding (PNG rows, alpha, interlacing) happens only then. */
function imageProblem(data: Buffer): Promise<string | null> {
  return new Promise((resolve) => {
    const fail = (err: unknown) => resolve(err instanceof Error ? err.message : String(err));
    process.once('uncaughtException', fail);
    const done = (answer: string | null) => { process.off('uncaughtException', fail); resolve(answer); };
    try {
      const doc = new PDFDocument({ size: 'A4' });
      doc.on('data', () => {});
      doc.on('end', () => done(null));
      doc.on('error', (err) => done(err instanceof Error ? err.message : String(err)));
      doc.image(data, 0, 0, { fit: [100, 100] });
      doc.end();
    } catch (err) {
      done(err instanceof Error ? err.message : String(err));
    }
  });
}
