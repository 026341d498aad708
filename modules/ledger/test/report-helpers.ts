import ExcelJS from 'exceljs';
import type { TestApp } from '../../../test/helpers/build-test-app.js';

/** The JSON body of a response with the expected status, or an error quoting the body. */
export async function ok(res: Promise<{ statusCode: number; body: string; json(): any }>, status = 200): Promise<any> {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return r.json();
}

export const partner = (h: TestApp, ref: string, name: string, extra: Record<string, unknown> = {}) =>
  ok(h.request('POST', '/api/ledger/partners', { ref, name, ...extra }), 201);

/** A posted one-line invoice without tax. */
export const invoice = (h: TestApp, p: string, date: string, dueDate: string, amount: string, description = 'Hàng hoá') =>
  ok(h.request('POST', '/api/ledger/invoices', { partner: p, date, dueDate, post: true, lines: [{ description, quantity: '1', unitPrice: amount }] }), 201);

export const pay = (h: TestApp, p: string, date: string, amount: string, extra: Record<string, unknown> = {}) =>
  ok(h.request('POST', '/api/ledger/payments', { partner: p, date, amount, ...extra }), 201);

/** RFC 4180 parse-back, enough for what the exports write (the byte-order mark removed first). */
export function parseCsv(body: Buffer): string[][] {
  const text = body.subarray(3).toString('utf8');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

export async function readWorkbook(body: Buffer): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  return wb.worksheets[0];
}

export const rowOf = (report: { rows: Array<{ ref: string }> }, ref: string): any => report.rows.find((r) => r.ref === ref);
