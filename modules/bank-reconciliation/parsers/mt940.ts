/**
 * SWIFT MT940 customer statements, one or many per file. A statement starts at :20: (or after a
 * `-`/`-}` block end, or at a :60F: following a closing balance) and needs :25: account,
 * :60F:/:60M: opening, :62F:/:62M: closing; :61: lines each take the :86: that follows them.
 * :64:, :65:, :NS: and statement-level :86: are not read. Bank header lines before the first
 * field and SWIFT envelopes `{1:…}{2:…}{4:` are skipped.
 *
 * A date that does not exist is refused on its line, with one documented exception: German banks
 * reckon interest on a 30-day February (30/360) and write :61: value dates of 29 or 30 February in
 * years without that day (python mt940 fixes them up for the same reason, `date_fixup_pre_processor`).
 * In a statement of a German account (a DE IBAN, or `bank code/account`) such a value date is read
 * as February's last day, with a warning. Balance and entry (booking) dates get no such leniency.
 */
import { calendarDate, checkCurrency, checkLineCount, daysInMonth, decimalAmount, dropControls, fail, fullYear, isIban, isoOf, optional, quoted } from './common.js';
import { isCurrency } from '../../../core/money.js';
import { joinWrapped, parseInformation } from './mt940-info.js';
import type { Balance, ParsedLine, ParsedStatement } from './types.js';

export interface Mt940Field {
  tag: string;
  /** The value's lines: the rest of the tag's line, then its continuation lines. */
  lines: string[];
  line: number;
  /** A block end (`-`, `-}`) or envelope came between the previous field and this one. */
  afterBlockEnd: boolean;
}

const TAG = /^:(\d{2}[A-Z]?|NS):/;

/** Each line of a text (CRLF, LF or CR ending it) with its 0-based index, in one forward scan. */
function forEachLine(text: string, f: (line: string, index: number) => void): void {
  let start = 0;
  let index = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c !== 10 && c !== 13) continue;
    f(text.slice(start, k), index++);
    if (c === 13 && text.charCodeAt(k + 1) === 10) k++;
    start = k + 1;
  }
  f(text.slice(start), index);
}

