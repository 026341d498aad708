/**
 * Bank statement files → statements. Pure code: nothing is stored. Every malformed input is a
 * 400 (`badRequest`) whose detail says where — `line 14: …` in a text file, `row 7: …` in a
 * workbook, an element path in camt XML — and why.
 */
import { parseCamt } from './camt.js';
import { fail } from './common.js';
import { parseCsv, parseXlsx, type CsvOptions } from './csv.js';
import { decode } from './decode.js';
import { parseMt940 } from './mt940.js';
import { parseOfx } from './ofx.js';
import type { ParseResult, ParsedStatement, StatementFormat } from './types.js';

export type { Balance, ParsedLine, ParsedStatement, ParseResult, StatementFormat, StatementJson, LineJson } from './types.js';
export { toJson, statementToJson } from './types.js';
export { PRESETS, type CsvMapping, type PresetName, type ColumnRef } from './csv-presets.js';
export type { CsvOptions, GivenBalance } from './csv.js';

export interface ParseOptions extends CsvOptions {
  /** Text encoding of the file; detected when absent (see decode.ts). */
  encoding?: string;
}

export const FORMATS: readonly StatementFormat[] = ['mt940', 'camt052', 'camt053', 'camt054', 'ofx', 'csv', 'xlsx'];

/** Statement files larger than this are refused before reading. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

/**
 * The format of a statement file from its content: a zip archive is a workbook; XML by its root
 * (camt.053 BkToCstmrStmt, camt.052 BkToCstmrAcctRpt, camt.054 BkToCstmrDbtCdtNtfctn, OFX 2); OFX 1 by its header; MT940 by
 * its field tags (:20:, :25:, :60F:, :61: … at the start of lines) or SWIFT blocks; other text with a separator on its lines is
 * CSV. Only the first 64 KiB are looked at.
 */
export function detectFormat(bytes: Buffer): StatementFormat {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'xlsx';
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf) return 'xlsx'; // Excel 97–2003: the XLSX reader says what to do
  const head = decode(bytes.subarray(0, 64 * 1024)).text.replace(/^\ufeff/, '');
  const start = head.trimStart();
  if (/<OFX>|^OFXHEADER\s*:|<\?OFX\b/i.test(head.slice(0, 4096))) return 'ofx';
  if (start.startsWith('<')) {
    if (/<(\w+:)?BkToCstmrDbtCdtNtfctn(V01)?\b/.test(head)) return 'camt054';
    if (/<(\w+:)?BkToCstmrAcctRpt(V01)?\b/.test(head)) return 'camt052';
    if (/<(\w+:)?BkToCstmrStmt(V01)?\b/.test(head)) return 'camt053';
    throw fail('', 'this XML file is neither a camt.052/053/054 statement nor OFX; give format= if it is one', 'query.format');
  }
  if (/^\{1:F0/.test(start) || /^:\d{2}[A-Z]?:/.test(start) || (head.match(/^:(20|25|28C|60[FM]|61|62[FM]|86):/gm)?.length ?? 0) >= 2) return 'mt940';
  const firstLines = head.split(/\r\n|\n|\r/).filter((l) => l.trim()).slice(0, 20);
  if (firstLines.some((l) => /[,;\t|]/.test(l))) return 'csv';
  throw fail('', `the format of the file cannot be told from its content; give format= (one of ${FORMATS.join(', ')})`, 'query.format');
}

/** Reads a statement file; without `format` it is detected from the content (detectFormat). */
export async function parseStatement(bytes: Buffer, format: string | undefined, options: ParseOptions = {}): Promise<ParseResult> {
  if (bytes.length === 0) throw fail('', 'the file is empty');
  if (bytes.length > MAX_FILE_BYTES) throw fail('', `the file has ${bytes.length} bytes; at most ${MAX_FILE_BYTES} are read`);
  const f = (format ?? detectFormat(bytes)) as StatementFormat;
  if (!(FORMATS as readonly string[]).includes(f)) throw fail('', `format '${f}' is not read; use one of ${FORMATS.join(', ')}`, 'format');
  if (f === 'xlsx') return { format: f, statements: await parseXlsx(bytes, options), warnings: [] };
  // CSV presets are for Vietnamese banks, whose older exports are Windows-1258.
  const { text, encoding, warnings } = decode(bytes, { encoding: options.encoding, fallback: f === 'csv' ? 'windows-1258' : 'windows-1252' });
  // No statement holds a NUL, and PostgreSQL could not store one: refused, naming its line.
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    const line = (text.slice(0, nul).match(/\r\n|\n|\r/g)?.length ?? 0) + 1;
    throw fail(`line ${line}`, `the file holds a NUL character (U+0000), which no ${f} statement has; is it the right file and encoding?`);
  }
  let statements: ParsedStatement[];
  switch (f) {
    case 'mt940': statements = parseMt940(text); break;
    case 'camt052':
    case 'camt053':
    case 'camt054': statements = parseCamt(text); break;
    case 'ofx': statements = parseOfx(text, warnings, options.currency); break;
    default: statements = parseCsv(text, options);
  }
  return { format: f, encoding, statements, warnings };
}

export interface BalanceCheck {
  /** Opening balance + Σ lines: what the closing balance should be (null without an opening). */
  expected: bigint | null;
  /** The closing balance the file states (null without one). */
  actual: bigint | null;
  /** actual − expected; 0n when the statement adds up, null when it cannot be told. */
  difference: bigint | null;
}

export function balanceCheck(s: ParsedStatement): BalanceCheck {
  const expected = s.opening ? s.lines.reduce((a, l) => a + l.amount, s.opening.amount) : null;
  const actual = s.closing ? s.closing.amount : null;
  return { expected, actual, difference: expected !== null && actual !== null ? actual - expected : null };
}
