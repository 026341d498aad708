/**
 * Issue #11 (parsers): deep or huge input ends in a 400 naming the limit, never a stack overflow
 * or a quadratic scan; a sign that contradicts its debit/credit column is an error on its line;
 * a date that does not exist is an error on its line (only the documented MT940 quirk of German
 * banks, a 30-day February in value dates, is read leniently).
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parseStatement } from '../../parsers/index.js';
import { MAX_STATEMENT_LINES } from '../../parsers/common.js';
import { MAX_OFX_DEPTH, MAX_OFX_ELEMENTS } from '../../parsers/ofx.js';
import { MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS } from '../../../../core/xml.js';
import { problemOf } from './helpers.js';

const parse = (text: string | Buffer, format: string) => parseStatement(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), format);

/** Runs `f` and says how long it took, so a slow (quadratic) path shows as a failed bound. */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await f();
  return [value, performance.now() - started];
}

t.test('#11.5 OFX: deep nesting and huge element counts are a 400 naming the limit, not a stack overflow', async (t) => {
  const deep = await problemOf(() => parse(`<OFX>${'<A>'.repeat(50_000)}`, 'ofx'));
  t.match(deep, { status: 400, detail: `line 1: elements are nested more than ${MAX_OFX_DEPTH} levels deep` });
  const trn = await problemOf(() => parse(`<OFX>${'<STMTTRN><TRNAMT>1'.repeat(200_000)}`, 'ofx'));
  t.match(trn, { status: 400, detail: `line 1: elements are nested more than ${MAX_OFX_DEPTH} levels deep` });
  const onLines = await problemOf(() => parse(`OFXHEADER:100\n\n<OFX>\n${'<A>\n'.repeat(MAX_OFX_DEPTH + 5)}`, 'ofx'));
  t.equal(onLines.detail, `line ${MAX_OFX_DEPTH + 3}: elements are nested more than ${MAX_OFX_DEPTH} levels deep`, 'the line where the limit is passed');
  // Just inside the limit is read (as a file holding no statement).
  t.match((await parse(`<OFX>${'<A>'.repeat(MAX_OFX_DEPTH - 1)}`, 'ofx')).warnings, [/holds no bank or credit-card statement/]);

  const [wide, ms] = await timed(() => problemOf(() => parse(`<OFX>${'<A>x'.repeat(MAX_OFX_ELEMENTS + 1)}`, 'ofx')));
  t.match(wide, { status: 400, detail: `line 1: the file has more than ${MAX_OFX_ELEMENTS} elements` });
  t.ok(ms < 10_000, `refused in ${Math.round(ms)} ms`);
});

t.test('#11.5 OFX: unclosed tags, comments and instructions are scanned once, not once per "<"', async (t) => {
  for (const [label, body] of [['tags', '<A '], ['comments', '<!--'], ['instructions', '<?'], ['closes', '</B>']] as const) {
    const [outcome, ms] = await timed(async () => {
      try {
        return (await parse(`<OFX>${'<A>'.repeat(10)}${body.repeat(200_000)}`, 'ofx')).warnings.length >= 0;
      } catch (err) {
        return (err as { status?: number }).status === 400;
      }
    });
    t.ok(outcome, `${label}: read or a 400`);
    t.ok(ms < 3_000, `${label}: ${Math.round(ms)} ms`);
  }
  t.match(await problemOf(() => parse('<OFX><!-- never closed <STMTRS>', 'ofx')), { detail: 'line 1: a comment opened here is never closed' });
});

