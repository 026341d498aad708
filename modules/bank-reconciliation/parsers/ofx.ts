/**
 * OFX bank and credit-card statements: 1.x (SGML, leaf elements usually unclosed, `KEY:VALUE`
 * header lines) and 2.x (XML), read by one tolerant tokenizer. Each STMTRS / CCSTMTRS is a
 * statement (a file may hold several accounts). An investment statement (INVSTMTRS) is read for
 * its bank transactions only (INVBANKTRAN: interest, fees, transfers of its cash account); its
 * balances value the whole portfolio, so it has none here (warned).
 *
 * Banks' gaps read with a warning: an empty CURDEF takes the account's currency when the caller
 * knows it (the import does: the bank account's); an empty LEDGERBAL amount or date leaves the
 * statement without balances.
 *
 * OFX gives only the closing (ledger) balance, LEDGERBAL. The opening balance is computed as
 * closing − Σ lines and marked `computed`; its date is DTSTART (else the closing date). A
 * transaction that cannot be read (amount like "$120", impossible date) is discarded with a
 * warning, as other OFX readers do — the computed opening then hides it from the balance check,
 * so an import refuses such a file unless forced (statements.ts). Amounts may use a decimal comma ("-1,5"), as the OFX
 * specification allows; thousands separators are refused.
 */
import { calendarDate, checkCurrency, checkLineCount, dropControls, fail, minorUnits, optional, quoted } from './common.js';
import type { ParsedLine, ParsedStatement } from './types.js';

interface OfxNode { name: string; text?: string; children: OfxNode[]; line: number }

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decodeText = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, n: string) => ENTITIES[n]);

// Elements that hold a value: an empty one (`<CURDEF>` then a tag) must not swallow what follows.
const LEAVES = new Set(['CODE', 'SEVERITY', 'MESSAGE', 'DTSERVER', 'LANGUAGE', 'DTPROFUP', 'ORG', 'FID', 'TRNUID', 'CURDEF',
  'BANKID', 'BRANCHID', 'ACCTID', 'ACCTTYPE', 'ACCTKEY', 'DTSTART', 'DTEND', 'TRNTYPE', 'DTPOSTED', 'DTUSER', 'DTAVAIL',
  'TRNAMT', 'FITID', 'CORRECTFITID', 'CORRECTACTION', 'SRVRTID', 'CHECKNUM', 'REFNUM', 'SIC', 'PAYEEID', 'NAME', 'MEMO',
  'BALAMT', 'DTASOF', 'CURRATE', 'CURSYM', 'INV401KSOURCE']);

/** Nesting deeper than any OFX message has (a transaction's NAME sits 8 levels down) is refused. */
export const MAX_OFX_DEPTH = 64;
/**
 * Elements a file may hold. A real file has about ten per transaction, so this is far above what
 * fits in MAX_FILE_BYTES of real statements, and it bounds the tree built in memory.
 */
export const MAX_OFX_ELEMENTS = 1_000_000;

const NAME = /[A-Za-z0-9_.]+/y;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/**
 * The element tree; an open tag followed by text is a leaf whether or not it is closed. One pass
 * over the text with `indexOf` (no pattern that could rescan the rest of the file at each `<`),
 * nesting and element count bounded, line numbers counted as it goes.
 */
