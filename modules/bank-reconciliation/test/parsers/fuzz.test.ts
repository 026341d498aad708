/**
 * Fuzzing every statement parser (issue #11, "so it stays fixed"): random token soups in each
 * format's vocabulary, random well-formed camt trees, fixtures mutated, and deep or huge inputs
 * built by repeating an opener or a chunk. For every input the parser either returns statements
 * whose lines have bigint amounts and dates that exist, or throws the module's 400 problem (which
 * the routes send as problem+json) — never a TypeError or RangeError — and it does so within
 * PER_INPUT_MS. The budget is generous (inputs here take milliseconds to a few hundred on an idle
 * machine, and other suites share its two cores); it catches a quadratic scan or a hang, not a
 * slowdown. FUZZ_TIMES=1 prints each property's run time; FUZZ_SCALE=10 runs ten times as many inputs.
 */
import t from 'tap';
import fc from 'fast-check';
import ExcelJS from 'exceljs';
import { ProblemError } from '../../../../core/errors.js';
import { parseStatement, type ParseOptions, type ParseResult } from '../../parsers/index.js';
import { statementFromRows } from '../../parsers/csv.js';
import type { SheetCell, SheetRow } from '../../parsers/sheet.js';
import { fixture, mutatedInputs } from './helpers.js';

const PER_INPUT_MS = 5_000;
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
function exists(date: string): boolean {
  const m = ISO.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function checkResult(r: ParseResult): void {
  for (const s of r.statements) {
    for (const b of [s.opening, s.closing]) {
      if (b && (typeof b.amount !== 'bigint' || !exists(b.date))) throw new Error(`bad balance ${JSON.stringify({ ...b, amount: String(b.amount) })}`);
    }
    for (const l of s.lines) {
      if (typeof l.amount !== 'bigint') throw new Error(`amount ${String(l.amount)} is not a bigint`);
      if (!exists(l.date) || (l.valueDate !== undefined && !exists(l.valueDate))) throw new Error(`a date that does not exist came back: ${l.date} / ${l.valueDate}`);
    }
  }
}

/** The slowest input so far, reported with each test. */
let slowest = { ms: 0, bytes: 0, format: '' };
/** Inputs read into statements with lines, for FUZZ_TIMES: a property that never gets there tests little. */
let withLines = 0;
const refusals = new Map<string, number>();

/** The property every input must keep. */
async function parsesOrRefuses(bytes: Buffer, format: string, options: ParseOptions = {}): Promise<void> {
  const started = performance.now();
  try {
    const r = await parseStatement(bytes, format, options);
    checkResult(r);
    if (r.statements.some((st) => st.lines.length > 0)) withLines++;
  } catch (err) {
    if (!(err instanceof ProblemError)) throw err;
    if (err.status !== 400 || !err.detail) throw new Error(`a ${err.status} problem without a detail: ${err.detail}`);
    const kind = err.detail.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N').slice(0, 70);
    refusals.set(kind, (refusals.get(kind) ?? 0) + 1);
  }
  const ms = performance.now() - started;
  if (ms > slowest.ms) slowest = { ms, bytes: bytes.length, format };
  if (ms > PER_INPUT_MS) throw new Error(`${format}: ${bytes.length} bytes took ${Math.round(ms)} ms (budget ${PER_INPUT_MS} ms)`);
}

async function check(arb: fc.Arbitrary<Buffer>, format: string, numRuns: number, options: ParseOptions = {}): Promise<void> {
  const started = performance.now();
  withLines = 0;
  refusals.clear();
  await fc.assert(fc.asyncProperty(arb, (bytes) => parsesOrRefuses(bytes, format, options)), { numRuns: numRuns * SCALE });
  if (process.env.FUZZ_TIMES) process.stderr.write(`${format} ${numRuns * SCALE} runs: ${Math.round(performance.now() - started)} ms, ${withLines} read with lines; most refused: ${[...refusals].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([k, n]) => `${n}× ${k}`).join(' | ')}\n`);
}

t.afterEach(async (t) => {
  t.comment(`slowest input so far: ${slowest.format}, ${slowest.bytes} bytes, ${Math.round(slowest.ms)} ms`);
});

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** Tokens joined: a random text in a format's own vocabulary. */
const soup = (tokens: fc.Arbitrary<string>, maxLength = 120) => fc.array(tokens, { maxLength }).map((a) => a.join(''));
/** A prefix, then an opener repeated up to 60,000 times (nesting, or an unterminated run). */
const deep = (prefix: string, openers: string[], tail: fc.Arbitrary<string> = fc.constant('')) =>
  fc.tuple(fc.constantFrom(...openers), fc.integer({ min: 1, max: 60_000 }), tail).map(([o, k, rest]) => utf8(prefix + o.repeat(k) + rest));
/** A chunk repeated up to `max` characters (600 kB) between a prefix and a suffix: huge files of small pieces. */
const huge = (chunk: fc.Arbitrary<string>, prefix = '', suffix = '', max = 600_000) =>
  fc.tuple(chunk.filter((c) => c.length > 0), fc.integer({ min: 100, max }))
    .map(([c, size]) => utf8(prefix + c.repeat(Math.max(1, Math.floor(size / c.length))) + suffix));

const dateText = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => [y, m, d].map((n) => String(n).padStart(2, '0')).join('')),
  fc.constantFrom('260230', '250229', '240229', '260431', '261301', '260100'),
);
const amountText = fc.oneof(fc.constantFrom('1,00', '0,', ',5', '1.000,00', '-1', '99999999999999999999,99', '1,2,3', ''), fc.nat().map(String));