t.test('#11.5 camt/XML: depth, element and attribute counts are bounded; no entity expansion', async (t) => {
  const deep = (n: number) => `<Document>${'<a>'.repeat(n)}${'</a>'.repeat(n)}</Document>`;
  t.match(await problemOf(() => parse(deep(100_000), 'camt053')), { status: 400, detail: `line 1: the XML is nested more than ${MAX_XML_DEPTH} levels deep` });
  t.match(await problemOf(() => parse(`<Document>${'<a>'.repeat(100_000)}`, 'camt053')), { status: 400, detail: /nested more than|not well-formed/ });
  const [many, ms] = await timed(() => problemOf(() => parse(`<Document>${'<a/>'.repeat(MAX_XML_ELEMENTS + 1)}</Document>`, 'camt053')));
  t.match(many, { status: 400, detail: `line 1: the XML has more than ${MAX_XML_ELEMENTS} elements` });
  t.ok(ms < 3_000, `counted before parsing: ${Math.round(ms)} ms`);
  const attrs = Array.from({ length: MAX_XML_ATTRIBUTES + 1 }, (_, i) => `b${i}="1"`).join(' ');
  t.match(await problemOf(() => parse(`<Document><a ${attrs}/></Document>`, 'camt053')), { status: 400, detail: `line 1: the XML has more than ${MAX_XML_ATTRIBUTES} attributes` });
  // Markup inside CDATA and comments is text, not nesting.
  const cdata = await problemOf(() => parse(`<Document><x><![CDATA[${'<a>'.repeat(100)}]]></x><!-- ${'<a>'.repeat(100)} --></Document>`, 'camt053'));
  t.match(cdata.detail, /holds neither BkToCstmrStmt/);
  // Entities: declarations are refused, predefined ones are decoded once (no double expansion).
  t.match(await problemOf(() => parse('<!DOCTYPE d [<!ENTITY a "&#38;amp;">]><Document>&a;</Document>', 'camt053')), { detail: 'XML with a DOCTYPE or entity declarations is not accepted' });
  const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]><Document>&lol9;</Document>`;
  t.match(await problemOf(() => parse(lol, 'camt053')), { detail: 'XML with a DOCTYPE or entity declarations is not accepted' });
});

t.test('#11.5 a file with more statement lines than the limit is refused on the line passing it', async (t) => {
  const mt940 = `:20:X\n:25:1\n:60F:C260101EUR1,\n${':61:260101C1,NTRFX\n'.repeat(MAX_STATEMENT_LINES + 1)}:62F:C260101EUR1,\n`;
  t.match(await problemOf(() => parse(mt940, 'mt940')), {
    status: 400, detail: `line ${MAX_STATEMENT_LINES + 4}: the file has more than ${MAX_STATEMENT_LINES} statement lines; split it`,
  });
});

t.test('#11.5 CSV: a long cell is not scanned once per character, and messages quote it shortened', async (t) => {
  const head = 'Số tài khoản: 1\nNgày giao dịch,Nội dung,Số tiền ghi có,Số dư\n';
  const [p, ms] = await timed(() => problemOf(() => parse(`${head}1${' '.repeat(200_000)}x,x,1,1\n`, 'csv')));
  t.ok(ms < 2_000, `${Math.round(ms)} ms`);
  t.match(p.detail, /^line 3: date '1 +…' is not a date in the format DD\/MM\/YYYY$/);
  t.ok(p.detail.length < 200, 'the detail does not repeat the whole cell');
});

t.test('#11.5 MT940: long runs of spaces or slashes in a line, and millions of blank lines, are each scanned once', async (t) => {
  const info = (text: string) => `:20:X\n:25:1\n:60F:C260101EUR1,\n:61:260101C1,NTRFX\n:86:${text}\n:62F:C260101EUR2,\n`;
  const [spaces, ms1] = await timed(() => parse(info(`a${' '.repeat(200_000)}b`), 'mt940'));
  t.equal(spaces.statements[0].lines[0].description, 'a b');
  t.ok(ms1 < 2_000, `trailing-space trim: ${Math.round(ms1)} ms`);
  const [slashes, ms2] = await timed(() => parse(info(`/NAME/${'/'.repeat(200_000)}x/REMI/hello//`), 'mt940'));
  t.equal(slashes.statements[0].lines[0].description, 'hello');
  t.ok(ms2 < 2_000, `closing-slash trim: ${Math.round(ms2)} ms`);
  const [blank, ms3] = await timed(() => problemOf(() => parse('\r\n'.repeat(5_000_000), 'mt940')));
  t.match(blank.detail, /no MT940 field found/);
  t.ok(ms3 < 5_000, `5 million blank lines: ${Math.round(ms3)} ms`);
});

t.test('#11.5 CSV: rows of 100,000 cells cost the header search no more than a real header row', async (t) => {
  const row = `${Array.from({ length: 100_000 }, (_, i) => `Số dư ${i}`).join(',')}\n`;
  const [p, ms] = await timed(() => problemOf(() => parse(row.repeat(3), 'csv')));
  t.match(p.detail, /^no header row found in the first 30 rows/);
  t.ok(ms < 8_000, `${Math.round(ms)} ms`);
});

const VCB = [
  'Số tài khoản: 0011001234567,,,,,',
  'Loại tiền: VND,,,,,',
  'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung',
  '1,02/01/2026,FT1,,"1.000.000","11.000.000",TT HD 1',
];
const vcb = (row: string) => Buffer.from([...VCB, row].join('\n'));

