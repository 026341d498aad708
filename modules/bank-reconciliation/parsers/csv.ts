/**
 * Bank statement exports as CSV or XLSX, read through a column mapping (a preset, the user's
 * saved mapping, or both — the user's fields win). One file is one statement.
 *
 * - The header row is the first of the first 30 rows naming the date and description columns
 *   (or the row after `skipRows`). Rows without a date (titles, totals) are left out.
 * - Account and currency come from the options, else from a "Số tài khoản: …" / "Loại tiền: …"
 *   line above the header; the account is kept as text (leading zeros).
 * - Debit and credit columns hold amounts without a sign, the column giving the direction. A
 *   negative amount in one ("-1" as money in) contradicts its column: it is an error on its line,
 *   never flipped (no bank is known to write them so; a signed amount column is the other layout).
 * - A date that does not exist (30/02/2026) is an error on its line, never moved to another day.
 * - Rows newest first are put in date order. With a balance column, opening = first balance −
 *   first movement and closing = last balance, and every running balance is checked. Without one,
 *   the opening and/or closing balance must be given; a missing one is computed (warned).
 */
import { currencyExponent, formatAmount, isCurrency, MoneyError, parseAmount } from '../../../core/money.js';
import { isIsoDate } from '../../../core/dates.js';
import { calendarDate, fail, fullYear, minorUnits, optional, quoted } from './common.js';
import { PRESETS, isPresetName, type ColumnRef, type CsvMapping } from './csv-presets.js';
import { csvRows, detectDelimiter, xlsxRows, type SheetCell, type SheetRow } from './sheet.js';
import type { Balance, ParsedLine, ParsedStatement } from './types.js';

/** A balance the file lacks, given with it: without a date, the opening is on the first line's date, the closing on the last's. */
export interface GivenBalance { date?: string; amount: string }

export interface CsvOptions {
  /** A name from PRESETS; 'vn-generic' when neither preset nor mapping is given. */
  preset?: string;
  mapping?: Partial<CsvMapping>;
  account?: string;
  currency?: string;
  number?: string;
  /** Decimal strings in major units, as the API writes amounts. */
  opening?: GivenBalance;
  closing?: GivenBalance;
}

type Key = 'date' | 'description' | 'valueDate' | 'amount' | 'debit' | 'credit' | 'balance' | 'reference' | 'counterparty' | 'counterpartyAccount';
const KEYS: Key[] = ['date', 'description', 'valueDate', 'amount', 'debit', 'credit', 'balance', 'reference', 'counterparty', 'counterpartyAccount'];

/** Case, diacritics (đ → d) and punctuation insensitive: "Số tiền ghi nợ" → "so tien ghi no". */
export function fold(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Longer cells are not column names or labels, and are not folded. */
const MAX_HEADER_LENGTH = 200;
/**
 * Cells of a row looked at for column names and labels: a mapping's column number is below this
 * too. A row of a million cells then costs its header search no more than a real header row.
 */
const MAX_HEADER_COLUMNS = 1000;

/**
 * The column a header row gives each folded name: a cell answers to its whole text and to each
 * part of a bilingual header ("Số dư/Balance"); the first cell wins. Built once per row, so
 * matching a row against every accepted name costs one pass over its cells.
 */
function headerIndex(cells: SheetCell[]): Map<string, number> {
  const index = new Map<string, number>();
  cells.slice(0, MAX_HEADER_COLUMNS).forEach((c, at) => {
    if (c.text === '' || c.text.length > MAX_HEADER_LENGTH) return;
    const parts = /[/\n\r()|]/.test(c.text) ? [c.text, ...c.text.split(/[/\n\r()|]+/)] : [c.text];
    for (const key of parts.map(fold)) if (key !== '' && !index.has(key)) index.set(key, at);
  });
  return index;
}

const headerIndexes = new WeakMap<SheetCell[], Map<string, number>>();

function findColumn(ref: ColumnRef | undefined, header: SheetCell[]): number | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'number') return ref;
  let index = headerIndexes.get(header);
  if (!index) headerIndexes.set(header, (index = headerIndex(header)));
  for (const name of Array.isArray(ref) ? ref : [ref]) {
    const at = index.get(fold(name));
    if (at !== undefined) return at;
  }
  return undefined;
}

