/**
 * Draws a document model (model.ts) as an A4 PDF with pdfkit.
 *
 * pdfkit places text; the layout is ours, so that nothing depends on guesses:
 * - Every text is cut into lines here (words; CJK between any two characters), each line laid
 *   out with the Unicode bidirectional algorithm (bidi-js): runs of one embedding level in visual
 *   order, each cut by the font that has its characters (Latin and Vietnamese, Arabic, CJK), each
 *   piece drawn at its own x. fontkit shapes Arabic pieces and lays them right to left itself.
 * - Tables measure their cells: columns that must not break (dates, amounts) get their widest
 *   cell, wrapping columns share the rest; a cell wraps inside its column and its row grows, so
 *   no text ever runs over another row. A row that does not fit goes to the next page under the
 *   repeated header.
 * - Page 1 carries the letterhead and, when the document has a recipient, the address in the
 *   envelope window (window.ts); every page a footer with "page/pages".
 * - Arabic documents are mirrored: the letterhead, labels and table columns start at the right.
 */
import PDFDocument from 'pdfkit';
import type { Block, Column, DocumentModel } from './model.js';
import { fontsFor, type FontSet, type Weight } from './fonts.js';
import { layoutLine, type Piece } from './bidi.js';
import { A4, MM, addressRect, windowRect, type Envelope, type WindowSide } from './window.js';

export interface PdfOptions {
  envelope: Envelope;
  side: WindowSide;
  /** Fixed creation date (document information), so that the same document gives the same bytes. */
  date: string;
}

const MARGIN = { left: 20 * MM, right: 15 * MM, top: 12 * MM, bottom: 18 * MM };
const CONTENT_WIDTH = A4.width - MARGIN.left - MARGIN.right;
const BODY = 9.5;
const SMALL = 7.5;
const LEADING = 1.3;
const CELL_PAD = 3;
/**
 * Glyph composition (OpenType `ccmp`) off: Noto Sans would draw "ị" as "i" plus a combining dot,
 * and a PDF's text layer maps each glyph to one text, so copied or extracted text would lose the
 * letter. With it off, every Vietnamese letter is its own precomposed glyph. (Each piece is laid
 * out as one run, in one font.)
 */
const NO_DECOMPOSITION = { ccmp: false } as never;

type Align = 'start' | 'end' | 'center' | 'left';
/**
 * Widths of words and pieces, kept for the life of the process (the renderer's worker): a batch
 * of letters measures the same words again and again. Emptied when it grows large.
 */
const widths = new Map<string, number>();
function remember(key: string, measure: () => number): number {
  let w = widths.get(key);
  if (w === undefined) {
    if (widths.size > 200_000) widths.clear();
    widths.set(key, (w = measure()));
  }
  return w;
}
const RTL_LETTER = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

class Writer {
  readonly doc: PDFKit.PDFDocument;
  readonly rtl: boolean;
  y = MARGIN.top;
  private readonly fonts: FontSet;

  constructor(readonly model: DocumentModel, options: PdfOptions) {
    this.rtl = model.lang === 'ar';
    this.doc = new PDFDocument({
      size: 'A4', margin: 0, bufferPages: true, autoFirstPage: true,
      info: { Title: model.title, Author: model.letterhead.name, Creator: 'congno', Producer: 'congno', CreationDate: new Date(`${options.date}T00:00:00Z`) },
      lang: model.lang,
    });
    this.fonts = fontsFor(this.doc);
  }

  /** The pieces of one line in visual order with their widths. */
  private pieces(text: string, size: number, weight: Weight): Array<Piece & { width: number }> {
    // A line without any right-to-left letter (a Vietnamese name or address in an Arabic letter)
    // is laid out left to right; it is still aligned to the start of the page's direction.
    const nfc = text.normalize('NFC');
    const direction = this.rtl && RTL_LETTER.test(nfc) ? 'rtl' : 'ltr';
    return layoutLine(nfc, direction, this.fonts, weight).map((p) => ({ ...p, width: this.width(p.text, p.font, size) }));
  }

  private width(text: string, font: string, size: number): number {
    return remember(`${font}\u0000${size}\u0000${text}`, () => this.doc.font(font).fontSize(size).widthOfString(text, { features: NO_DECOMPOSITION }));
  }

  textWidth(text: string, size: number, weight: Weight = 'regular'): number {
    return remember(`${this.rtl}\u0000${weight}\u0000${size}\u0000${text}`, () => this.pieces(text, size, weight).reduce((s, p) => s + p.width, 0));
  }