const MT940 = fc.oneof(
  fc.constantFrom(':20:', ':25:', ':28C:', ':60F:', ':60M:', ':61:', ':62F:', ':62M:', ':86:', ':64:', ':NS:', '\r\n', '\n', '\r', '-', '-}', '{1:F01X}', '{2:I940X}', '{4:', '}',
    'C', 'D', 'RC', 'RD', 'EUR', 'VND', 'XXX', 'NTRF', 'NMSC', 'NONREF', '//', '?00', '?20', '?32', '/NAME/', '/REMI/', 'EREF+', 'SVWZ+', ' ', '\u0000', 'ü', 'DE89370400440532013000', '51210600/9223382012'),
  dateText, amountText, fc.string({ maxLength: 8 }),
);

const OFX = fc.oneof(
  fc.constantFrom('<OFX>', '</OFX>', '<STMTRS>', '</STMTRS>', '<CCSTMTRS>', '<BANKTRANLIST>', '</BANKTRANLIST>', '<STMTTRN>', '</STMTTRN>', '<TRNAMT>', '<DTPOSTED>', '<DTAVAIL>',
    '<FITID>', '<NAME>', '<MEMO>', '<PAYEE>', '</PAYEE>', '<LEDGERBAL>', '</LEDGERBAL>', '<BALAMT>', '<DTASOF>', '<DTSTART>', '<CURDEF>', 'EUR', 'VND', '<BANKACCTFROM>',
    '</BANKACCTFROM>', '<ACCTID>', '<STATUS>', '<CODE>', '<!--', '-->', '<?', '?>', '<', '>', '</', '&amp;', '&lt;', '&nbsp;', '\n', '\r\n', ' ', '-1,5', '+.5', '$120', '[+7:ICT]'),
  fc.integer({ min: 0, max: 99_999_999 }).map((n) => `2026${String(n).padStart(8, '0').slice(4)}`), amountText, fc.string({ maxLength: 8 }),
);

const XML_TOKENS = fc.oneof(
  fc.constantFrom('<Document>', '</Document>', '<BkToCstmrStmt>', '</BkToCstmrStmt>', '<Stmt>', '</Stmt>', '<Ntry>', '</Ntry>', '<Amt Ccy="EUR">', '</Amt>', '<CdtDbtInd>', '</CdtDbtInd>',
    'CRDT', 'DBIT', '<Dt>', '</Dt>', '<![CDATA[', ']]>', '<!--', '-->', '<!DOCTYPE x>', '<?xml version="1.0"?>', '&lt;', '&amp;amp;', '&#x10FFFF;', '&#0;', '&bogus;', '<a b="1" c=\'>\'>', '</a>', '<a/>', '<', '>', '"', '\n'),
  fc.string({ maxLength: 6 }),
);