const describeRef = (ref: ColumnRef): string => (typeof ref === 'number' ? `column ${ref + 1}` : (Array.isArray(ref) ? ref.slice(0, 3) : [ref]).map((r) => `'${r}'`).join(' or '));

function resolveMapping(options: CsvOptions): { mapping: CsvMapping; presetCurrency?: string } {
  const presetName = options.preset ?? (options.mapping ? undefined : 'vn-generic');
  if (presetName !== undefined && !isPresetName(presetName)) {
    throw fail('', `preset ${quoted(presetName)} is not known; presets: ${Object.keys(PRESETS).join(', ')}`, 'preset');
  }
  const preset = presetName ? PRESETS[presetName] : undefined;
  const mapping = { dateFormat: 'DD/MM/YYYY', decimalSeparator: '.', thousandsSeparator: '', ...preset?.mapping, ...options.mapping } as CsvMapping;
  const bad = (key: string, why: string) => fail('', why, `mapping.${key}`);
  if (mapping.date === undefined) throw bad('date', 'the mapping needs a date column');
  if (mapping.description === undefined) throw bad('description', 'the mapping needs a description column');
  if (mapping.amount === undefined && mapping.debit === undefined && mapping.credit === undefined) {
    throw bad('amount', 'the mapping needs an amount column, or debit and credit columns');
  }
  for (const k of KEYS) {
    const r = mapping[k];
    if (r === undefined) continue;
    const ok = typeof r === 'number' ? Number.isInteger(r) && r >= 0 && r < 1000
      : typeof r === 'string' ? r.trim() !== '' : Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'string');
    if (!ok) throw bad(k, `mapping.${k} must be a header name, a list of header names or a 0-based column number`);
  }
  if (mapping.decimalSeparator !== '.' && mapping.decimalSeparator !== ',') throw bad('decimalSeparator', "decimalSeparator must be '.' or ','");
  if (!['', '.', ',', ' ', "'", 'auto'].includes(mapping.thousandsSeparator)) throw bad('thousandsSeparator', "thousandsSeparator must be '', '.', ',', ' ', \"'\" or 'auto'");
  if (mapping.thousandsSeparator === mapping.decimalSeparator) throw bad('thousandsSeparator', 'the thousands and decimal separators must differ');
  if (mapping.delimiter !== undefined && ![',', ';', '\t', '|'].includes(mapping.delimiter)) throw bad('delimiter', "delimiter must be ',', ';', tab or '|'");
  if (mapping.skipRows !== undefined && !(Number.isInteger(mapping.skipRows) && mapping.skipRows >= 0 && mapping.skipRows < 1000)) throw bad('skipRows', 'skipRows must be a whole number of rows');
  dateOrder(mapping.dateFormat);
  return { mapping, presetCurrency: preset?.currency };
}

/** 'DD/MM/YYYY' → ['D','M','Y'] and whether the year has two digits. */
function dateOrder(format: string): { order: string[]; shortYear: boolean; compact: boolean } {
  const f = typeof format === 'string' ? format.toUpperCase() : '';
  const tokens = f.match(/D+|M+|Y+/g) ?? [];
  const order = tokens.map((t) => t[0]);
  if (order.length !== 3 || new Set(order).size !== 3) throw fail('', `dateFormat '${format}' must name day, month and year, e.g. DD/MM/YYYY`, 'mapping.dateFormat');
  return { order, shortYear: tokens.find((t) => t[0] === 'Y')!.length === 2, compact: !/[^DMY]/.test(f) };
}

/** Longer than any way of writing a date and time ("2026-01-31T23:59:59.999999+07:00"). */
const MAX_DATE_LENGTH = 64;

