import ExcelJS from 'exceljs';
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

/** The first visible worksheet of an XLSX workbook, cell values as the workbook stores them. */
async function readXlsx(body: Buffer): Promise<SheetRow[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(body as unknown as ExcelJS.Buffer);
  } catch (err) {
    throw fileProblem(`the XLSX workbook cannot be read (${(err as Error).message})`);
  }
  const sheet = workbook.worksheets.find((w) => w.state === 'visible') ?? workbook.worksheets[0];
  if (!sheet) throw fileProblem('the workbook has no worksheet');
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const values = row.values as ExcelJS.CellValue[];
    const cells: Cell[] = [];
    for (let c = 1; c < values.length; c++) cells.push(toCell(values[c]));
    if (cells.some((cell) => cell.text !== '')) rows.push({ row: rowNumber, cells });
  });
  return rows;
}

function toCell(value: ExcelJS.CellValue): Cell {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'number') return { text: String(value), number: value };
  if (typeof value === 'string') return { text: value.trim() };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false' };
  // Date cells are stored as UTC midnights by exceljs: the calendar date is the UTC one.
  if (value instanceof Date) return { text: Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10) };
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join('').trim() };
  if ('error' in value) return { text: value.error };
  if ('formula' in value || 'sharedFormula' in value) return toCell((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('text' in value) return toCell((value as ExcelJS.CellHyperlinkValue).text as ExcelJS.CellValue);
  return { text: String(value) };
}
