/**
 * Worker process behind core/spreadsheet.ts: checks and re-packs the archive (zip.ts), loads it
 * with exceljs and sends the first visible sheet back as plain rows, in chunks.
 */
import ExcelJS from 'exceljs';
import type { SheetCell, SheetRow, SheetTask } from '../spreadsheet.js';
import { repackVerified, ZipError } from '../zip.js';
import { serveTasks } from './pool.js';

/**
 * Rows per message, as JSON text: small enough that the main thread takes each in a few
 * milliseconds between other requests (JSON.parse is ~4× cheaper there than structured clone).
 */
const CHUNK_ROWS = 1000;

function cellOf(value: ExcelJS.CellValue): SheetCell {
  if (value === null || value === undefined) return { text: '' };
  if (typeof value === 'number') return { text: String(value), number: value };
  if (typeof value === 'string') return { text: value.trim() };
  if (typeof value === 'boolean') return { text: String(value) };
  // exceljs keeps date cells as UTC midnights: the calendar date is the UTC one.
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return { text: '' };
    const iso = value.toISOString().slice(0, 10);
    return { text: iso, date: iso };
  }
  if ('richText' in value) return { text: value.richText.map((r) => r.text).join('').trim() };
  if ('error' in value) return { text: String(value.error) };
  if ('formula' in value || 'sharedFormula' in value) return cellOf((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('text' in value) return cellOf((value as ExcelJS.CellHyperlinkValue).text as ExcelJS.CellValue);
  return { text: String(value) };
}

serveTasks<SheetTask, { rows: number }, string>(async ({ bytes, maxRows, limits }, emit) => {
  let archive: Buffer;
  try {
    archive = repackVerified(bytes, limits);
  } catch (err) {
    if (err instanceof ZipError) throw new Error(err.kind === 'limit' ? err.message : `the XLSX workbook cannot be read (${err.message})`);
    throw err;
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(archive as unknown as ExcelJS.Buffer);
  } catch (err) {
    throw new Error(`the XLSX workbook cannot be read (${(err as Error).message})`);
  }
  archive = Buffer.alloc(0);
  const sheet = workbook.worksheets.find((w) => w.state === 'visible') ?? workbook.worksheets[0];
  if (!sheet) throw new Error('the workbook has no worksheet');
  let chunk: SheetRow[] = [];
  let count = 0;
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (maxRows !== undefined && count >= maxRows) return;
    const values = row.values as ExcelJS.CellValue[];
    const cells: SheetCell[] = [];
    for (let c = 1; c < values.length; c++) cells.push(cellOf(values[c]));
    chunk.push({ at: rowNumber, cells });
    count++;
    if (chunk.length >= CHUNK_ROWS) { emit(JSON.stringify(chunk)); chunk = []; }
  });
  if (chunk.length > 0) emit(JSON.stringify(chunk));
  return { rows: count };
});
