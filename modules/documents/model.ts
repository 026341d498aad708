/**
 * A document as data: what it says, in reading order, without a word of layout. The PDF
 * (pdf.ts, drawn in a worker process) and the HTML preview (html.ts) are both drawn from it, so
 * the preview shows what prints. Every text is already in the document's language, amounts and
 * dates already formatted; it is plain data, so it crosses to the worker as it is.
 */
import type { Lang } from './i18n/index.js';

/** A company logo as uploaded (logo.ts): its bytes and pixel size. */
export interface Logo { data: Buffer | Uint8Array; mediaType: 'image/png' | 'image/jpeg'; width: number; height: number }

export interface Letterhead {
  name: string;
  /** Lines under the name: address, tax code, phone and email. */
  lines: string[];
  footer: string;
  /** A PNG or JPEG logo, when the company uploaded one. */
  logo: Logo | null;
}

export interface Column {
  header: string;
  /** `end`: amounts and counts, aligned to the end of the line (the right in vi, en, zh; the left in ar). */
  align: 'start' | 'end';
  /** Cells never break inside (dates, amounts); a wrapping column takes what the others leave. */
  wrap: boolean;
}

export type Block =
  | { kind: 'title'; text: string; subtitle?: string }
  | { kind: 'paragraph'; text: string; bold?: boolean }
  /** Label–value pairs, one per line ("Customer: …"). */
  | { kind: 'fields'; rows: Array<[string, string]> }
  | { kind: 'table'; columns: Column[]; rows: Array<{ cells: string[]; bold?: boolean }> }
  /** A QR code (its module matrix) with the lines that explain it. */
  | { kind: 'payment'; title: string; matrix: boolean[][]; lines: Array<[string, string]>; payload: string }
  /** Two signatures side by side, the first on the side a line starts (the right in ar), with a hint under each ("signature, full name, stamp"). */
  | { kind: 'signatures'; left: string; right: string; hint?: string }
  | { kind: 'space' }
  /** What follows starts on a new page (the statement behind a reminder letter). */
  | { kind: 'page-break' };

export interface DocumentModel {
  lang: Lang;
  /** The PDF's title (document information) and the HTML page's. */
  title: string;
  letterhead: Letterhead;
  /** The recipient's name and address lines, printed in the envelope window; none: no address block. */
  recipient: string[] | null;
  /** Place and date line, printed at the end of the line facing the address ("Ngày 05 tháng 12 năm 2026"). */
  dateLine: string | null;
  /** "Trang {page}/{pages}": the page label with the two numbers to fill in. */
  pageLabel: string;
  blocks: Block[];
}