function cellDate(cell: SheetCell, format: string, where: string): string {
  if (cell.date) return cell.date;
  const text = cell.text.trim();
  const { order, shortYear, compact } = dateOrder(format);
  const notDate = () => fail(where, `date ${quoted(text)} is not a date in the format ${format}`);
  // Checked first: the patterns below look for a time at the end of the text.
  if (text.length > MAX_DATE_LENGTH) throw notDate();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}.*)?$/.exec(text);
  if (iso) return calendarDate(+iso[1], +iso[2], +iso[3], where, text);
  const body = text.replace(/(?:\s+|T)\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:AM|PM)?$/i, '');
  let parts: string[] | undefined;
  if (compact && /^\d{6,8}$/.test(body)) {
    const widths = order.map((t) => (t === 'Y' ? (shortYear ? 2 : 4) : 2));
    if (widths.reduce((a, b) => a + b, 0) === body.length) {
      let at = 0;
      parts = widths.map((w) => body.slice(at, (at += w)));
    }
  } else {
    const m = /^(\d{1,4})[/.-](\d{1,2}|\d{4})[/.-](\d{1,4})$/.exec(body);
    if (m) parts = [m[1], m[2], m[3]];
  }
  if (!parts) throw notDate();
  const v = (t: string) => parts![order.indexOf(t)];
  const y = v('Y');
  if (y.length !== 4 && !(shortYear && y.length === 2)) throw notDate();
  return calendarDate(y.length === 2 ? fullYear(+y) : +y, +v('M'), +v('D'), where, text);
}

/** Digits grouped by `sep` in threes after a first group of one to three. */
function ungroup(intPart: string, sep: string, where: string, original: string): string {
  if (sep === '' || !intPart.includes(sep)) return intPart;
  const groups = intPart.split(sep);
  if (!/^\d{1,3}$/.test(groups[0]) || groups.slice(1).some((g) => !/^\d{3}$/.test(g))) {
    throw fail(where, `amount ${quoted(original)} has thousands separators in the wrong places`);
  }
  return groups.join('');
}

/** Whole and decimal digits of a text amount under the mapping's separators. */
function splitNumber(body: string, m: CsvMapping, exponent: number, where: string, original: string): [string, string] {
  if (m.thousandsSeparator !== 'auto') {
    const parts = body.split(m.decimalSeparator);
    if (parts.length > 2) throw fail(where, `amount ${quoted(original)} has more than one decimal separator '${m.decimalSeparator}'`);
    const whole = ungroup(parts[0], m.thousandsSeparator, where, original);
    if (!/^\d*$/.test(whole) || !/^\d*$/.test(parts[1] ?? '')) {
      throw fail(where, `amount ${quoted(original)} is not a number with decimal separator '${m.decimalSeparator}'${m.thousandsSeparator ? ` and thousands separator '${m.thousandsSeparator}'` : ' and no thousands separator'}`);
    }
    return [whole, parts[1] ?? ''];
  }
  if (body.includes(' ')) {
    const s = /^([\d ]+)(?:[.,](\d+))?$/.exec(body);
    if (!s) throw fail(where, `amount ${quoted(original)} is not a number`);
    return [ungroup(s[1], ' ', where, original), s[2] ?? ''];
  }
  const dots = body.split('.').length - 1;
  const commas = body.split(',').length - 1;
  if (dots && commas) {
    const decimal = body.lastIndexOf('.') > body.lastIndexOf(',') ? '.' : ',';
    const at = body.lastIndexOf(decimal);
    if (body.slice(0, at).includes(decimal)) throw fail(where, `amount ${quoted(original)} has more than one decimal separator`);
    return [ungroup(body.slice(0, at), decimal === '.' ? ',' : '.', where, original), body.slice(at + 1)];
  }
  if (dots + commas === 0) return [body, ''];
  const sep = dots ? '.' : ',';
  if (dots + commas > 1) return [ungroup(body, sep, where, original), ''];
  const [whole, frac] = body.split(sep);
  const looksGrouped = frac.length === 3 && /^[1-9]\d{0,2}$/.test(whole);
  if (looksGrouped && (exponent === 0 || sep !== m.decimalSeparator)) return [whole + frac, ''];
  return [whole, frac];
}

