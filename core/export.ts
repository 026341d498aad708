import ExcelJS from 'exceljs';
import { PassThrough, type Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql, type RawBuilder } from 'kysely';
import { Type, type TSchema } from 'typebox';
import type { Trx } from './db/kysely.js';
import { currencyExponent } from './money.js';
import { tenantOf } from './plugins/auth.js';

export type ExportFormat = 'csv' | 'xlsx';
export type Lang = 'vi' | 'en';
export type CellKind = 'text' | 'date' | 'amount' | 'integer' | 'decimal';
export interface ExportColumn { header: string; kind: CellKind; width?: number }
/** Amounts and decimals as decimal strings, dates as 'YYYY-MM-DD', integers as numbers. */
export type Cell = string | number | null;

export const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/** Column headers in the tenant's language (Vietnamese for a vi-* locale), unless `lang` is asked for. */
export function reportLang(request: FastifyRequest, asked?: Lang): Lang {
  return asked ?? (tenantOf(request).locale.toLowerCase().startsWith('vi') ? 'vi' : 'en');
}

export interface RowOptions {
  bold?: boolean;
  /** A totals row: in the workbook (bold), not in the CSV, where every line is one record. */
  totals?: boolean;
}

export interface TableSink {
  row(cells: Cell[], options?: RowOptions): Promise<void>;
  end(): Promise<void>;
}

