import t from 'tap';
import { balanceCheck, parseStatement, toJson } from '../../parsers/index.js';
import { assertOnlyProblems, fixture, problemOf } from './helpers.js';

const ofx = (bytes: Buffer | string) => parseStatement(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), 'ofx');

t.test('checking.ofx (OFX 1.02 SGML, unclosed leaves): three transactions, opening computed', async (t) => {
  const r = await ofx(fixture('ofx/checking.ofx'));
  t.equal(r.statements.length, 1);
  const s = r.statements[0];
  t.same(toJson(r).statements[0], {
    account: '1452687~7', currency: 'USD',
    opening: { date: '2000-01-01', amount: '160.49' },
    closing: { date: '2013-05-25', amount: '100.99' },
    lines: [
      { date: '2011-03-31', amount: '0.01', reference: '0000486', counterparty: 'DIVIDEND EARNED FOR PERIOD OF 03', description: 'DIVIDEND EARNED FOR PERIOD OF 03/01/2011 THROUGH 03/31/2011 ANNUAL PERCENTAGE YIELD EARNED IS 0.05%' },
      { date: '2011-04-05', amount: '-34.51', reference: '0000487', counterparty: 'AUTOMATIC WITHDRAWAL, ELECTRIC BILL', description: 'AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )' },
      { date: '2011-04-07', amount: '-25.00', reference: '319', counterparty: 'RETURNED CHECK FEE, CHECK # 319', description: 'RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11' },
    ],
  });
  t.same(s.lines.map((l) => l.bankTransactionId), ['0000486', '0000487', '0000488'], 'FITID');
  t.equal(s.opening!.computed, true);
  t.match(s.warnings, [/opening balance is computed as closing − the lines read/]);
  t.equal(balanceCheck(s).difference, 0n, 'by construction');
});

t.test('decimal_error.ofx: 0 transactions and 1 discarded line, reported not thrown (as ofxparse)', async (t) => {
  const s = (await ofx(fixture('ofx/decimal_error.ofx'))).statements[0];
  t.equal(s.lines.length, 0);
  const discarded = s.warnings.filter((w) => w.includes('discarded'));
  t.same(discarded, ["line 34: transaction discarded: TRNAMT '$120' is not an amount"]);
  t.match(s, { account: '192639749', currency: 'CAD', closing: { date: '2011-06-14', amount: 0n }, opening: { date: '2011-04-12', amount: 0n } });
});

t.test('multiple_accounts.ofx (OFX 2.1 XML): one statement per account (as ofxparse: 9100, 9200)', async (t) => {
  const r = await ofx(fixture('ofx/multiple_accounts.ofx'));
  t.same(toJson(r).statements, [
    { account: '9100', currency: 'USD', opening: { date: '2012-06-03', amount: '111.00' }, closing: { date: '2012-06-03', amount: '111.00' }, lines: [] },
    { account: '9200', currency: 'USD', opening: { date: '2012-06-03', amount: '222.00' }, closing: { date: '2012-06-03', amount: '222.00' }, lines: [] },
  ]);
});

t.test('bank_small.ofx: an empty <OFX> holds no statement; warned, not refused', async (t) => {
  const r = await ofx(fixture('ofx/bank_small.ofx'));
  t.same(r.statements, []);
  t.match(r.warnings, [/holds no bank or credit-card statement/]);
});

const sgml = (trn: string, extra = '') => `OFXHEADER:100
DATA:OFXSGML
VERSION:102
ENCODING:USASCII
CHARSET:1252

<OFX><BANKMSGSRSV1><STMTTRNRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>0011001234567<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260101<DTEND>20260131
${trn}
</BANKTRANLIST><LEDGERBAL><BALAMT>100,00<DTASOF>20260131120000.000[+7:ICT]</LEDGERBAL>${extra}</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`;

t.test('amounts with a decimal comma, PAYEE, CHECKNUM, empty leaves and entities', async (t) => {
  const s = (await ofx(sgml(`<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260105<DTAVAIL>20260106<TRNAMT>-1,5<FITID>F1<CHECKNUM><PAYEE><NAME>Smith &amp; Co</PAYEE><MEMO></STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260107<TRNAMT>+.5<FITID>F2<NAME>Nguyen<MEMO>HD 001</STMTTRN>`))).statements[0];
  t.match(s.lines, [
    { date: '2026-01-05', valueDate: '2026-01-06', amount: -150n, reference: 'F1', counterparty: 'Smith & Co', description: 'Smith & Co' },
    { date: '2026-01-07', amount: 50n, counterparty: 'Nguyen', description: 'Nguyen HD 001' },
  ]);
  t.equal(s.account, '0011001234567');
  t.equal(s.closing!.date, '2026-01-31', 'the bank\'s calendar date, whatever its offset');
  t.same(s.opening, { date: '2026-01-01', amount: 10100n, computed: true });
});

t.test('credit-card statements (CCSTMTRS) are read; a bad balance or account is a 400 on its line', async (t) => {
  const cc = sgml('').replace('<STMTRS>', '<CCSTMTRS>').replace('</STMTRS>', '</CCSTMTRS>').replace(/BANKACCTFROM><BANKID>1/g, 'CCACCTFROM>').replace('</BANKACCTFROM>', '</CCACCTFROM>');
  t.equal((await ofx(cc)).statements[0].account, '0011001234567');
  t.match(await problemOf(() => ofx(sgml('').replace('100,00', '1.000,00'))), { status: 400, detail: "line 11: LEDGERBAL/BALAMT '1.000,00' is not an amount" });
  t.match(await problemOf(() => ofx(sgml('').replace('<CURDEF>EUR', '<CURDEF>XYZ'))), { detail: "line 8: currency 'XYZ' is not a current ISO 4217 currency code" });
  t.match(await problemOf(() => ofx(sgml('').replace('<ACCTID>0011001234567', ''))), { detail: 'line 8: STMTRS has no BANKACCTFROM/ACCTID account' });
  t.match(await problemOf(() => ofx('no ofx here')), { detail: 'no <OFX> element: is this an OFX file?' });
  const odd = (await ofx(sgml('<STMTTRN><DTPOSTED>20260230<TRNAMT>1<FITID>X</STMTTRN><STMTTRN><DTPOSTED>2026<TRNAMT>1</STMTTRN>'))).statements[0];
  t.same(odd.lines, [], 'a date that does not exist fails its transaction, as an unreadable one does');
  t.ok(odd.warnings.includes("line 10: transaction discarded: date '20260230' does not exist (February 2026 has 28 days)"));
  t.ok(odd.warnings.includes("line 10: transaction discarded: DTPOSTED '2026' is not a date (YYYYMMDD…)"));
});

t.test('a non-zero status is reported as a warning', async (t) => {
  const r = await ofx(sgml('').replace('<CODE>0', '<CODE>2000').replace('<SEVERITY>INFO', '<SEVERITY>ERROR<MESSAGE>General error'));
  t.match(r.warnings, ['line 7: the bank reports status 2000 (General error)']);
});

t.test('fuzzing: random and mutated OFX input only ever ends in a 400', async (t) => {
  const seeds = ['bank_small', 'checking', 'decimal_error', 'multiple_accounts'].map((n) => fixture(`ofx/${n}.ofx`));
  const started = Date.now();
  await assertOnlyProblems('ofx', seeds, {}, 300);
  t.ok(Date.now() - started < 15_000, 'quickly');
});