export function ofxTree(text: string): OfxNode {
  const start = text.search(/<OFX>/i);
  if (start < 0) throw fail('', 'no <OFX> element: is this an OFX file?');
  const n = text.length;
  let line = 1;
  let counted = 0;
  /** The line of position `to` (positions only move forward, so each character is counted once). */
  const lineAt = (to: number): number => {
    for (let k = counted; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === 10 || (c === 13 && text.charCodeAt(k + 1) !== 10)) line++;
    }
    counted = Math.max(counted, to);
    return line;
  };
  const root: OfxNode = { name: '#root', children: [], line: 1 };
  const stack: OfxNode[] = [root];
  let pendingLeaf: OfxNode | null = null;
  let elements = 0;
  let i = start;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt) || text.startsWith('<?', lt)) {
      const comment = text[lt + 1] === '!';
      const end = text.indexOf(comment ? '-->' : '?>', lt + 2);
      if (end < 0) throw fail(`line ${lineAt(lt)}`, `a ${comment ? 'comment' : 'processing instruction'} opened here is never closed`);
      i = end + (comment ? 3 : 2);
      continue;
    }
    const closing = text.charCodeAt(lt + 1) === 47; // '/'
    NAME.lastIndex = lt + (closing ? 2 : 1);
    const nm = NAME.exec(text);
    if (!nm) {
      i = lt + 1;
      continue;
    }
    const gt = text.indexOf('>', NAME.lastIndex);
    if (gt < 0) break; // no tag can end after this: the rest is text
    const name = nm[0].toUpperCase();
    const tagLine = lineAt(lt);
    i = gt + 1;
    if (closing) {
      if (pendingLeaf && pendingLeaf.name === name) {
        // <LANGUAGE></LANGUAGE>: an empty leaf.
        pendingLeaf.text = '';
        stack.pop();
        pendingLeaf = null;
        continue;
      }
      pendingLeaf = null;
      // Closes what SGML left open inside it; a close of nothing open is ignored.
      for (let k = stack.length - 1; k > 0; k--) {
        if (stack[k].name === name) {
          stack.length = k;
          break;
        }
      }
      continue;
    }
    pendingLeaf = null;
    if (++elements > MAX_OFX_ELEMENTS) throw fail(`line ${tagLine}`, `the file has more than ${MAX_OFX_ELEMENTS} elements`);
    const node: OfxNode = { name, children: [], line: tagLine };
    stack[stack.length - 1].children.push(node);
    const next = text.indexOf('<', i);
    const after = text.slice(i, next < 0 ? n : next);
    if (after.trim() !== '' || LEAVES.has(name)) {
      node.text = decodeText(dropControls(after)).trim();
      i += after.length;
      // Skip an explicit close of this leaf, if any.
      if (text.startsWith('</', i)) {
        NAME.lastIndex = i + 2;
        const close = NAME.exec(text);
        let j = NAME.lastIndex;
        if (close && close[0].toUpperCase() === name) {
          if (isSpace(text.charCodeAt(j))) j++;
          if (text[j] === '>') i = j + 1;
        }
      }
    } else {
      if (stack.length > MAX_OFX_DEPTH) throw fail(`line ${tagLine}`, `elements are nested more than ${MAX_OFX_DEPTH} levels deep`);
      stack.push(node);
      pendingLeaf = node;
    }
  }
  return root;
}

const child = (n: OfxNode | undefined, ...path: string[]): OfxNode | undefined => {
  let cur = n;
  for (const p of path) {
    cur = cur?.children.find((c) => c.name === p);
    if (!cur) return undefined;
  }
  return cur;
};
const textOf = (n: OfxNode | undefined, ...path: string[]): string | undefined => optional(child(n, ...path)?.text);

/** The outermost elements of those names below `n`, in document order (iteratively: no recursion on input). */
function findAll(n: OfxNode, names: Set<string>): OfxNode[] {
  const out: OfxNode[] = [];
  const stack = [...n.children].reverse();
  for (let c = stack.pop(); c; c = stack.pop()) {
    if (names.has(c.name)) out.push(c);
    else for (let k = c.children.length - 1; k >= 0; k--) stack.push(c.children[k]);
  }
  return out;
}

/** OFX amount: optional sign, digits, '.' or ',' as decimal point; nothing else. */
function ofxAmount(text: string | undefined, currency: string, where: string, what: string): bigint {
  if (text === undefined) throw fail(where, `${what} is missing`);
  const m = /^([+-]?)(\d*)(?:[.,](\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw fail(where, `${what} ${quoted(text)} is not an amount`);
  return minorUnits(m[1] === '-', m[2], m[3] ?? '', currency, where, text);
}

/** YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]: the calendar date as the bank wrote it. */
function ofxDate(text: string | undefined, where: string, what: string): string {
  if (text === undefined) throw fail(where, `${what} is missing`);
  const m = /^(\d{4})(\d{2})(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,3})?)?)?)?\s*(?:\[[^\]]*\])?$/.exec(text.trim());
  if (!m) throw fail(where, `${what} ${quoted(text)} is not a date (YYYYMMDD…)`);
  return calendarDate(+m[1], +m[2], +m[3], where, text);
}

function transaction(t: OfxNode, currency: string): ParsedLine {
  const where = `line ${t.line}`;
  const amount = ofxAmount(textOf(t, 'TRNAMT'), currency, where, 'TRNAMT');
  const date = ofxDate(textOf(t, 'DTPOSTED'), where, 'DTPOSTED');
  const avail = textOf(t, 'DTAVAIL');
  const fitid = textOf(t, 'FITID');
  const name = textOf(t, 'PAYEE', 'NAME') ?? textOf(t, 'NAME');
  const memo = textOf(t, 'MEMO');
  const reference = textOf(t, 'CHECKNUM') ?? textOf(t, 'REFNUM') ?? fitid;
  const account = textOf(t, 'BANKACCTTO', 'ACCTID') ?? textOf(t, 'CCACCTTO', 'ACCTID');
  const description = memo && name && !memo.includes(name) ? `${name} ${memo}` : (memo ?? name ?? textOf(t, 'TRNTYPE') ?? '');
  return {
    date,
    ...(avail ? { valueDate: ofxDate(avail, where, 'DTAVAIL') } : {}),
    amount,
    description,
    ...(reference ? { reference } : {}),
    ...(name ? { counterparty: name } : {}),
    ...(account ? { counterpartyAccount: account } : {}),
    ...(fitid ? { bankTransactionId: fitid } : {}),
  };
}