  /** Lines of at most `width`, cut at spaces, and between CJK characters; a word longer than the line is cut where it must. */
  wrap(text: string, width: number, size: number, weight: Weight = 'regular'): string[] {
    const out: string[] = [];
    for (const paragraph of text.split('\n')) {
      const tokens = paragraph.match(/[\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF][\s]*|[^\s\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF]+\s*|\s+/g) ?? [''];
      // A line's width is the sum of its words' (each measured once, then remembered).
      let line = '';
      let lineWidth = 0;
      for (const token of tokens) {
        const word = token.trimEnd();
        const wordWidth = this.textWidth(word, size, weight);
        const spaceWidth = word.length < token.length ? this.textWidth(token.slice(word.length), size, weight) : 0;
        // Words measured apart lose the kerning between them: a point of slack keeps a line that fits whole on one line.
        if (line === '' || lineWidth + wordWidth <= width + 1) {
          line += token;
          lineWidth += wordWidth + spaceWidth;
        } else {
          out.push(line.trimEnd());
          line = token.trimStart();
          lineWidth = this.textWidth(line.trimEnd(), size, weight) + spaceWidth;
        }
        if (wordWidth <= width + 1) continue;
        // A single word wider than the line (it starts the line now): cut it by characters.
        while (this.textWidth(line.trimEnd(), size, weight) > width && [...line].length > 1) {
          const chars = [...line];
          let n = chars.length - 1;
          while (n > 1 && this.textWidth(chars.slice(0, n).join(''), size, weight) > width) n--;
          out.push(chars.slice(0, n).join(''));
          line = chars.slice(n).join('');
          lineWidth = this.textWidth(line.trimEnd(), size, weight) + spaceWidth;
        }
      }
      out.push(line.trimEnd());
    }
    return out;
  }

  /** Draws one line at (x, y) (top of the line) within `width`, aligned to the start or end of the reading direction. */
  line(text: string, x: number, y: number, width: number, size: number, align: Align, weight: Weight = 'regular'): void {
    const pieces = this.pieces(text, size, weight);
    const total = pieces.reduce((s, p) => s + p.width, 0);
    const physical = align === 'center' || align === 'left' ? align : (align === 'start') !== this.rtl ? 'left' : 'right';
    let cx = physical === 'left' ? x : physical === 'right' ? x + width - total : x + (width - total) / 2;
    const baseline = y + size * 1.02;
    for (const p of pieces) {
      this.doc.font(p.font).fontSize(size).text(p.text, cx, baseline, { lineBreak: false, features: NO_DECOMPOSITION, baseline: 'alphabetic' });
      cx += p.width;
    }
  }

  /** Wrapped text from the current y; returns the height used. */
  paragraph(text: string, size: number, align: Align = 'start', weight: Weight = 'regular', x = MARGIN.left, width = CONTENT_WIDTH): void {
    for (const l of this.wrap(text, width, size, weight)) {
      this.room(size * LEADING);
      this.line(l, x, this.y, width, size, align, weight);
      this.y += size * LEADING;
    }
  }

  /** A new page when less than `height` is left above the footer. */
  room(height: number): boolean {
    if (this.y + height <= A4.height - MARGIN.bottom) return false;
    this.doc.addPage({ size: 'A4', margin: 0 });
    this.y = MARGIN.top;
    return true;
  }

  letterhead(): void {
    const head = this.model.letterhead;
    let x = MARGIN.left;
    let width = CONTENT_WIDTH;
    let logoHeight = 0;
    if (head.logo) {
      // At most 40 mm wide and 16 mm high, its proportions kept; the company's name starts beside it.
      const { data, width: w, height: h } = head.logo;
      const logoWidth = Math.min(40 * MM, (16 * MM * w) / h);
      logoHeight = (logoWidth * h) / w;
      const lx = this.rtl ? A4.width - MARGIN.right - logoWidth : MARGIN.left;
      this.doc.image(Buffer.from(data.buffer, data.byteOffset, data.byteLength), lx, MARGIN.top, { width: logoWidth, height: logoHeight });
      width -= logoWidth + 4 * MM;
      if (!this.rtl) x += logoWidth + 4 * MM;
    }
    this.line(head.name, x, this.y, width, 11, 'start', 'bold');
    this.y += 11 * LEADING;
    for (const l of head.lines) {
      for (const w of this.wrap(l, width, SMALL)) {
        this.line(w, x, this.y, width, SMALL, 'start');
        this.y += SMALL * LEADING;
      }
    }
    this.y = Math.max(this.y, MARGIN.top + logoHeight) + 2 * MM;
    this.doc.moveTo(MARGIN.left, this.y).lineTo(A4.width - MARGIN.right, this.y).lineWidth(0.5).strokeColor('#888888').stroke();
    this.y += 3 * MM;
  }