/** The file's fields in order, with the line each starts on (1-based). */
export function mt940Fields(text: string): Mt940Field[] {
  const fields: Mt940Field[] = [];
  let current: Mt940Field | null = null;
  let blockEnd = false;
  forEachLine(text, (raw, i) => {
    if (raw === '') return;
    let s = dropControls(raw).trimEnd();
    // SWIFT envelope blocks {1:…}{2:…}{3:{…}} and the opening of block 4.
    const envelope = /^(?:\{[1235]:(?:[^{}]|\{[^{}]*\})*\})*\{4:/.exec(s);
    if (envelope || /^\{[1235]:/.test(s)) {
      current = null;
      blockEnd = true;
      s = envelope ? s.slice(envelope[0].length) : '';
    }
    if (s.trim() === '') return;
    if (s.trim() === '-' || s.trimStart().startsWith('-}')) {
      current = null;
      blockEnd = true;
      return;
    }
    const tag = TAG.exec(s);
    if (tag) {
      current = { tag: tag[1], lines: [s.slice(tag[0].length)], line: i + 1, afterBlockEnd: blockEnd };
      blockEnd = false;
      fields.push(current);
    } else if (current) {
      (current as Mt940Field).lines.push(s);
    }
    // else: a bank header line before the first field ("ABNANL2A", "940"), not part of a statement
  });
  return fields;
}

export interface Mt940Balance { date: string; currency: string; amount: bigint }

/**
 * :60F:, :62F: … — C/D mark, YYMMDD, currency, amount with decimal comma: `C100318EUR380115,12`.
 * With `statement` (the statement's currency and its warnings) a balance that leaves out the
 * currency (`C020315105000,00`, seen in German Sparkasse files) is read in the statement's, and a
 * legacy currency (DEM, FRF …) is read with a warning.
 */
export function parseMt940Balance(field: Mt940Field, statement?: { currency?: string; warnings: string[] }): Mt940Balance {
  const where = `line ${field.line}`;
  const value = field.lines.join('').trim();
  const m = /^([CD])(\d{2})(\d{2})(\d{2})([A-Z]{3})?([\d,].*|)$/.exec(value);
  if (!m || (!m[5] && !statement?.currency)) throw fail(where, `:${field.tag}: balance ${quoted(value)} is not a D/C mark, a date YYMMDD, a currency and an amount (e.g. C100318EUR380115,12)`);
  if (!m[5]) statement!.warnings.push(`${where}: :${field.tag}: balance has no currency; read in ${statement!.currency}, the statement's`);
  const currency = m[5] ? checkCurrency(m[5], where, statement?.warnings) : statement!.currency!;
  const date = calendarDate(fullYear(+m[2]), +m[3], +m[4], where, m[2] + m[3] + m[4]);
  if (/^\s*[+-]/.test(m[6])) throw fail(where, `:${field.tag}: amount ${quoted(m[6])} carries a sign; the D/C mark gives it`);
  const amount = decimalAmount(m[6], ',', currency, where, `:${field.tag}: amount`);
  return { date, currency, amount: m[1] === 'D' ? -amount : amount };
}

export interface Mt940Entry {
  valueDate: string;
  entryDate?: string;
  /** C, D, RC (reversal of a credit: money out), RD (reversal of a debit: money in). */
  mark: 'C' | 'D' | 'RC' | 'RD';
  fundsCode?: string;
  amount: bigint;
  transactionType: string;
  customerReference?: string;
  bankReference?: string;
  supplementary?: string;
}

/** The entry date MMDD in the year that puts it closest to the value date (Dec/Jan roll-over). */
function entryYear(valueDate: string, month: number, day: number): number {
  const vy = +valueDate.slice(0, 4);
  const value = Date.UTC(vy, +valueDate.slice(5, 7) - 1, +valueDate.slice(8, 10));
  let best = vy;
  for (const y of [vy - 1, vy + 1]) {
    if (Math.abs(Date.UTC(y, month - 1, day) - value) < Math.abs(Date.UTC(best, month - 1, day) - value)) best = y;
  }
  return best;
}

/** A German account: a DE IBAN, or a bank code (BLZ) and account number `51210600/9223382012`. */
export const isGermanAccount = (account: string | undefined): boolean =>
  account !== undefined && (/^DE\d{20}$/.test(account) || /^\d{8}\/\d{1,10}$/.test(account));

export interface EntryOptions {
  /** The account is German: a value date of 29/30 February that does not exist is February's last day. */
  thirtyDayFebruary?: boolean;
}

/** :61: — `1003190319CR27,00NTRF100323-03-100323//32-P1-TCS49518` + supplementary details line. */
export function parseMt940Entry(field: Mt940Field, currency: string, warnings: string[], options: EntryOptions = {}): Mt940Entry {
  const where = `line ${field.line}`;
  const first = field.lines[0].trim();
  let rest = first;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  const vd = take(/^(\d{2})(\d{2})(\d{2})/);
  if (!vd) throw fail(where, `:61: ${quoted(first)} does not start with a value date YYMMDD`);
  const [year, month, day] = [fullYear(+vd[1]), +vd[2], +vd[3]];
  let valueDate: string;
  if (options.thirtyDayFebruary && month === 2 && (day === 29 || day === 30) && day > daysInMonth(year, 2)) {
    valueDate = isoOf(year, 2, daysInMonth(year, 2));
    warnings.push(`${where}: value date '${vd[0]}' does not exist; read as ${valueDate} (German banks value interest on a 30-day February)`);
  } else {
    valueDate = calendarDate(year, month, day, where, vd[0]);
  }
  const ed = take(/^(\d{2})(\d{2})(?=[RCD])/);
  if (!ed && take(/^ {1,4}(?=R?[CD])/)) warnings.push(`${where}: :61: entry date left blank; the value date ${valueDate} is taken as the booking date`);
  const mark = take(/^(RC|RD|C|D)/);
  if (!mark) throw fail(where, `:61: ${quoted(first)} has no debit/credit mark (C, D, RC or RD) after the date`);
  const funds = take(/^[A-Z](?=[\d,])/);
  const amountText = take(/^[\d,.]+/);
  if (!amountText) throw fail(where, `:61: ${quoted(first)} has no amount after the ${mark[1]} mark`);
  const amount = decimalAmount(amountText[0], ',', currency, where, ':61: amount');
  const transactionType = readTransactionType(take, where, first, warnings);
  const slashes = rest.indexOf('//');
  const customer = slashes >= 0 ? rest.slice(0, slashes) : rest;
  const bank = slashes >= 0 ? rest.slice(slashes + 2) : '';
  let entryDate: string | undefined;
  if (ed) entryDate = calendarDate(entryYear(valueDate, +ed[1], Math.min(+ed[2], 28)), +ed[1], +ed[2], where, ed[0]);
  const m = mark[1] as Mt940Entry['mark'];
  return {
    valueDate,
    entryDate,
    mark: m,
    fundsCode: funds?.[0],
    amount: m === 'D' || m === 'RC' ? -amount : amount,
    transactionType,
    customerReference: optional(customer),
    bankReference: optional(bank),
    supplementary: optional(joinWrapped(field.lines.slice(1))),
  };
}

/**
 * Subfield 6 of :61:, the transaction type: N, S or F and a three-character code (`NTRF`, `S051`).
 * Banks' deviations are read with a warning rather than refusing the file: blanks after the amount
 * (`50,00 NTRF`), a blank between the letter and the code (`N TRF`), a code padded with blanks
 * (ING's `NOV ` is read as written, Sberbank's `S   ` has no code), or no type at all (the rest
 * of the line is then the reference). Returns the type as read ('' when absent).
 */
function readTransactionType(take: (re: RegExp) => RegExpExecArray | null, where: string, first: string, warnings: string[]): string {
  if (take(/^ +/)) warnings.push(`${where}: :61: blank after the amount in ${quoted(first)} ignored`);
  const type = take(/^[NSF][A-Z0-9]{3}/);
  if (type) return type[0];
  const split = take(/^([NSF]) ([A-Z0-9]{3})/);
  if (split) {
    warnings.push(`${where}: :61: transaction type '${split[0]}' has a blank inside; read as ${split[1]}${split[2]}`);
    return split[1] + split[2];
  }
  const padded = take(/^[NSF][A-Z0-9 ]{3}/);
  if (padded && padded[0].trim().length > 1) return padded[0];
  if (padded) {
    warnings.push(`${where}: :61: transaction type '${padded[0]}' has no code`);
    return padded[0].trim();
  }
  warnings.push(`${where}: :61: ${quoted(first)} has no transaction type (N, S or F and three characters) after the amount; the rest of the line is read as the reference`);
  return '';
}

/** The account of :25:, less a currency suffix (`51210600/9223382012EUR`) unless it is a valid IBAN. */
export function parseMt940Account(field: Mt940Field): { account: string; currency?: string } {
  const where = `line ${field.line}`;
  if (field.lines.length > 1) throw fail(where, `:25: account runs over ${field.lines.length} lines; it is one line`);
  const value = field.lines[0].trim();
  if (value === '') throw fail(where, ':25: account is empty');
  const suffix = /^(.*\d)([A-Z]{3})$/.exec(value);
  if (suffix && isCurrency(suffix[2]) && !isIban(value)) return { account: suffix[1], currency: suffix[2] };
  return { account: value };
}

interface Draft {
  start: number;
  started: boolean;
  account?: string;
  accountLine?: number;
  accountCurrency?: string;
  number?: string;
  currency?: string;
  opening?: Balance;
  closing?: Balance;
  lines: ParsedLine[];
  warnings: string[];
}

const IGNORED = new Set(['21', '13', '13D', '34F', '90D', '90C', '64', '65', 'NS']);

function finish(d: Draft, out: ParsedStatement[]): void {
  if (!d.started) return;
  const what = `statement starting on line ${d.start}`;
  if (d.account === undefined) throw fail(`line ${d.start}`, `the ${what} has no :25: account`);
  if (!d.opening || !d.currency) throw fail(`line ${d.start}`, `the ${what} has no :60F: opening balance`);
  if (!d.closing) {
    // Some banks end a statement with :64:/:65: only: the closing follows from the opening and the lines.
    const amount = d.lines.reduce((a, l) => a + l.amount, d.opening.amount);
    const date = d.lines.reduce((latest, l) => (l.date > latest ? l.date : latest), d.opening.date);
    d.closing = { date, amount, computed: true };
    d.warnings.push(`line ${d.start}: the ${what} has no :62F: closing balance; the closing balance is computed as the opening balance plus its lines`);
  }
  if (d.accountCurrency && d.accountCurrency !== d.currency) {
    d.warnings.push(`line ${d.accountLine}: the account names currency ${d.accountCurrency} but the balances are in ${d.currency}`);
  }
  out.push({ account: d.account, currency: d.currency, ...(d.number ? { number: d.number } : {}), opening: d.opening, closing: d.closing, lines: d.lines, warnings: d.warnings });
}

export function parseMt940(text: string): ParsedStatement[] {
  const fields = mt940Fields(text);
  const statements: ParsedStatement[] = [];
  const fresh = (start: number): Draft => ({ start, started: false, lines: [], warnings: [] });
  let d = fresh(fields[0]?.line ?? 1);
  let previous: string | undefined;
  let lastLineInfo: { line: ParsedLine; entry: Mt940Entry } | undefined;
  let lineCount = 0;
  let endedStart = 0;
  const restart = (f: Mt940Field) => {
    if (d.started) endedStart = d.start;
    finish(d, statements);
    d = fresh(f.line);
    lastLineInfo = undefined;
  };
  for (const f of fields) {
    const where = `line ${f.line}`;
    if (f.afterBlockEnd && d.started) restart(f);
    switch (f.tag) {
      case '20':
        if (d.started) restart(f);
        break;
      case '25': {
        if (d.account !== undefined && d.opening) {
          // Several accounts in one file, each without its own :20:.
          restart(f);
          d.warnings.push(`${where}: a new :25: account without a :20: starts a new statement`);
        } else if (d.account !== undefined) {
          throw fail(where, `a second :25: account in the statement starting on line ${d.start} (its account is on line ${d.accountLine}); each statement starts with :20:`);
        }
        const { account, currency } = parseMt940Account(f);
        d.account = account;
        d.accountLine = f.line;
        d.accountCurrency = currency;
        break;
      }
      case '28':
      case '28C':
        d.number = optional(f.lines.join('')) ?? d.number;
        break;
      case '60F':
      case '60M': {
        if (d.closing) restart(f);
        if (d.opening) throw fail(where, `a second opening balance in the statement starting on line ${d.start}`);
        const b = parseMt940Balance(f, d);
        d.currency = b.currency;
        d.opening = { date: b.date, amount: b.amount };
        break;
      }
      case '61': {
        const ended = statements.at(-1);
        if (!d.started && ended) {
          // After a statement's block end with no new statement begun: kept out, and the import says so.
          const reason = `${where}: a :61: statement line after the end of the statement starting on line ${endedStart}, outside any statement`;
          (ended.discarded ??= []).push(reason);
          ended.warnings.push(`${reason}; left out`);
          lastLineInfo = undefined;
          previous = f.tag;
          continue;
        }
        if (!d.currency) throw fail(where, ':61: statement line comes before the :60F: opening balance');
        if (d.closing) throw fail(where, ':61: statement line comes after the :62F: closing balance');
        checkLineCount(++lineCount, where);
        const entry = parseMt940Entry(f, d.currency, d.warnings, { thirtyDayFebruary: isGermanAccount(d.account) });
        const bankId = entry.bankReference;
        const line: ParsedLine = {
          date: entry.entryDate ?? entry.valueDate,
          valueDate: entry.valueDate,
          amount: entry.amount,
          description: entry.supplementary ?? '',
          ...(entry.customerReference && entry.customerReference !== 'NONREF' ? { reference: entry.customerReference } : bankId ? { reference: bankId } : {}),
          ...(bankId ? { bankTransactionId: bankId } : {}),
        };
        d.lines.push(line);
        lastLineInfo = { line, entry };
        break;
      }
      case '86':
        // Information for the line just read; after a balance it is about the statement.
        if (previous === '61' && lastLineInfo) {
          const info = parseInformation(f.lines);
          const l = lastLineInfo.line;
          if (info.description) l.description = info.description;
          if (info.counterparty) l.counterparty = info.counterparty;
          if (info.counterpartyAccount) l.counterpartyAccount = info.counterpartyAccount;
          if (info.reference) l.reference = info.reference;
        }
        break;
      case '62F':
      case '62M': {
        if (d.closing) throw fail(where, `a second closing balance in the statement starting on line ${d.start}`);
        const b = parseMt940Balance(f, d);
        if (d.currency && b.currency !== d.currency) throw fail(where, `closing balance in ${b.currency} but the opening balance is in ${d.currency}`);
        d.currency ??= b.currency;
        d.closing = { date: b.date, amount: b.amount };
        break;
      }
      default:
        if (!IGNORED.has(f.tag)) d.warnings.push(`${where}: field :${f.tag}: is not read`);
    }
    if (['20', '25', '28', '28C', '60F', '60M', '61', '62F', '62M'].includes(f.tag)) d.started = true;
    previous = f.tag;
  }
  finish(d, statements);
  if (statements.length === 0) {
    throw fail('', fields.length === 0
      ? 'no MT940 field found (lines such as :20:, :25:, :60F:, :61:, :62F:); is this an MT940 file?'
      : 'no MT940 statement found (a statement has :20:, :25:, :60F:, :61: and :62F: fields)');
  }
  return statements;
}