const marks = new Map<string, RegExp>();
/** Currency codes and signs around an amount ("1.234.567 ₫", "VND 1,000"), one pattern per currency. */
function currencyMarks(currency: string): RegExp {
  let re = marks.get(currency);
  if (!re) {
    const codes = [currency, 'VND', 'VNĐ', '₫', 'đ'].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    re = new RegExp(`^(?:${codes})\\s*|\\s*(?:${codes})$`, 'gi');
    marks.set(currency, re);
  }
  re.lastIndex = 0;
  return re;
}

function cellAmount(cell: SheetCell | undefined, m: CsvMapping, currency: string, where: string): bigint | undefined {
  if (!cell) return undefined;
  if (cell.number !== undefined) {
    const canonical = String(Math.abs(cell.number));
    if (!/^\d+(\.\d+)?$/.test(canonical) || !Number.isSafeInteger(Math.trunc(Math.abs(cell.number)))) {
      throw fail(where, `amount ${cell.text} is not exact as a spreadsheet number (rounding noise or too large); format the column as text`);
    }
    const [whole, frac = ''] = canonical.split('.');
    return minorUnits(cell.number < 0, whole, frac, currency, where, cell.text);
  }
  const original = cell.text;
  let s = original.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
  if (s === '' || s === '-' || s === '–') return undefined;
  s = s.replace(currencyMarks(currency), '').trim();
  let negative = false;
  const paren = /^\((.*)\)$/.exec(s);
  if (paren) { negative = true; s = paren[1].trim(); }
  if (/^[-+]/.test(s)) { negative = negative || s[0] === '-'; s = s.slice(1).trim(); } else if (/-$/.test(s)) { negative = true; s = s.slice(0, -1).trim(); }
  if (!/^[\d.,' ]+$/.test(s) || !/\d/.test(s)) throw fail(where, `amount ${quoted(original)} is not a number`);
  if (m.thousandsSeparator === "'") s = s.replace(/'/g, '');
  const [whole, frac] = splitNumber(s, m, currencyExponent(currency), where, original);
  return minorUnits(negative, whole, frac, currency, where, original);
}

const ACCOUNT_LABELS = ['so tai khoan', 'tai khoan', 'so tk', 'account number', 'account no', 'account'];
const CURRENCY_LABELS = ['loai tien', 'loai tien te', 'tien te', 'don vi tien', 'currency', 'ccy'];

/** The value after "Label:" in a cell, or in the next cell after a "Label" cell. */
function labelled(rows: SheetRow[], labels: string[]): { value: string; cell: SheetCell } | undefined {
  for (const r of rows) {
    for (let i = 0; i < Math.min(r.cells.length, MAX_HEADER_COLUMNS); i++) {
      const text = r.cells[i].text;
      const colon = /^([^:：]+)[:：]\s*(.*)$/.exec(text);
      if (colon && colon[1].length <= MAX_HEADER_LENGTH && labels.includes(fold(colon[1])) && colon[2].trim() !== '') return { value: colon[2].trim(), cell: r.cells[i] };
      if (text.length <= MAX_HEADER_LENGTH && labels.includes(fold(text))) {
        const next = r.cells.slice(i + 1).find((c) => c.text.trim() !== '');
        if (next) return { value: next.text.trim(), cell: next };
      }
    }
  }
  return undefined;
}

/** Problems name the balance as the import's query does: `opening`, `openingDate`, `closing`, `closingDate`. */
function givenBalance(b: GivenBalance | undefined, currency: string, key: 'opening' | 'closing', lineDate: string | undefined): Balance | undefined {
  if (b === undefined) return undefined;
  const date = b.date ?? lineDate;
  if (typeof date !== 'string' || !isIsoDate(date)) throw fail('', `${key}Date must be a date YYYY-MM-DD${b.date === undefined ? ' (the file has no line to take it from)' : ''}`, `${key}Date`);
  try {
    return { date, amount: parseAmount(b.amount, currency, { allowNegative: true, allowZero: true, field: key }) };
  } catch (err) {
    if (err instanceof MoneyError) throw fail('', err.message, key);
    throw err;
  }
}

interface Row { line: ParsedLine; balance?: bigint; where: string }

/** Index of the first row whose running balance does not follow from the one before. */
function firstBreak(rows: Row[]): number {
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1].balance, rows[i].balance];
    if (a !== undefined && b !== undefined && a + rows[i].line.amount !== b) return i;
  }
  return -1;
}
const breaks = (rows: Row[]) => rows.reduce((n, r, i) => (i > 0 && r.balance !== undefined && rows[i - 1].balance !== undefined && rows[i - 1].balance! + r.line.amount !== r.balance ? n + 1 : n), 0);