/** Random well-formed camt trees: the real element names, texts from a pool of good and bad values. */
const camtValue = fc.oneof(
  fc.constantFrom('CRDT', 'DBIT', 'BOOK', 'PDNG', 'OPBD', 'CLBD', 'PRCD', 'ITBD', 'NOTPROVIDED', '', 'EUR', 'VND', '0011001234567', 'DE89370400440532013000', '1.5', '-5', '100', '99999999999999999999'),
  fc.tuple(fc.integer({ min: 1899, max: 3000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.boolean())
    .map(([y, m, d, tm]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}${tm ? 'T23:30:00+07:00' : ''}`),
  fc.string({ maxLength: 10 }).map((s) => s.replace(/[<&]/g, '')),
);
const CAMT_NAMES = ['Ntry', 'Amt', 'CdtDbtInd', 'Sts', 'Cd', 'BookgDt', 'ValDt', 'Dt', 'DtTm', 'AcctSvcrRef', 'NtryDtls', 'TxDtls', 'Refs', 'EndToEndId', 'RltdPties', 'Dbtr',
  'Cdtr', 'Pty', 'Nm', 'DbtrAcct', 'Id', 'IBAN', 'Othr', 'RmtInf', 'Ustrd', 'Strd', 'Bal', 'Tp', 'CdOrPrtry', 'Acct', 'Ccy', 'AddtlNtryInf', 'AmtDtls', 'TxAmt', 'LglSeqNb'];
const { tree: camtTree } = fc.letrec<{ tree: string }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...CAMT_NAMES), camtValue, fc.option(fc.constantFrom('EUR', 'VND', 'USD', ''), { nil: undefined }))
      .map(([name, value, ccy]) => `<${name}${ccy !== undefined ? ` Ccy="${ccy}"` : ''}>${value}</${name}>`),
    fc.tuple(fc.constantFrom(...CAMT_NAMES), fc.array(tie('tree'), { maxLength: 6 })).map(([name, kids]) => `<${name}>${kids.join('')}</${name}>`),
  ),
}));
const camtDocument = fc.tuple(fc.boolean(), fc.array(camtTree, { maxLength: 8 }), fc.array(camtTree, { maxLength: 3 })).map(([notification, entries, head]) => {
  const [outer, inner] = notification ? ['BkToCstmrDbtCdtNtfctn', 'Ntfctn'] : ['BkToCstmrStmt', 'Stmt'];
  return utf8(`<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><${outer}><${inner}><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>${head.join('')}${entries.map((e) => `<Ntry>${e}</Ntry>`).join('')}</${inner}></${outer}></Document>`);
});

const CSV_HEAD = 'Số tài khoản: 0011001234567\nLoại tiền: VND\nSTT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung\n';
const csvCell = fc.oneof(
  fc.constantFrom('', '02/01/2026', '30/02/2026', '29/02/2024', '31/04/2026', '2026-01-31', '2026-02-30 10:00', '1/1/26', '1.234.567', '-1', '(1.000)', '1.000-', '+5', '1,5',
    '1 000 000', '99999999999999999999', 'VND 1,000', '1.234.567 ₫', '"', '""', '"a,b"', 'Tổng cộng', '-', '–', '1e5', ' ', '\t'),
  fc.nat().map(String), fc.string({ maxLength: 10 }),
);
const csvRow = fc.tuple(fc.array(csvCell, { maxLength: 9 }), fc.constantFrom(',', ';', '\t', '|')).map(([cells, d]) => cells.join(d));
const csvFile = fc.tuple(fc.boolean(), fc.array(csvRow, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\r')).map(([head, rows, eol]) => utf8((head ? CSV_HEAD : '') + rows.join(eol)));

/** Mostly a good value, sometimes one of the bad ones: structured files that get past the outer checks. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const pad2 = (n: number) => String(n).padStart(2, '0');
/** Calendar parts, mostly real days of 2024–2026, sometimes days that do not exist. */
type Ymd = [number, number, number];
const ymd: fc.Arbitrary<Ymd> = mostly(
  fc.date({ min: new Date(Date.UTC(2024, 0, 1)), max: new Date(Date.UTC(2026, 11, 31)), noInvalidDate: true }).map((d): Ymd => [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]),
  pick<Ymd>([2026, 2, 30], [2026, 2, 29], [2025, 2, 29], [2100, 2, 29], [2026, 4, 31], [2026, 13, 1], [2026, 0, 10], [2026, 1, 0], [2026, 1, 32]),
);
const decimals = (comma: boolean) => mostly(
  fc.tuple(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }), pick('digits', 'zeros', 'whole'))
    .map(([w, f, form]) => (form === 'whole' ? String(w) : `${w}${comma ? ',' : '.'}${form === 'zeros' ? '00' : pad2(f)}`)),
  pick('', '1,2,3', '1.5.6', '-1', '+1', '99999999999999999999', '1e5', 'abc', '0', ',', '1,005'),
);

/** MT940 statements with :61:/:86: lines: mostly valid, with bad dates, marks, amounts and accounts mixed in. */
const mt940Statement = fc.tuple(
  mostly(pick('0011001234567', 'DE89370400440532013000', '51210600/9223382012', '51210600/9223382012EUR', 'NL91ABNA0417164300'), pick('', 'a\nb', '1/2/3')),
  ymd, ymd, mostly(pick('EUR'), pick('VND', 'XXX', 'EU', 'eur')),
  fc.array(fc.tuple(ymd, fc.option(ymd, { nil: undefined }), mostly(pick('C', 'D', 'RC', 'RD'), pick('X', '', 'CD')), decimals(true), mostly(pick('NTRF', 'NMSC', 'FCHG'), pick('', 'X1', 'NTR')),
    mostly(pick('NONREF', 'REF1', 'REF1//B1', ''), fc.string({ maxLength: 20 })),
    fc.option(mostly(pick('166?00GUTSCHRIFT?20EREF+E2E1 SVWZ+HD 42?32ACME', '/TRTP/SEPA/NAME/ACME BV/REMI/USTD//HD 42/EREF/E2E1//', 'free text'), fc.string({ maxLength: 30 })), { nil: undefined })), { maxLength: 12 }),
  decimals(true), decimals(true), fc.constantFrom('\n', '\r\n'),
).map(([account, [oy, om, od], [cy, cm, cd], ccy, lines, open, close, eol]) => {
  const yymmdd = (y: number, m: number, d: number) => `${pad2(y % 100)}${pad2(m)}${pad2(d)}`;
  const body = lines.map(([[y, m, d], entry, mark, amount, type, refs, info]) =>
    `:61:${yymmdd(y, m, d)}${entry ? `${pad2(entry[1])}${pad2(entry[2])}` : ''}${mark}${amount}${type}${refs}${info !== undefined ? `${eol}:86:${info}` : ''}`);
  return utf8([':20:STMT', `:25:${account}`, ':28C:1/1', `:60F:C${yymmdd(oy, om, od)}${ccy}${open}`, ...body, `:62F:C${yymmdd(cy, cm, cd)}${ccy}${close}`, '-'].join(eol));
});

/** OFX 1.x statements: transactions with good and bad TRNAMT/DTPOSTED/DTAVAIL, leaves closed or not. */
const ofxStatement = fc.tuple(
  mostly(pick('EUR', 'usd'), pick('', 'XYZ', 'VND')), mostly(pick<string | undefined>('0011001234567', '1452687~7'), pick(undefined)),
  fc.array(fc.tuple(ymd, fc.option(ymd, { nil: undefined }), mostly(decimals(false), pick('-1,5', '+.5', '$120')), fc.boolean(), fc.string({ maxLength: 12 })), { maxLength: 12 }),
  ymd, decimals(false), fc.boolean(),
).map(([ccy, account, trns, [ay, am, ad], balance, cc]) => {
  const date = (y: number, m: number, d: number) => `${y}${pad2(m)}${pad2(d)}120000.000[+7:ICT]`;
  const leaf = (name: string, value: string, closed: boolean) => `<${name}>${value}${closed ? `</${name}>` : ''}`;
  const [rs, from] = cc ? ['CCSTMTRS', 'CCACCTFROM'] : ['STMTRS', 'BANKACCTFROM'];
  const list = trns.map(([[y, m, d], avail, amount, closed, name]) =>
    `<STMTTRN>${leaf('TRNTYPE', 'CREDIT', closed)}${leaf('DTPOSTED', date(y, m, d), closed)}${avail ? leaf('DTAVAIL', date(...avail), closed) : ''}${leaf('TRNAMT', amount, closed)}${leaf('FITID', `F${y}${m}${d}`, closed)}${leaf('NAME', name.replace(/</g, ''), closed)}</STMTTRN>`).join('\n');
  return utf8(`OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><${rs}><CURDEF>${ccy}<${from}>${account !== undefined ? `<ACCTID>${account}` : ''}</${from}>\n<BANKTRANLIST><DTSTART>20260101\n${list}\n</BANKTRANLIST><LEDGERBAL><BALAMT>${balance}<DTASOF>${date(ay, am, ad)}</LEDGERBAL></${rs}></STMTTRNRS></BANKMSGSRSV1></OFX>`);
});

/** camt.053/054 with balances and entries (split or not), good and bad amounts, currencies, dates, indicators. */
const camtStatement = fc.tuple(
  fc.boolean(), mostly(pick('EUR'), pick('VND', 'XYZ', '')),
  fc.array(fc.tuple(pick('OPBD', 'CLBD', 'PRCD', 'ITBD', 'OPAV'), decimals(false), mostly(pick('CRDT', 'DBIT'), pick('CRED', '')), ymd), { maxLength: 3 }),
  fc.array(fc.tuple(decimals(false), mostly(pick('CRDT', 'DBIT'), pick('X')), mostly(pick('BOOK'), pick('PDNG', 'INFO')), ymd, fc.boolean(), fc.option(ymd, { nil: undefined }),
    fc.array(fc.tuple(fc.option(decimals(false), { nil: undefined }), fc.option(pick('CRDT', 'DBIT'), { nil: undefined }), fc.string({ maxLength: 12 })), { maxLength: 3 }), fc.array(camtTree, { maxLength: 2 })), { maxLength: 10 }),
).map(([notification, ccy, bals, entries]) => {
  const iso = (y: number, m: number, d: number) => `${y}-${pad2(m)}-${pad2(d)}`;
  const [outer, inner] = notification ? ['BkToCstmrDbtCdtNtfctn', 'Ntfctn'] : ['BkToCstmrStmt', 'Stmt'];
  const bal = bals.map(([code, amount, ind, [y, m, d]]) => `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Dt><Dt>${iso(y, m, d)}</Dt></Dt></Bal>`).join('');
  const ntry = entries.map(([amount, ind, sts, [y, m, d], dtTm, val, txs, extra]) => {
    const tx = txs.map(([a, i, text]) => `<TxDtls>${a !== undefined ? `<Amt Ccy="${ccy}">${a}</Amt>` : ''}${i ? `<CdtDbtInd>${i}</CdtDbtInd>` : ''}<RmtInf><Ustrd>${text.replace(/[<&]/g, '')}</Ustrd></RmtInf></TxDtls>`).join('');
    const booked = dtTm ? `<DtTm>${iso(y, m, d)}T23:30:00+07:00</DtTm>` : `<Dt>${iso(y, m, d)}</Dt>`;
    return `<Ntry><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Sts><Cd>${sts}</Cd></Sts><BookgDt>${booked}</BookgDt>${val ? `<ValDt><Dt>${iso(...val)}</Dt></ValDt>` : ''}<AcctSvcrRef>R</AcctSvcrRef>${extra.join('')}<NtryDtls>${tx}</NtryDtls></Ntry>`;
  }).join('');
  return utf8(`<?xml version="1.0" encoding="UTF-8"?><Document><${outer}><${inner}><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>${bal}${ntry}</${inner}></${outer}></Document>`);
});

/** Vietnamese bank CSV rows: dates, debit/credit amounts in the ways banks write them (and signs that contradict the column). */
const vnAmount = mostly(
  fc.integer({ min: 1, max: 99_999_999 }).chain((n) => pick(String(n), n.toLocaleString('de-DE'), n.toLocaleString('en-US'), `"${n.toLocaleString('en-US')}"`, `${n.toLocaleString('de-DE')} ₫`)),
  pick('-1', '(1.000)', '1.000-', '+5', '1,5', '1.2.3', 'abc', '99999999999999999999'),
);
const vnCsv = fc.array(fc.tuple(ymd, fc.boolean(), fc.option(vnAmount, { nil: undefined }), fc.option(vnAmount, { nil: undefined }), fc.option(vnAmount, { nil: undefined }), fc.string({ maxLength: 12 })), { maxLength: 15 })
  .map((rows) => utf8(CSV_HEAD + rows.map(([[y, m, d], iso, debit, credit, balance, text], i) =>
    `${i + 1},${iso ? `${y}-${pad2(m)}-${pad2(d)}` : `${pad2(d)}/${pad2(m)}/${y}`},FT${i},${debit ?? ''},${credit ?? ''},${balance ?? ''},"${text.replace(/"/g, '""')}"`).join('\r\n')));

t.test('MT940: token soups, mutated fixtures, deep and huge inputs', async (t) => {
  const seeds = ['mt940-js/abn-amro-1.STA', 'mt940-js/ing-1.mta', 'betterplace/sepa_snippet.sta', 'betterplace/with_binary_character.sta'].map((f) => fixture(`mt940/${f}`));
  await check(mt940Statement, 'mt940', 300);
  await check(soup(MT940).map(utf8), 'mt940', 200);
  await check(mutatedInputs(seeds), 'mt940', 150);
  const statement = ':20:X\n:25:DE89370400440532013000\n:60F:C260101EUR1,\n';
  await check(deep(statement, [':61:260101C1,NTRFX\n', ':86:?2', ' ', '/', '{1:', '{1:{', '\n', '\r', ':86:/NAME/', '?20EREF+'], soup(MT940, 10)), 'mt940', 30);
  const line = fc.oneof(pick(':61:260101C1,00NTRFNONREF\n', ':61:2601010101D12,5NMSCREF//B\n:86:166?20EREF+E1 SVWZ+X?32ACME\n', ':61:260102RC1,NTRF\n:86:/NAME/X/REMI/USTD//HD 1/\n'), soup(MT940, 12));
  await check(huge(line, statement, ':62F:C260131EUR1,\n-'), 'mt940', 12);
  t.pass('every MT940 input parsed or ended in a 400, each within the budget');
});

t.test('OFX: token soups, mutated fixtures, deep and huge inputs', async (t) => {
  const seeds = ['bank_small', 'checking', 'decimal_error', 'multiple_accounts'].map((n) => fixture(`ofx/${n}.ofx`));
  await check(ofxStatement, 'ofx', 300);
  await check(soup(OFX).map((s) => utf8(`<OFX>${s}`)), 'ofx', 200);
  await check(mutatedInputs(seeds), 'ofx', 150);
  await check(deep('<OFX>', ['<A>', '<STMTTRN><TRNAMT>1', '<STMTRS>', '<BANKTRANLIST>', '<!--', '<?', '<A ', '</B>', '<A>x', '<', '&amp;'], soup(OFX, 10)), 'ofx', 30);
  const trn = fc.oneof(pick('<STMTTRN><DTPOSTED>20260105<TRNAMT>-1,5<FITID>F</STMTTRN>\n', '<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20260107</DTPOSTED><TRNAMT>2.00</TRNAMT><NAME>N</NAME></STMTTRN>'), soup(OFX, 12));
  await check(huge(trn, '<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>',
    '</BANKTRANLIST><LEDGERBAL><BALAMT>1<DTASOF>20260131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>'), 'ofx', 12);
  t.pass('every OFX input parsed or ended in a 400, each within the budget');
});

t.test('camt.053/054: random camt trees, token soups, mutated fixtures, deep and huge inputs', async (t) => {
  const seeds = ['camt053.v2.minimal', 'camt053.v2.multi.statement', 'camt053.v4', 'camt054.v2'].map((n) => fixture(`camt/${n}.xml`));
  await check(camtStatement, 'camt053', 300);
  await check(camtDocument, 'camt053', 100);
  await check(camtDocument, 'camt054', 30);
  await check(soup(XML_TOKENS).map(utf8), 'camt053', 200);
  await check(mutatedInputs(seeds), 'camt053', 100);
  await check(deep('<Document>', ['<a>', '<Ntry>', '<![CDATA[', '<!--', '<a b="', '<', '&amp;', '<a/>', '</a>'], soup(XML_TOKENS, 10)), 'camt053', 30);
  // fast-xml-parser takes ~1 s per MB on a busy machine: smaller and fewer than for the other formats.
  const ntry = fc.oneof(pick('<Ntry><Amt Ccy="EUR">1.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-01-02</Dt></BookgDt></Ntry>'), camtTree);
  await check(huge(ntry, '<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>X</IBAN></Id><Ccy>EUR</Ccy></Acct>', '</Stmt></BkToCstmrStmt></Document>', 300_000), 'camt053', 8);
  t.pass('every camt input parsed or ended in a 400, each within the budget');
});

t.test('CSV: random rows under a bank header, with presets and a saved mapping; deep and huge inputs', async (t) => {
  await check(vnCsv, 'csv', 300);
  await check(csvFile, 'csv', 200);
  await check(csvFile, 'csv', 100, { preset: 'vietcombank' });
  await check(csvFile, 'csv', 100, {
    mapping: { date: 1, description: 6, debit: 3, credit: 4, dateFormat: 'YYYY-MM-DD', decimalSeparator: ',', thousandsSeparator: ' ' },
    currency: 'EUR', account: 'X', opening: { date: '2026-01-01', amount: '0' },
  });
  await check(deep(CSV_HEAD, ['"', ',', '\n', '1 ', ' ', '02/01/2026,', '(', '-', '"a"'], fc.constant('\n02/01/2026,x,1,1,x')), 'csv', 30);
  const row = fc.oneof(pick('1,02/01/2026,FT1,,"1.000",,TT HD\r\n', '2,03/01/2026,FT2,500,,,Phí\n'), csvRow.map((r) => `${r}\n`));
  await check(huge(row, CSV_HEAD), 'csv', 10, { opening: { date: '2026-01-01', amount: '0' } });
  t.pass('every CSV input parsed or ended in a 400, each within the budget');
});

/** Cells as the XLSX reader gives them: text, and a number or a calendar date where the cell is one. */
const sheetCell: fc.Arbitrary<SheetCell> = fc.oneof(
  csvCell.map((text) => ({ text })),
  fc.oneof(fc.double({ noNaN: true, min: -1e17, max: 1e17 }), fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(0.1 + 0.2, -1, 1e21, 5e-324))
    .map((number) => ({ text: String(number), number })),
  fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2999, 11, 31)), noInvalidDate: true })
    .map((d) => ({ text: d.toISOString().slice(0, 10), date: d.toISOString().slice(0, 10) })),
);

