/**
 * Rows of a CSV text or of an XLSX workbook's first visible sheet, each with the number a user
 * finds it under (the line a CSV record starts on, the spreadsheet row of an XLSX row).
 */
import { readFirstSheet, SpreadsheetError } from '../../../core/spreadsheet.js';
import { fail } from './common.js';

export interface SheetCell { text: string; number?: number; date?: string }
export interface SheetRow { at: number; cells: SheetCell[] }

export const MAX_ROWS = 200_000;

export type Delimiter = ',' | ';' | '\t' | '|';

/** The most frequent of , ; tab | outside quotes on the first line that has any. */
export function detectDelimiter(text: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (Object.values(counts).some((n) => n > 0)) break;
    } else if (!quoted && c in counts) counts[c as Delimiter]++;
  }
  let best: Delimiter = ',';
  for (const d of [';', '\t', '|'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

/**
 * RFC 4180 as spreadsheet programs write it: a quoted field may hold delimiters, line breaks and
 * `""`; records end at CRLF, LF or CR. A quote left open is an error naming its line.
 */
export function csvRows(text: string, delimiter: Delimiter): SheetRow[] {
  const rows: SheetRow[] = [];
  let cells: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let started = false;
  const endField = () => { cells.push(field); field = ''; started = false; };
  const endRecord = () => {
    endField();
    rows.push({ at: recordLine, cells: cells.map((c) => ({ text: c.trim() })) });
    if (rows.length > MAX_ROWS) throw fail('', `the file has more than ${MAX_ROWS} rows; split it`);
    cells = [];
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"' && !started) {
      const opened = line;
      started = true;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw fail(`line ${opened}`, 'a quote opened here is never closed');
        const part = text.slice(i, q);
        line += (part.match(/\r\n|\n|\r/g) ?? []).length;
        field += part;
        if (text[q + 1] === '"') { field += '"'; i = q + 2; } else { i = q + 1; break; }
      }
    } else if (c === delimiter) {
      endField();
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      let j = i + 1;
      while (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
      field += text.slice(i, j);
      started = true;
      i = j;
    }
  }
  if (started || cells.length > 0) endRecord();
  return rows;
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];

export async function xlsxRows(bytes: Uint8Array): Promise<SheetRow[]> {
  if (!ZIP.every((b, i) => bytes[i] === b)) {
    const xls = bytes[0] === 0xd0 && bytes[1] === 0xcf;
    throw fail('', xls ? 'this is an Excel 97–2003 (.xls) workbook, which is not read; save it as .xlsx or CSV' : 'this is not an XLSX workbook (an .xlsx file is a zip archive)');
  }
  // Read in core's worker behind its zip-bomb limits; cells as text, number and date as exceljs has them.
  try {
    // One row more than allowed tells a file that is too long from one that fits: refused, never cut.
    const rows = await readFirstSheet(bytes, { maxRows: MAX_ROWS + 1 });
    if (rows.length > MAX_ROWS) throw fail('', `the file has more than ${MAX_ROWS} rows; split it`);
    return rows;
  } catch (err) {
    if (err instanceof SpreadsheetError) throw fail('', err.message);
    throw err;
  }
}