/** Waits until `out` takes more, or fails if the client went away (so the transaction ends). */
function drained(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error('the export stream was closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err) reject(err); else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the export stream was closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

async function write(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw new Error('the export stream was closed');
  if (!out.write(text)) await drained(out);
}

function csvField(value: Cell, kind: CellKind): string {
  if (value === null) return '';
  let s = String(value);
  // A text starting like a formula would run as one in a spreadsheet (CSV injection).
  if (kind === 'text' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV, UTF-8 with a byte-order mark (Excel then reads Vietnamese right), CRLF line ends. */
function csvSink(out: Writable, columns: ExportColumn[]): TableSink {
  let started = false;
  const line = (cells: Cell[]) => cells.map((c, i) => csvField(c, columns[i]?.kind ?? 'text')).join(',') + '\r\n';
  return {
    async row(cells, options) {
      if (options?.totals) return;
      if (!started) {
        started = true;
        await write(out, '\uFEFF' + line(columns.map((c) => c.header)));
      }
      await write(out, line(cells));
    },
    async end() {
      if (!started) await write(out, '\uFEFF' + line(columns.map((c) => c.header)));
      out.end();
    },
  };
}

export function amountFormat(currency: string): string {
  const exponent = currencyExponent(currency);
  return exponent === 0 ? '#,##0' : `#,##0.${'0'.repeat(exponent)}`;
}

/** Excel keeps 15 significant digits: larger amounts are written as text rather than rounded. */
function excelNumber(value: string): number | string {
  return value.replace(/[-.]/g, '').replace(/^0+/, '').length <= 15 ? Number(value) : value;
}

/**
 * A real workbook, written as it goes (exceljs streaming writer): bold frozen header row, column
 * widths, amounts as numbers with the currency's decimals, dates as dates.
 */
function xlsxSink(out: Writable, columns: ExportColumn[], sheet: string, currency: string, lang: Lang): TableSink {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const worksheet = workbook.addWorksheet(sheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  const money = amountFormat(currency);
  const dateFormat = lang === 'vi' ? 'dd/mm/yyyy' : 'yyyy-mm-dd';
  worksheet.columns = columns.map((c, i) => ({
    header: c.header, key: `c${i}`,
    width: c.width ?? (c.kind === 'amount' ? 18 : c.kind === 'date' ? 12 : c.kind === 'text' ? 30 : 10),
  }));
  const header = worksheet.getRow(1);
  header.font = { bold: true };
  header.commit();
  let written = 0;
  return {
    async row(cells, options) {
      if (out.destroyed) throw new Error('the export stream was closed');
      const row = worksheet.addRow(cells.map((value, i) => {
        if (value === null) return null;
        switch (columns[i]?.kind) {
          case 'amount': return excelNumber(String(value));
          case 'decimal': return Number(value);
          case 'date': return new Date(`${value}T00:00:00Z`);
          default: return value;
        }
      }));
      columns.forEach((c, i) => {
        const cell = row.getCell(i + 1);
        if (c.kind === 'amount') cell.numFmt = money;
        else if (c.kind === 'date') cell.numFmt = dateFormat;
        else if (c.kind === 'decimal') cell.numFmt = '0.0';
      });
      if (options?.bold || options?.totals) row.font = { bold: true };
      row.commit();
      // The zip is compressed on the side; let the client catch up before writing more.
      if (++written % 200 === 0 && out.writableNeedDrain) await drained(out);
    },
    async end() {
      worksheet.commit();
      await workbook.commit();
    },
  };
}

export interface ExportFile {
  format: ExportFormat;
  /** File name without extension (ASCII). */
  name: string;
  sheet: string;
  lang: Lang;
  /** The currency amounts are in; the request tenant's when absent (an integrator's route has none). */
  currency?: string;
}

/**
 * Sends a table (a report, a list) as a CSV or XLSX file, streamed from inside the caller's
 * transaction: `work` opens it, validates and runs its queries, then calls `start(columns)` once
 * it has its first rows: until then a failure is an ordinary problem response; after it, the
 * stream is cut.
 */
export async function sendTable(
  request: FastifyRequest, reply: FastifyReply, file: ExportFile,
  work: (start: (columns: ExportColumn[]) => TableSink) => Promise<unknown>,
): Promise<FastifyReply> {
  const out = new PassThrough();
  const currency = file.currency ?? tenantOf(request).currency;
  let started = false;
  let ready!: () => void;
  const begun = new Promise<void>((resolve) => { ready = resolve; });
  const done = work((columns) => {
    started = true;
    ready();
    return file.format === 'csv' ? csvSink(out, columns) : xlsxSink(out, columns, file.sheet, currency, file.lang);
  });
  await Promise.race([begun, done]);
  if (!started) throw new Error('export finished without writing its header');
  done.catch((err: unknown) => {
    request.log.warn({ err }, 'export stopped while streaming');
    out.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return reply
    .type(CONTENT_TYPES[file.format])
    .header('content-disposition', `attachment; filename="${file.name}.${file.format}"`)
    .send(out);
}

/**
 * Runs a query through a server-side cursor (in the caller's transaction) and hands its rows over
 * page by page, so an export of every invoice never holds the whole result in memory.
 */
export async function eachPage<R>(trx: Trx, query: RawBuilder<unknown>, onPage: (rows: R[]) => Promise<void>, pageSize = 1000): Promise<void> {
  await sql`declare export_cursor no scroll cursor for ${query}`.execute(trx);
  for (;;) {
    const { rows } = await sql<R>`fetch forward ${sql.raw(String(pageSize))} from export_cursor`.execute(trx);
    if (rows.length > 0) await onPage(rows);
    if (rows.length < pageSize) break;
  }
  await sql`close export_cursor`.execute(trx);
}

/** What a list answers: `format` when given, else a file when `Accept` asks for CSV or a workbook, else JSON. */
export function listFormat(request: FastifyRequest, format?: 'json' | 'csv' | 'xlsx'): 'json' | 'csv' | 'xlsx' {
  if (format) return format;
  const accept = request.headers.accept ?? '';
  if (/\btext\/csv\b/i.test(accept)) return 'csv';
  if (/spreadsheetml\.sheet/i.test(accept)) return 'xlsx';
  return 'json';
}

/** A 200 that is JSON, or the same table as a CSV or XLSX file (`format`, or `Accept`): for a route's response schema. */
export function tableResponse(json: TSchema, description: string) {
  return {
    description,
    content: {
      'application/json': { schema: json },
      [CONTENT_TYPES.csv.split(';')[0]]: { schema: Type.String({ description: 'CSV, UTF-8 with BOM, comma-separated, amounts as plain decimals' }) },
      [CONTENT_TYPES.xlsx]: { schema: Type.String({ format: 'binary', description: 'Excel workbook' }) },
    },
  };
}
