/**
 * OFX bank and credit-card statements: 1.x (SGML, leaf elements usually unclosed, `KEY:VALUE`
 * header lines) and 2.x (XML), read by one tolerant tokenizer. Each STMTRS / CCSTMTRS is a
 * statement (a file may hold several accounts).
 *
 * OFX gives only the closing (ledger) balance, LEDGERBAL. The opening balance is computed as
 * closing − Σ lines and marked `computed`; its date is DTSTART (else the closing date). A
 * transaction that cannot be read (amount like "$120", impossible date) is discarded with a
 * warning, as other OFX readers do — the computed opening then hides it from the balance check,
 * which is why the warning matters. Amounts may use a decimal comma ("-1,5"), as the OFX
 * specification allows; thousands separators are refused.
 */
import { calendarDate, checkCurrency, dropControls, fail, minorUnits, optional } from './common.js';
import type { ParsedLine, ParsedStatement } from './types.js';

interface OfxNode { name: string; text?: string; children: OfxNode[]; line: number }

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decodeText = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_, n: string) => ENTITIES[n]);

// Elements that hold a value: an empty one (`<CURDEF>` then a tag) must not swallow what follows.
const LEAVES = new Set(['CODE', 'SEVERITY', 'MESSAGE', 'DTSERVER', 'LANGUAGE', 'DTPROFUP', 'ORG', 'FID', 'TRNUID', 'CURDEF',
  'BANKID', 'BRANCHID', 'ACCTID', 'ACCTTYPE', 'ACCTKEY', 'DTSTART', 'DTEND', 'TRNTYPE', 'DTPOSTED', 'DTUSER', 'DTAVAIL',
  'TRNAMT', 'FITID', 'CORRECTFITID', 'CORRECTACTION', 'SRVRTID', 'CHECKNUM', 'REFNUM', 'SIC', 'PAYEEID', 'NAME', 'MEMO',
  'BALAMT', 'DTASOF', 'CURRATE', 'CURSYM', 'INV401KSOURCE']);

/** The element tree; an open tag followed by text is a leaf whether or not it is closed. */
export function ofxTree(text: string): OfxNode {
  const start = text.search(/<OFX>/i);
  if (start < 0) throw fail('', 'no <OFX> element: is this an OFX file?');
  let line = text.slice(0, start).split(/\r\n|\n|\r/).length;
  const root: OfxNode = { name: '#root', children: [], line: 1 };
  const stack: OfxNode[] = [root];
  const re = /<(\/?)([A-Za-z0-9_.]+)[^>]*>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
  re.lastIndex = start;
  let pendingLeaf: OfxNode | null = null;
  let last = start;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const between = text.slice(last, m.index);
    line += (between.match(/\r\n|\n|\r/g) ?? []).length;
    last = re.lastIndex;
    if (!m[2]) continue; // comment or processing instruction
    const name = m[2].toUpperCase();
    const top = stack[stack.length - 1];
    if (m[1]) {
      if (pendingLeaf && pendingLeaf.name === name) {
        // <LANGUAGE></LANGUAGE>: an empty leaf.
        pendingLeaf.text = '';
        stack.pop();
        pendingLeaf = null;
        continue;
      }
      pendingLeaf = null;
      const at = stack.map((n) => n.name).lastIndexOf(name);
      if (at > 0) stack.length = at; // closes what SGML left open inside it
      continue;
    }
    pendingLeaf = null;
    const node: OfxNode = { name, children: [], line };
    top.children.push(node);
    const after = text.slice(re.lastIndex, text.indexOf('<', re.lastIndex) < 0 ? text.length : text.indexOf('<', re.lastIndex));
    if (after.trim() !== '' || LEAVES.has(name)) {
      node.text = decodeText(dropControls(after)).trim();
      // Skip the text and an explicit close of this leaf, if any.
      line += (after.match(/\r\n|\n|\r/g) ?? []).length;
      re.lastIndex += after.length;
      last = re.lastIndex;
      const close = new RegExp(`^</${m[2].replace(/\./g, '\\.')}\\s*>`, 'i').exec(text.slice(re.lastIndex, re.lastIndex + m[2].length + 4));
      if (close) {
        re.lastIndex += close[0].length;
        last = re.lastIndex;
      }
    } else {
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

function findAll(n: OfxNode, names: Set<string>, out: OfxNode[] = []): OfxNode[] {
  for (const c of n.children) {
    if (names.has(c.name)) out.push(c);
    else findAll(c, names, out);
  }
  return out;
}

/** OFX amount: optional sign, digits, '.' or ',' as decimal point; nothing else. */
function ofxAmount(text: string | undefined, currency: string, where: string, what: string): bigint {
  if (text === undefined) throw fail(where, `${what} is missing`);
  const m = /^([+-]?)(\d*)(?:[.,](\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw fail(where, `${what} '${text}' is not an amount`);
  return minorUnits(m[1] === '-', m[2], m[3] ?? '', currency, where, text);
}

/** YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]: the calendar date as the bank wrote it. */
function ofxDate(text: string | undefined, where: string, what: string, warnings: string[]): string {
  if (text === undefined) throw fail(where, `${what} is missing`);
  const m = /^(\d{4})(\d{2})(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,3})?)?)?)?\s*(?:\[[^\]]*\])?$/.exec(text.trim());
  if (!m) throw fail(where, `${what} '${text}' is not a date (YYYYMMDD…)`);
  return calendarDate(+m[1], +m[2], +m[3], where, warnings, text);
}