  /** The recipient's address in the envelope window, and the date line facing it. */
  addressBlock(envelope: Envelope, side: WindowSide): void {
    const recipient = this.model.recipient;
    const window = windowRect(envelope, side);
    const box = addressRect(envelope, side);
    if (this.model.dateLine) {
      const faceX = side === 'left' ? window.x + window.width + 6 * MM : MARGIN.left;
      const faceWidth = side === 'left' ? A4.width - MARGIN.right - faceX : window.x - 6 * MM - MARGIN.left;
      this.line(this.model.dateLine, faceX, window.y + 2 * MM, faceWidth, BODY, 'end');
    }
    if (recipient) {
      // The address is written in the window's own direction, from its top; lines that do not fit are left out rather than printed outside it.
      const size = 10;
      let y = box.y;
      for (const [k, l] of recipient.entries()) {
        for (const w of this.wrap(l, box.width, size, k === 0 ? 'bold' : 'regular')) {
          if (y + size * LEADING > box.y + box.height) break;
          this.line(w, box.x, y, box.width, size, this.rtl && !RTL_LETTER.test(w) ? 'left' : 'start', k === 0 ? 'bold' : 'regular');
          y += size * LEADING;
        }
      }
    }
    this.y = Math.max(this.y, window.y + window.height + 6 * MM);
  }

  block(b: Block): void {
    switch (b.kind) {
      case 'title':
        this.room(40);
        this.paragraph(b.text, 14, 'center', 'bold');
        if (b.subtitle) this.paragraph(b.subtitle, BODY, 'center');
        this.y += 3 * MM;
        return;
      case 'paragraph':
        this.paragraph(b.text, BODY, 'start', b.bold ? 'bold' : 'regular');
        this.y += 2 * MM;
        return;
      case 'fields': {
        const labelWidth = Math.min(CONTENT_WIDTH * 0.35, Math.max(...b.rows.map(([l]) => this.textWidth(`${l}:`, BODY))) + 3 * MM);
        for (const [label, value] of b.rows) {
          const lines = this.wrap(value, CONTENT_WIDTH - labelWidth, BODY);
          this.room(lines.length * BODY * LEADING);
          const labelX = this.rtl ? A4.width - MARGIN.right - labelWidth : MARGIN.left;
          const valueX = this.rtl ? MARGIN.left : MARGIN.left + labelWidth;
          this.line(`${label}:`, labelX, this.y, labelWidth, BODY, 'start');
          for (const l of lines) {
            this.line(l, valueX, this.y, CONTENT_WIDTH - labelWidth, BODY, 'start');
            this.y += BODY * LEADING;
          }
        }
        this.y += 2 * MM;
        return;
      }
      case 'table':
        this.table(b.columns, b.rows);
        this.y += 3 * MM;
        return;
      case 'payment':
        this.payment(b);
        return;
      case 'signatures': {
        this.room(30 * MM);
        const half = CONTENT_WIDTH / 2;
        const [first, second] = this.rtl ? [MARGIN.left + half, MARGIN.left] : [MARGIN.left, MARGIN.left + half];
        this.line(b.left, first, this.y, half, BODY, 'center', 'bold');
        this.line(b.right, second, this.y, half, BODY, 'center', 'bold');
        if (b.hint) {
          this.line(b.hint, first, this.y + BODY * LEADING, half, BODY - 1, 'center');
          this.line(b.hint, second, this.y + BODY * LEADING, half, BODY - 1, 'center');
        }
        this.y += 28 * MM;
        return;
      }
      case 'page-break':
        if (this.y > MARGIN.top) this.room(Infinity);
        return;
      case 'space':
        this.y += 4 * MM;
    }
  }

