import { readFirstSheet, SpreadsheetError } from '../../../core/spreadsheet.js';
import { CsvError, detectDelimiter, parseCsv } from './csv.js';
import { fileProblem } from './errors.js';
import type { Cell } from './values.js';

export type ImportFormat = 'csv' | 'xlsx';

/** A non-blank row of the file with its row number as a spreadsheet shows it. */
export interface SheetRow { row: number; cells: Cell[] }

/** More rows than this is a job for the bulk loader, not a request. */
export const MAX_ROWS = 100_000;

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0]; // Excel 97–2003 .xls
const startsWith = (body: Buffer, magic: number[]) => magic.every((b, i) => body[i] === b);

/** The format the caller named, checked against the file's first bytes; sniffed when not named. */
export function checkFormat(body: Buffer, format: ImportFormat | undefined): ImportFormat {
  if (startsWith(body, OLE)) throw fileProblem('this is an Excel 97–2003 (.xls) workbook, which is not read; save it as .xlsx or as CSV UTF-8');
  const zip = startsWith(body, ZIP);
  if (format === 'csv' && zip) throw fileProblem('this file is an XLSX workbook, not CSV text; send it with format=xlsx');
  if (format === 'xlsx' && !zip) throw fileProblem('this file is not an XLSX workbook (an .xlsx file is a zip archive); for CSV text use format=csv');
  return format ?? (zip ? 'xlsx' : 'csv');
}

export async function readRows(body: Buffer, format: ImportFormat): Promise<SheetRow[]> {
  const rows = format === 'xlsx' ? await readXlsx(body) : readCsv(body);
  if (rows.length > MAX_ROWS + 1) throw fileProblem(`the file has ${rows.length} rows; at most ${MAX_ROWS} are imported at once — split the file`);
  return rows;
}

/** CSV text: UTF-8 with or without BOM (or UTF-16 with its BOM, as Excel's "Unicode text"), delimiter detected. */
function readCsv(body: Buffer): SheetRow[] {
  let text: string;
  if (body[0] === 0xff && body[1] === 0xfe) text = new TextDecoder('utf-16le').decode(body.subarray(2));
  else if (body[0] === 0xfe && body[1] === 0xff) text = new TextDecoder('utf-16be').decode(body.subarray(2));
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body); // drops a BOM
    } catch {
      const lenient = new TextDecoder('utf-8').decode(body);
      const at = lenient.indexOf('\ufffd');
      const row = lenient.slice(0, at).split(/\r\n|\n|\r/).length;
      throw fileProblem(`the file is not UTF-8 text (first bad byte on line ${row}); save it as "CSV UTF-8" or as .xlsx`, row);
    }
  }
  let records: string[][];
  try {
    records = parseCsv(text, detectDelimiter(text));
  } catch (err) {
    if (err instanceof CsvError) throw fileProblem(err.message, err.row);
    throw err;
  }
  const rows: SheetRow[] = [];
  records.forEach((fields, i) => {
    if (fields.some((f) => f.trim() !== '')) rows.push({ row: i + 1, cells: fields.map((f) => ({ text: f.trim() })) });
  });
  return rows;
}

/**
 * The first visible worksheet of an XLSX workbook, cell values as the workbook stores them; read
 * in core's worker behind its zip-bomb limits. Rows with nothing but blank cells are left out.
 */
async function readXlsx(body: Buffer): Promise<SheetRow[]> {
  let sheet;
  try {
    sheet = await readFirstSheet(body);
  } catch (err) {
    if (err instanceof SpreadsheetError) throw fileProblem(err.message);
    throw err;
  }
  const rows: SheetRow[] = [];
  for (const { at, cells } of sheet) {
    if (cells.some((cell) => cell.text !== '')) rows.push({ row: at, cells: cells.map((c): Cell => (c.number === undefined ? { text: c.text } : { text: c.text, number: c.number })) });
  }
  return rows;
}
