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

export const FORMATS: readonly StatementFormat[] = ['mt940', 'camt053', 'camt054', 'ofx', 'csv', 'xlsx'];

/** Statement files larger than this are refused before reading. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

export async function parseStatement(bytes: Buffer, format: string, options: ParseOptions = {}): Promise<ParseResult> {
  if (!(FORMATS as readonly string[]).includes(format)) throw fail('', `format '${format}' is not read; use one of ${FORMATS.join(', ')}`, 'format');
  const f = format as StatementFormat;
  if (bytes.length === 0) throw fail('', 'the file is empty');
  if (bytes.length > MAX_FILE_BYTES) throw fail('', `the file has ${bytes.length} bytes; at most ${MAX_FILE_BYTES} are read`);
  if (f === 'xlsx') return { format: f, statements: await parseXlsx(bytes, options), warnings: [] };
  // CSV presets are for Vietnamese banks, whose older exports are Windows-1258.
  const { text, encoding, warnings } = decode(bytes, { encoding: options.encoding, fallback: f === 'csv' ? 'windows-1258' : 'windows-1252' });
  let statements: ParsedStatement[];
  switch (f) {
    case 'mt940': statements = parseMt940(text); break;
    case 'camt053':
    case 'camt054': statements = parseCamt(text); break;
    case 'ofx': statements = parseOfx(text, warnings); break;
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