const ACCOUNT_FROM: Record<string, string> = { STMTRS: 'BANKACCTFROM', CCSTMTRS: 'CCACCTFROM', INVSTMTRS: 'INVACCTFROM' };

function statement(s: OfxNode, count: { lines: number }, knownCurrency: string | undefined): ParsedStatement {
  const warnings: string[] = [];
  const where = `line ${s.line}`;
  const curdef = textOf(s, 'CURDEF');
  let currency: string;
  if (curdef) currency = checkCurrency(curdef.toUpperCase(), `line ${child(s, 'CURDEF')!.line}`);
  else if (knownCurrency) {
    currency = checkCurrency(knownCurrency, 'currency');
    warnings.push(`${where}: ${s.name} has ${child(s, 'CURDEF') ? 'an empty' : 'no'} CURDEF; read in ${currency}, the account's currency`);
  } else throw fail(where, `${s.name} has no CURDEF currency; give the account's currency (currency=) to read it`);
  const invest = s.name === 'INVSTMTRS';
  const account = textOf(s, ACCOUNT_FROM[s.name], 'ACCTID');
  if (!account) throw fail(where, `${s.name} has no ${ACCOUNT_FROM[s.name]}/ACCTID account`);
  const list = child(s, invest ? 'INVTRANLIST' : 'BANKTRANLIST');
  const transactions = invest
    ? (list?.children.filter((c) => c.name === 'INVBANKTRAN').flatMap((b) => b.children.filter((c) => c.name === 'STMTTRN')) ?? [])
    : (list?.children.filter((c) => c.name === 'STMTTRN') ?? []);
  const lines: ParsedLine[] = [];
  const discarded: string[] = [];
  for (const t of transactions) {
    checkLineCount(++count.lines, `line ${t.line}`);
    try {
      lines.push(transaction(t, currency));
    } catch (err) {
      const detail = (err as { detail?: string }).detail ?? String(err);
      const reason = `line ${t.line}: ${detail.replace(/^line \d+: /, '')}`;
      discarded.push(reason);
      warnings.push(`line ${t.line}: transaction discarded: ${detail.replace(/^line \d+: /, '')}`);
    }
  }
  const ledger = child(s, 'LEDGERBAL');
  const result: ParsedStatement = { account, currency, lines, warnings, ...(discarded.length ? { discarded } : {}) };
  if (invest) {
    warnings.push(`${where}: an investment statement: only its bank transactions (INVBANKTRAN) are read, and its balances value the whole portfolio, so the statement has none`);
    return result;
  }
  if (!ledger) {
    warnings.push(`${where}: no LEDGERBAL: the statement has no balances`);
    return result;
  }
  const empty = ['BALAMT', 'DTASOF'].filter((n) => textOf(ledger, n) === undefined);
  if (empty.length > 0) {
    warnings.push(`line ${ledger.line}: LEDGERBAL has no ${empty.join(' and no ')}: the statement has no balances`);
    return result;
  }
  const lw = `line ${ledger.line}`;
  const closingAmount = ofxAmount(textOf(ledger, 'BALAMT'), currency, lw, 'LEDGERBAL/BALAMT');
  const closingDate = ofxDate(textOf(ledger, 'DTASOF'), lw, 'LEDGERBAL/DTASOF');
  const start = textOf(list, 'DTSTART');
  const openingDate = start ? ofxDate(start, `line ${child(list, 'DTSTART')!.line}`, 'DTSTART') : closingDate;
  const moved = lines.reduce((a, l) => a + l.amount, 0n);
  result.closing = { date: closingDate, amount: closingAmount };
  result.opening = { date: openingDate, amount: closingAmount - moved, computed: true };
  warnings.push(`${lw}: OFX gives only the closing balance (LEDGERBAL); the opening balance is computed as closing − the lines read`);
  return result;
}

/** `currency`: the account's, for a statement whose CURDEF is empty. */
export function parseOfx(text: string, fileWarnings: string[], currency?: string): ParsedStatement[] {
  const root = ofxTree(text);
  for (const st of findAll(root, new Set(['STATUS']))) {
    const code = textOf(st, 'CODE');
    if (code && code !== '0') fileWarnings.push(`line ${st.line}: the bank reports status ${code}${textOf(st, 'MESSAGE') ? ` (${textOf(st, 'MESSAGE')})` : ''}`);
  }
  const found = findAll(root, new Set(['STMTRS', 'CCSTMTRS', 'INVSTMTRS']))
    // An investment statement without bank transactions has nothing to reconcile.
    .filter((s) => s.name !== 'INVSTMTRS' || child(s, 'INVTRANLIST')?.children.some((c) => c.name === 'INVBANKTRAN'));
  if (found.length === 0) fileWarnings.push('the OFX file holds no bank or credit-card statement (STMTRS, CCSTMTRS) and no bank transactions of an investment account (INVBANKTRAN)');
  const count = { lines: 0 };
  return found.map((s) => statement(s, count, currency));
}