function transaction(t: OfxNode, currency: string, warnings: string[]): ParsedLine {
  const where = `line ${t.line}`;
  const amount = ofxAmount(textOf(t, 'TRNAMT'), currency, where, 'TRNAMT');
  const date = ofxDate(textOf(t, 'DTPOSTED'), where, 'DTPOSTED', warnings);
  const avail = textOf(t, 'DTAVAIL');
  const fitid = textOf(t, 'FITID');
  const name = textOf(t, 'PAYEE', 'NAME') ?? textOf(t, 'NAME');
  const memo = textOf(t, 'MEMO');
  const reference = textOf(t, 'CHECKNUM') ?? textOf(t, 'REFNUM') ?? fitid;
  const account = textOf(t, 'BANKACCTTO', 'ACCTID') ?? textOf(t, 'CCACCTTO', 'ACCTID');
  const description = memo && name && !memo.includes(name) ? `${name} ${memo}` : (memo ?? name ?? textOf(t, 'TRNTYPE') ?? '');
  return {
    date,
    ...(avail ? { valueDate: ofxDate(avail, where, 'DTAVAIL', warnings) } : {}),
    amount,
    description,
    ...(reference ? { reference } : {}),
    ...(name ? { counterparty: name } : {}),
    ...(account ? { counterpartyAccount: account } : {}),
    ...(fitid ? { bankTransactionId: fitid } : {}),
  };
}

function statement(s: OfxNode): ParsedStatement {
  const warnings: string[] = [];
  const where = `line ${s.line}`;
  const curdef = textOf(s, 'CURDEF');
  if (!curdef) throw fail(where, `${s.name} has no CURDEF currency`);
  const currency = checkCurrency(curdef.toUpperCase(), `line ${child(s, 'CURDEF')!.line}`);
  const account = textOf(s, 'BANKACCTFROM', 'ACCTID') ?? textOf(s, 'CCACCTFROM', 'ACCTID');
  if (!account) throw fail(where, `${s.name} has no ${s.name === 'CCSTMTRS' ? 'CCACCTFROM' : 'BANKACCTFROM'}/ACCTID account`);
  const list = child(s, 'BANKTRANLIST');
  const lines: ParsedLine[] = [];
  for (const t of list?.children.filter((c) => c.name === 'STMTTRN') ?? []) {
    try {
      lines.push(transaction(t, currency, warnings));
    } catch (err) {
      const detail = (err as { detail?: string }).detail ?? String(err);
      warnings.push(`line ${t.line}: transaction discarded: ${detail.replace(/^line \d+: /, '')}`);
    }
  }
  const ledger = child(s, 'LEDGERBAL');
  const result: ParsedStatement = { account, currency, lines, warnings };
  if (!ledger) {
    warnings.push(`${where}: no LEDGERBAL: the statement has no balances`);
    return result;
  }
  const lw = `line ${ledger.line}`;
  const closingAmount = ofxAmount(textOf(ledger, 'BALAMT'), currency, lw, 'LEDGERBAL/BALAMT');
  const closingDate = ofxDate(textOf(ledger, 'DTASOF'), lw, 'LEDGERBAL/DTASOF', warnings);
  const start = textOf(list, 'DTSTART');
  const openingDate = start ? ofxDate(start, `line ${child(list, 'DTSTART')!.line}`, 'DTSTART', warnings) : closingDate;
  const moved = lines.reduce((a, l) => a + l.amount, 0n);
  result.closing = { date: closingDate, amount: closingAmount };
  result.opening = { date: openingDate, amount: closingAmount - moved, computed: true };
  warnings.push(`${lw}: OFX gives only the closing balance (LEDGERBAL); the opening balance is computed as closing − the lines read`);
  return result;
}

export function parseOfx(text: string, fileWarnings: string[]): ParsedStatement[] {
  const root = ofxTree(text);
  for (const st of findAll(root, new Set(['STATUS']))) {
    const code = textOf(st, 'CODE');
    if (code && code !== '0') fileWarnings.push(`line ${st.line}: the bank reports status ${code}${textOf(st, 'MESSAGE') ? ` (${textOf(st, 'MESSAGE')})` : ''}`);
  }
  const found = findAll(root, new Set(['STMTRS', 'CCSTMTRS']));
  if (found.length === 0) fileWarnings.push('the OFX file holds no bank or credit-card statement (STMTRS, CCSTMTRS)');
  return found.map(statement);
}