export function statementFromRows(all: SheetRow[], unit: 'line' | 'row', options: CsvOptions): ParsedStatement {
  const { mapping, presetCurrency } = resolveMapping(options);
  const warnings: string[] = [];
  const rows = all.filter((r) => r.cells.some((c) => c.text !== ''));
  const names = (k: Key) => mapping[k];
  let headerAt: number;
  if (mapping.skipRows !== undefined) {
    headerAt = rows.findIndex((r) => r.at > mapping.skipRows!);
  } else {
    headerAt = rows.slice(0, 30).findIndex((r) => findColumn(names('date'), r.cells) !== undefined && findColumn(names('description'), r.cells) !== undefined);
  }
  if (headerAt < 0) {
    throw fail('', `no header row found${mapping.skipRows === undefined ? ' in the first 30 rows' : ''}: expected a date column (${describeRef(mapping.date)}) and a description column (${describeRef(mapping.description)})`, 'mapping');
  }
  const header = rows[headerAt];
  const column = new Map<Key, number>();
  for (const k of KEYS) {
    const at = findColumn(names(k), header.cells);
    if (at !== undefined) column.set(k, at);
    else if (options.mapping?.[k] !== undefined || k === 'date' || k === 'description') {
      throw fail(`${unit} ${header.at}`, `the header row has no ${k} column (${describeRef(names(k)!)})`, `mapping.${k}`);
    }
  }
  if (!column.has('amount') && !column.has('debit') && !column.has('credit')) {
    throw fail(`${unit} ${header.at}`, 'the header row has neither an amount column nor debit/credit columns', 'mapping.amount');
  }
  const above = rows.slice(0, headerAt);
  const foundCurrency = labelled(above, CURRENCY_LABELS)?.value.toUpperCase().match(/\b[A-Z]{3}\b/)?.[0];
  const currency = options.currency ?? (foundCurrency && isCurrency(foundCurrency) ? foundCurrency : undefined) ?? presetCurrency;
  if (!currency || !isCurrency(currency)) throw fail('', currency ? `currency ${quoted(currency)} is not an ISO 4217 code` : 'the file does not say its currency; give it', 'currency');
  let account = optional(options.account);
  if (!account) {
    const found = labelled(above, ACCOUNT_LABELS);
    const digits = found?.value.match(/\d[\d .-]*\d|\d/)?.[0].replace(/[ .-]/g, '');
    if (!found || !digits) throw fail('', 'the file does not name its account (no "Số tài khoản: …" line above the table); give the account number (journal=… when importing)', 'account');
    if (found.cell.number !== undefined) warnings.push('the account number is a spreadsheet number, which drops leading zeros; give the account if it has any');
    account = digits;
  }

  const cell = (r: SheetRow, k: Key): SheetCell | undefined => {
    const at = column.get(k);
    const c = at === undefined ? undefined : r.cells[at];
    return c && c.text !== '' ? c : undefined;
  };
  /** A debit or credit amount: its column gives the direction, so a negative one is refused. */
  const unsigned = (r: SheetRow, k: 'debit' | 'credit', where: string): bigint | undefined => {
    const c = cell(r, k);
    const v = cellAmount(c, mapping, currency, where);
    if (v !== undefined && v < 0n) {
      const what = k === 'debit' ? 'money-out (debit)' : 'money-in (credit)';
      throw fail(where, `amount ${quoted(c!.text)} in the ${what} column ${quoted(header.cells[column.get(k)!]?.text ?? '')} is negative: the column gives the direction, so its amounts carry no sign`);
    }
    return v;
  };
  const parsed: Row[] = [];
  for (const r of rows.slice(headerAt + 1)) {
    const where = `${unit} ${r.at}`;
    const dateCell = cell(r, 'date');
    const amountCells = (['amount', 'debit', 'credit'] as Key[]).map((k) => cell(r, k)).filter((c) => c !== undefined);
    if (!dateCell || (!dateCell.date && !/\d/.test(dateCell.text))) {
      if (amountCells.length) warnings.push(`${where}: no date; left out (a total or a balance row?)`);
      continue;
    }
    const date = cellDate(dateCell, mapping.dateFormat, where);
    let amount: bigint | undefined;
    if (column.has('amount')) amount = cellAmount(cell(r, 'amount'), mapping, currency, where);
    else {
      const debit = unsigned(r, 'debit', where);
      const credit = unsigned(r, 'credit', where);
      if (debit !== undefined || credit !== undefined) amount = (credit ?? 0n) - (debit ?? 0n);
    }
    if (amount === undefined) {
      warnings.push(`${where}: no amount; left out`);
      continue;
    }
    const valueCell = cell(r, 'valueDate');
    const text = (k: Key) => optional(cell(r, k)?.text);
    const reference = text('reference');
    const counterparty = text('counterparty');
    const counterpartyAccount = text('counterpartyAccount');
    parsed.push({
      where,
      balance: cellAmount(cell(r, 'balance'), mapping, currency, where),
      line: {
        date,
        ...(valueCell ? { valueDate: cellDate(valueCell, mapping.dateFormat, where) } : {}),
        amount,
        description: text('description') ?? '',
        ...(reference ? { reference, bankTransactionId: reference } : {}),
        ...(counterparty ? { counterparty } : {}),
        ...(counterpartyAccount ? { counterpartyAccount } : {}),
      },
    });
  }
  if (parsed.length > 1) {
    // Newest first? The running balance tells when there is one, else the dates.
    const reversed = [...parsed].reverse();
    const [fwd, back] = [breaks(parsed), breaks(reversed)];
    const datesDescend = parsed[0].line.date > parsed[parsed.length - 1].line.date;
    if (back < fwd || (back === fwd && datesDescend)) parsed.reverse();
  }
  const lines = parsed.map((p) => p.line);
  const moved = lines.reduce((a, l) => a + l.amount, 0n);
  const first = parsed[0];
  const last = parsed[parsed.length - 1];
  let opening = givenBalance(options.opening, currency, 'opening', first?.line.date);
  let closing = givenBalance(options.closing, currency, 'closing', last?.line.date);
  if (!opening && !closing && column.has('balance') && first?.balance !== undefined && last?.balance !== undefined) {
    opening = { date: first.line.date, amount: first.balance - first.line.amount };
    closing = { date: last.line.date, amount: last.balance };
    const broken = firstBreak(parsed);
    if (broken > 0) {
      const p = parsed[broken];
      const expected = parsed[broken - 1].balance! + p.line.amount;
      warnings.push(`${p.where}: the balance ${formatAmount(p.balance!, currency)} does not follow from the previous balance and this line's amount (${formatAmount(expected, currency)} expected)`);
    }
  }
  if (!opening && !closing) {
    throw fail('', 'the file has no balance column: give the opening or the closing balance', 'opening');
  }
  if (!closing) {
    closing = { date: last?.line.date ?? opening!.date, amount: opening!.amount + moved, computed: true };
    warnings.push('the closing balance is computed as opening + the lines read');
  }
  if (!opening) {
    opening = { date: first?.line.date ?? closing.date, amount: closing.amount - moved, computed: true };
    warnings.push('the opening balance is computed as closing − the lines read');
  }
  return { account, currency, ...(options.number ? { number: options.number } : {}), opening, closing, lines, warnings };
}

export function parseCsv(text: string, options: CsvOptions): ParsedStatement[] {
  const delimiter = options.mapping?.delimiter ?? detectDelimiter(text);
  return [statementFromRows(csvRows(text, delimiter), 'line', options)];
}

export async function parseXlsx(bytes: Uint8Array, options: CsvOptions): Promise<ParsedStatement[]> {
  return [statementFromRows(await xlsxRows(bytes), 'row', options)];
}