  /**
   * Column widths. Unbreakable columns (dates, amounts) get their widest cell, and their whole
   * header on one line when the wrapping columns keep a readable width (else the header wraps by
   * words). Wrapping columns fill what is left like water: a column whose text fits in an equal
   * share takes just that, the longer ones share the rest, none below its longest word.
   */
  private columnWidths(columns: Column[], rows: Array<{ cells: string[]; bold?: boolean }>, size: number): number[] | null {
    const pad = 2 * CELL_PAD;
    const widest = (k: number, words: boolean) => Math.max(
      ...this.wordsOf(columns[k].header, words).map((w) => this.textWidth(w, size, 'bold')),
      ...rows.map((r) => Math.max(0, ...this.wordsOf(r.cells[k] ?? '', words).map((w) => this.textWidth(w, size, r.bold ? 'bold' : 'regular')))),
    ) + pad;
    const wrapping = columns.map((c, k) => (c.wrap ? k : -1)).filter((k) => k >= 0);
    const minimum = new Map(wrapping.map((k) => [k, widest(k, true)]));
    const natural = new Map(wrapping.map((k) => [k, Math.max(widest(k, false), minimum.get(k)!)]));
    const readable = wrapping.reduce((sum, k) => sum + Math.max(minimum.get(k)!, Math.min(natural.get(k)!, 30 * MM)), 0);
    const cells = columns.map((c, k) => (c.wrap ? 0 : this.cellsWidth(rows, k, size) + pad));
    const oneLine = columns.map((c, k) => (c.wrap ? 0 : Math.max(cells[k], this.textWidth(c.header, size, 'bold') + pad)));
    const byWords = columns.map((c, k) => (c.wrap ? 0 : Math.max(cells[k], this.headerWordWidth(c.header, size) + pad)));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const widths = CONTENT_WIDTH - sum(oneLine) >= readable ? oneLine : byWords;
    let free = CONTENT_WIDTH - sum(widths);
    if (wrapping.length === 0) return free < 0 ? null : widths.map((w) => w + free / columns.length);
    if (free < sum([...minimum.values()])) return null;
    const left = [...wrapping].sort((a, b) => natural.get(a)! - natural.get(b)!);
    while (left.length > 0) {
      const share = free / left.length;
      const k = left[0];
      if (natural.get(k)! <= share) {
        widths[k] = natural.get(k)!;
        free -= widths[k];
        left.shift();
        continue;
      }
      // The rest are longer than an equal share: equal shares, each at least its longest word.
      const floors = left.filter((j) => minimum.get(j)! > share);
      for (const j of floors) { widths[j] = minimum.get(j)!; free -= widths[j]; }
      const others = left.filter((j) => minimum.get(j)! <= share);
      for (const j of others) widths[j] = free / others.length;
      break;
    }
    // Room left when every wrapping column has its natural width: spread it over them.
    const used = sum(widths);
    if (used < CONTENT_WIDTH) for (const k of wrapping) widths[k] += (CONTENT_WIDTH - used) / wrapping.length;
    return widths;
  }

  private wordsOf(text: string, words: boolean): string[] {
    return words ? text.split(/\s+|(?<=[\u2E80-\u9FFF])/).filter(Boolean) : [text];
  }

  private headerWordWidth(header: string, size: number): number {
    return Math.max(0, ...this.wordsOf(header, true).map((w) => this.textWidth(w, size, 'bold')));
  }

  private cellsWidth(rows: Array<{ cells: string[]; bold?: boolean }>, k: number, size: number): number {
    return Math.max(0, ...rows.map((r) => this.textWidth(r.cells[k] ?? '', size, r.bold ? 'bold' : 'regular')));
  }