t.test('#11.9 a negative amount in a money-in or money-out column is an error on its line, never flipped', async (t) => {
  t.match(await problemOf(() => parseStatement(vcb('2,03/01/2026,FT2,,-1,"10.999.999",x'), 'csv')), {
    status: 400, detail: "line 5: amount '-1' in the money-in (credit) column 'Số tiền ghi có' is negative: the column gives the direction, so its amounts carry no sign",
  });
  t.match(await problemOf(() => parseStatement(vcb('2,03/01/2026,FT2,"(1.000)",,"10.999.000",x'), 'csv')), {
    detail: "line 5: amount '(1.000)' in the money-out (debit) column 'Số tiền ghi nợ' is negative: the column gives the direction, so its amounts carry no sign",
  });
  t.match(await problemOf(() => parseStatement(vcb('2,03/01/2026,FT2,"-1.000",,"10.999.000",x'), 'csv')), { detail: /^line 5: amount '-1\.000' in the money-out \(debit\) column/ });
  t.match(await problemOf(() => parseStatement(vcb('2,03/01/2026,FT2,,"1.000-","11.001.000",x'), 'csv')), { detail: /^line 5: amount '1\.000-' in the money-in \(credit\) column/ });
  // Unsigned and explicitly positive amounts read as their column says.
  const s = (await parseStatement(vcb('2,03/01/2026,FT2,"+1.000",,"10.999.000",x'), 'csv')).statements[0];
  t.same(s.lines.map((l) => l.amount), [1000000n, -1000n]);

  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sao kê');
  ws.addRow(['Số tài khoản: 0011001234567']);
  ws.addRow(['Ngày giao dịch', 'Nội dung', 'Số tiền ghi nợ', 'Số tiền ghi có', 'Số dư']);
  ws.addRow(['02/01/2026', 'TT HD 0041', null, -1, 11234567]);
  t.match(await problemOf(async () => parseStatement(Buffer.from(await wb.xlsx.writeBuffer()), 'xlsx')), {
    detail: "row 3: amount '-1' in the money-in (credit) column 'Số tiền ghi có' is negative: the column gives the direction, so its amounts carry no sign",
  });
});

const mt = (account: string, body: string) => `:20:X\n:25:${account}\n:28C:1/1\n${body}\n-`;

t.test('#11.11 MT940: a date that does not exist is an error on its line', async (t) => {
  const cases: [string, string][] = [
    [':60F:C260101EUR1,\n:61:260230C1,NTRFX\n:62F:C260101EUR2,', "line 5: date '260230' does not exist (February 2026 has 28 days)"],
    [':60F:C260101EUR1,\n:61:2602010230C1,NTRFX\n:62F:C260101EUR2,', "line 5: date '0230' does not exist (February 2026 has 28 days)"],
    [':60F:C260230EUR1,\n:62F:C260101EUR1,', "line 4: date '260230' does not exist (February 2026 has 28 days)"],
    [':60F:C260101EUR1,\n:62F:C260431EUR1,', "line 5: date '260431' does not exist (April has 30 days)"],
    [':60F:C260101EUR1,\n:61:250229C1,NTRFX\n:62F:C260101EUR2,', "line 5: date '250229' does not exist (February 2025 has 28 days)"],
  ];
  for (const [body, detail] of cases) t.match(await problemOf(() => parse(mt('0011001234567', body), 'mt940')), { status: 400, detail }, detail);
  const leap = (await parse(mt('0011001234567', ':60F:C240101EUR1,\n:61:240229C1,NTRFX\n:62F:C240229EUR2,'), 'mt940')).statements[0];
  t.same([leap.lines[0].valueDate, leap.closing!.date, leap.warnings], ['2024-02-29', '2024-02-29', []]);
});

t.test('#11.11 MT940 quirk: German banks value-date interest on 29/30 February (30/360); read as the last day, warned', async (t) => {
  for (const account of ['DE89370400440532013000', '51210600/9223382012', '51210600/9223382012EUR']) {
    const s = (await parse(mt(account, ':60F:C260101EUR1,\n:61:260230C1,NTRFX\n:61:2602290301C1,NTRFX\n:62F:C260301EUR3,'), 'mt940')).statements[0];
    t.same(s.lines.map((l) => l.valueDate), ['2026-02-28', '2026-02-28'], account);
    t.same(s.lines.map((l) => l.date), ['2026-02-28', '2026-03-01'], account);
    t.match(s.warnings, [
      /^line 5: value date '260230' does not exist; read as 2026-02-28 \(German banks value interest on a 30-day February\)$/,
      /^line 6: value date '260229' does not exist; read as 2026-02-28/,
    ], account);
  }
  // The quirk covers value dates in February only, and only up to the 30th.
  t.match(await problemOf(() => parse(mt('DE89370400440532013000', ':60F:C260101EUR1,\n:61:260231C1,NTRFX\n:62F:C260101EUR2,'), 'mt940')), { detail: "line 5: date '260231' does not exist (February 2026 has 28 days)" });
  t.match(await problemOf(() => parse(mt('DE89370400440532013000', ':60F:C260230EUR1,\n:62F:C260101EUR1,'), 'mt940')), { detail: "line 4: date '260230' does not exist (February 2026 has 28 days)" });
  t.match(await problemOf(() => parse(mt('DE89370400440532013000', ':60F:C260101EUR1,\n:61:2602010230C1,NTRFX\n:62F:C260101EUR2,'), 'mt940')), { detail: "line 5: date '0230' does not exist (February 2026 has 28 days)" });
});