t.test('XLSX: rows of typed cells (numbers, dates, texts) under a bank header, and real workbooks', async (t) => {
  const header: SheetRow[] = [
    { at: 1, cells: [{ text: 'Số tài khoản: 0011001234567' }] },
    { at: 2, cells: ['STT', 'Ngày giao dịch', 'Số tham chiếu', 'Số tiền ghi nợ', 'Số tiền ghi có', 'Số dư', 'Nội dung'].map((text) => ({ text })) },
  ];
  await fc.assert(fc.property(fc.array(fc.array(sheetCell, { maxLength: 8 }), { maxLength: 12 }), (rows) => {
    const started = performance.now();
    try {
      checkResult({ format: 'xlsx', statements: [statementFromRows([...header, ...rows.map((cells, i) => ({ at: i + 3, cells }))], 'row', {})], warnings: [] });
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 400 || !err.detail) throw err;
    }
    if (performance.now() - started > PER_INPUT_MS) throw new Error('over the budget');
  }), { numRuns: 300 * SCALE });

  // A few through the real reader (a worker process: started once before the timed inputs).
  const workbook = async (rows: unknown[][]) => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sao kê');
    ws.addRow(['Số tài khoản: 0011001234567']);
    ws.addRow(['STT', 'Ngày giao dịch', 'Số tham chiếu', 'Số tiền ghi nợ', 'Số tiền ghi có', 'Số dư', 'Nội dung']);
    for (const r of rows) ws.addRow(r);
    return Buffer.from(await wb.xlsx.writeBuffer());
  };
  await parseStatement(await workbook([[1, '02/01/2026', 'FT1', null, 5, 5, 'x']]), 'xlsx', { opening: { date: '2026-01-01', amount: '0' } });
  const value = fc.oneof(csvCell, fc.double({ noNaN: true, min: -1e17, max: 1e17 }), fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2999, 11, 31)), noInvalidDate: true }), fc.constant(null));
  await fc.assert(fc.asyncProperty(fc.array(fc.array(value, { maxLength: 7 }), { maxLength: 8 }), async (rows) => parsesOrRefuses(await workbook(rows), 'xlsx')), { numRuns: 6 });
  t.pass('every sheet parsed or ended in a 400, each within the budget');
});