  private table(columns: Column[], rows: Array<{ cells: string[]; bold?: boolean }>): void {
    let size = BODY - 0.5;
    let widths = this.columnWidths(columns, rows, size);
    while (!widths && size > 6) { size -= 0.5; widths = this.columnWidths(columns, rows, size); }
    if (!widths) widths = columns.map(() => CONTENT_WIDTH / columns.length);
    const order = columns.map((_, k) => k);
    if (this.rtl) order.reverse();
    const xs: number[] = [];
    let x = MARGIN.left;
    for (const k of order) { xs[k] = x; x += widths[k]; }
    const lineHeight = size * LEADING;
    const cellLines = (text: string, k: number, weight: Weight) => (columns[k].wrap || text.length === 0 ? this.wrap(text, widths![k] - 2 * CELL_PAD, size, weight) : [text]);
    const drawRow = (cells: string[], weight: Weight, header: boolean) => {
      const lines = cells.map((c, k) => (header ? this.wrap(c, widths![k] - 2 * CELL_PAD, size, weight) : cellLines(c, k, weight)));
      const height = Math.max(1, ...lines.map((l) => l.length)) * lineHeight + 2 * CELL_PAD;
      return { lines, height, draw: (top: number) => {
        lines.forEach((ls, k) => ls.forEach((l, i) => this.line(l, xs[k] + CELL_PAD, top + CELL_PAD + i * lineHeight, widths![k] - 2 * CELL_PAD, size, header ? 'center' : columns[k].align, weight)));
      } };
    };
    const header = drawRow(columns.map((c) => c.header), 'bold', true);
    const drawHeader = () => {
      this.doc.rect(MARGIN.left, this.y, CONTENT_WIDTH, header.height).fillColor('#eeeeee').fill().fillColor('#000000');
      header.draw(this.y);
      this.y += header.height;
      this.rule(0.6);
    };
    this.room(header.height + lineHeight + 2 * CELL_PAD);
    drawHeader();
    for (const r of rows) {
      const row = drawRow(r.cells, r.bold ? 'bold' : 'regular', false);
      if (this.room(row.height)) drawHeader();
      row.draw(this.y);
      this.y += row.height;
      this.rule(r.bold ? 0.6 : 0.2);
    }
  }

  private rule(width: number): void {
    this.doc.moveTo(MARGIN.left, this.y).lineTo(A4.width - MARGIN.right, this.y).lineWidth(width).strokeColor('#999999').stroke().strokeColor('#000000');
  }

  /** The QR code (drawn as squares: sharp at any print resolution) with its explanation beside it. */
  private payment(b: Extract<Block, { kind: 'payment' }>): void {
    const side = 32 * MM;
    const textWidth = CONTENT_WIDTH - side - 6 * MM;
    const lines = b.lines.flatMap(([label, value]) => this.wrap(`${label}: ${value}`, textWidth, BODY));
    this.room(Math.max(side + 6 * MM, (lines.length + 2) * BODY * LEADING));
    const top = this.y;
    const qrX = this.rtl ? MARGIN.left : A4.width - MARGIN.right - side;
    const textX = this.rtl ? MARGIN.left + side + 6 * MM : MARGIN.left;
    const n = b.matrix.length;
    const quiet = 2;
    const cell = side / (n + 2 * quiet);
    this.doc.save().fillColor('#000000');
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (b.matrix[r][c]) this.doc.rect(qrX + (c + quiet) * cell, top + (r + quiet) * cell, cell, cell);
    this.doc.fill().restore();
    let y = top + quiet * cell;
    this.line(b.title, textX, y, textWidth, BODY + 1, 'start', 'bold');
    y += (BODY + 1) * LEADING;
    for (const l of lines) { this.line(l, textX, y, textWidth, BODY, 'start'); y += BODY * LEADING; }
    this.y = Math.max(top + side, y) + 4 * MM;
  }

  footers(): void {
    const range = this.doc.bufferedPageRange();
    const size = SMALL;
    const y = A4.height - MARGIN.bottom + 6 * MM;
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      const label = this.model.pageLabel.replace('{page}', String(i - range.start + 1)).replace('{pages}', String(range.count));
      const labelWidth = this.textWidth(label, size) + 2;
      const labelX = this.rtl ? MARGIN.left : A4.width - MARGIN.right - labelWidth;
      this.line(label, labelX, y, labelWidth, size, 'end');
      if (this.model.letterhead.footer) {
        const width = CONTENT_WIDTH - labelWidth - 6 * MM;
        const first = this.wrap(this.model.letterhead.footer, width, size)[0] ?? '';
        this.line(first, this.rtl ? MARGIN.left + labelWidth + 6 * MM : MARGIN.left, y, width, size, 'start');
      }
    }
  }
}

/** The document as PDF bytes and its number of pages. */
export async function renderPdf(model: DocumentModel, options: PdfOptions): Promise<{ pdf: Buffer; pages: number }> {
  const w = new Writer(model, options);
  const chunks: Buffer[] = [];
  w.doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => { w.doc.on('end', () => resolve()); w.doc.on('error', reject); });
  w.letterhead();
  if (model.recipient || model.dateLine) w.addressBlock(options.envelope, options.side);
  for (const b of model.blocks) w.block(b);
  w.footers();
  const pages = w.doc.bufferedPageRange().count;
  w.doc.end();
  await ended;
  return { pdf: Buffer.concat(chunks), pages };
}