t.test('#11.11 CSV and XLSX: a date that does not exist is an error on its line or row', async (t) => {
  t.match(await problemOf(() => parseStatement(vcb('2,30/02/2026,FT2,,1,"11.000.001",x'), 'csv')), { status: 400, detail: "line 5: date '30/02/2026' does not exist (February 2026 has 28 days)" });
  t.match(await problemOf(() => parseStatement(vcb('2,29/02/2100,FT2,,1,"11.000.001",x'), 'csv')), { detail: "line 5: date '29/02/2100' does not exist (February 2100 has 28 days)" });
  t.match(await problemOf(() => parseStatement(vcb('2,2026-06-31,FT2,,1,"11.000.001",x'), 'csv')), { detail: "line 5: date '2026-06-31' does not exist (June has 30 days)" });
  const ok = (await parseStatement(vcb('2,29/02/2024,FT2,,1,"11.000.001",x'), 'csv')).statements[0];
  t.equal(ok.lines[1].date, '2024-02-29');

  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sao kê');
  ws.addRow(['Số tài khoản: 0011001234567']);
  ws.addRow(['Ngày giao dịch', 'Nội dung', 'Số tiền ghi nợ', 'Số tiền ghi có', 'Số dư']);
  ws.addRow(['30/02/2026', 'TT HD 0041', null, 1, 11234567]);
  t.match(await problemOf(async () => parseStatement(Buffer.from(await wb.xlsx.writeBuffer()), 'xlsx')), { detail: "row 3: date '30/02/2026' does not exist (February 2026 has 28 days)" });
});

const ofx = (trn: string, asof = '20260131') => `<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR
<BANKACCTFROM><BANKID>1<ACCTID>1<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260101<DTEND>20260131
${trn}
</BANKTRANLIST><LEDGERBAL><BALAMT>1<DTASOF>${asof}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`;

t.test('#11.11 OFX: an impossible DTPOSTED/DTAVAIL fails its transaction (discarded, as every unreadable OFX transaction); a balance date is a 400', async (t) => {
  const s = (await parse(ofx('<STMTTRN><DTPOSTED>20260230<TRNAMT>1<FITID>A</STMTTRN>\n<STMTTRN><DTPOSTED>20260201<DTAVAIL>20260231<TRNAMT>1<FITID>B</STMTTRN>\n<STMTTRN><DTPOSTED>20260201<TRNAMT>2<FITID>C</STMTTRN>'), 'ofx')).statements[0];
  t.same(s.lines.map((l) => l.bankTransactionId), ['C']);
  t.match(s.warnings, [
    "line 4: transaction discarded: date '20260230' does not exist (February 2026 has 28 days)",
    "line 5: transaction discarded: date '20260231' does not exist (February 2026 has 28 days)",
  ]);
  t.match(await problemOf(() => parse(ofx('', '20260229120000[+7:ICT]'), 'ofx')), { status: 400, detail: "line 5: date '20260229120000[+7:ICT]' does not exist (February 2026 has 28 days)" });
});

const camtDoc = (bookg: string, balDate = '2026-01-31') => `<Document><BkToCstmrStmt><Stmt><Id>S1</Id><Acct><Id><Othr><Id>1</Id></Othr></Id><Ccy>VND</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>${balDate}</Dt></Dt></Bal>
<Ntry><Amt Ccy="VND">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt>${bookg}</BookgDt></Ntry></Stmt></BkToCstmrStmt></Document>`;

t.test('#11.11 camt: a date that does not exist is an error at its element', async (t) => {
  t.match(await problemOf(() => parse(camtDoc('<DtTm>2026-02-31T23:30:00+07:00</DtTm>'), 'camt053')), {
    status: 400, detail: "Document/BkToCstmrStmt/Stmt/Ntry/BookgDt/DtTm: date '2026-02-31T23:30:00+07:00' does not exist (February 2026 has 28 days)",
  });
  t.match(await problemOf(() => parse(camtDoc('<Dt>2026-01-31</Dt>', '2026-09-31'), 'camt053')), {
    detail: "Document/BkToCstmrStmt/Stmt/Bal/Dt/Dt: date '2026-09-31' does not exist (September has 30 days)",
  });
  t.equal((await parse(camtDoc('<Dt>2024-02-29</Dt>'), 'camt053')).statements[0].lines[0].date, '2024-02-29');
});
