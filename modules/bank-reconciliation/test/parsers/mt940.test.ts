import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { formatAmount, parseAmount } from '../../../../core/money.js';
import { balanceCheck, parseStatement, toJson, type ParsedLine, type ParsedStatement } from '../../parsers/index.js';
import { mt940Fields, parseMt940Account, parseMt940Balance, parseMt940Entry } from '../../parsers/mt940.js';
import { FIXTURES, assertOnlyProblems, fixture, fixtureJson, problemOf } from './helpers.js';

const noSpace = (s: string) => s.replace(/\s+/g, '');
const squash = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const eur = (minor: bigint) => formatAmount(minor, 'EUR');
const mt940 = async (bytes: Buffer | string) => parseStatement(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), 'mt940');

t.test('the fixtures folder resolves from the repository', async (t) => {
  t.ok(existsSync(path.join(FIXTURES, 'README.md')), FIXTURES);
});

interface JsBalance { isCredit: boolean; date: string; currency: string; value: number }
interface JsTransaction {
  isCredit: boolean; amount: number; valueDate: string; entryDate: string; description: string;
  customerReference: string; bankReference: string; currency: string;
}
interface JsStatement { accountId: string; number: string; openingBalance: JsBalance; closingBalance: JsBalance; transactions: JsTransaction[] }

const jsAmount = (isCredit: boolean, value: number) => `${isCredit ? '' : '-'}${value.toFixed(2)}`;

function compareMt940js(t: Test, ours: ParsedStatement[], expected: JsStatement[]) {
  t.equal(ours.length, expected.length, 'statements');
  expected.forEach((e, i) => {
    const s = ours[i];
    t.equal(s.account, e.accountId, `statement ${i + 1} account`);
    t.equal(s.number?.split('/')[0], e.number, 'statement number');
    t.equal(s.currency, e.openingBalance.currency);
    t.equal(s.opening!.date, e.openingBalance.date);
    t.equal(eur(s.opening!.amount), jsAmount(e.openingBalance.isCredit, e.openingBalance.value), 'opening');
    t.equal(s.closing!.date, e.closingBalance.date);
    t.equal(eur(s.closing!.amount), jsAmount(e.closingBalance.isCredit, e.closingBalance.value), 'closing');
    t.equal(s.lines.length, e.transactions.length, 'lines');
    e.transactions.forEach((x, k) => {
      const l = s.lines[k];
      t.equal(eur(l.amount), jsAmount(x.isCredit, x.amount), `line ${k + 1} amount`);
      t.equal(l.valueDate, x.valueDate);
      t.equal(l.date, x.entryDate || x.valueDate, 'booking date is the entry date when there is one');
      t.equal(l.bankTransactionId, x.bankReference || undefined);
      t.equal(l.reference, x.customerReference || x.bankReference || undefined);
      // mt940-js keeps the whole :86: text; ours is its remittance part (REMI) or the whole text.
      t.ok(noSpace(x.description).includes(noSpace(l.description)), `description '${l.description}' comes from '${x.description}'`);
    });
  });
}

t.test('mt940-js fixtures match that library\'s parse', async (t) => {
  const dir = path.join(FIXTURES, 'mt940/mt940-js');
  const files = readdirSync(dir).filter((f) => /\.(sta|mta)$/i.test(f));
  t.equal(files.length, 6);
  for (const file of files) {
    const expected = fixtureJson<JsStatement[]>(`mt940/mt940-js/${file.replace(/\.[^.]+$/, '.json')}`);
    const result = await mt940(fixture(`mt940/mt940-js/${file}`));
    if (file === 'base-1.mta') {
      // Deutsche Mark is no current currency: read as the file writes it, and said (issue #14).
      t.equal(result.statements[0].currency, 'DEM');
      t.match(result.statements[0].warnings, [/^line 10: currency DEM is no longer in use \(the euro replaced it\)/]);
    }
    t.test(file, async (t) => compareMt940js(t, result.statements, expected));
  }
});

t.test('mt940-js: balances, statement-level :86:, headers and ING trailers', async (t) => {
  const abn = (await mt940(fixture('mt940/mt940-js/abn-amro-1.STA'))).statements[0];
  // Hand-written sample: 3148,49 + 5,41 is not 2940,39.
  t.same(balanceCheck(abn), { expected: 315390n, actual: 294039n, difference: -21351n });
  t.equal(abn.lines[0].counterparty, 'TT TEST');
  t.equal(abn.lines[0].counterpartyAccount, 'NL****');
  t.equal(abn.lines[0].description, 'TRANSFER OWN MONEY');
  t.equal(abn.lines[0].reference, undefined, 'EREF NOTPROVIDED is no reference');
  const ing = (await mt940(fixture('mt940/mt940-js/ing-1.mta'))).statements;
  t.equal(ing.length, 1);
  t.equal(ing[0].account, '0111111111', 'leading zero kept');
  t.equal(balanceCheck(ing[0]).difference, 0n);
  t.equal(ing[0].lines[2].description, 'VERZAMELBETALING BATCH-ID: 012345 TOTAAL 198 POSTEN');
  const ing2 = (await mt940(fixture('mt940/mt940-js/ing-2.mta'))).statements[0];
  t.same(ing2.lines, []);
  t.equal(balanceCheck(ing2).difference, 0n);
  const base3 = (await mt940(fixture('mt940/mt940-js/base-3.mta'))).statements;
  t.same(base3.map((s) => s.account), ['NL95KNAB0011223344', 'NL95KNAB0255499590'], 'two SWIFT envelopes, two statements');
  t.equal(base3[1].lines[0].counterparty, 'WORLDPAY CUSTOMER PAYMENTS');
  t.equal(base3[1].lines[0].counterpartyAccount, 'NL59ABNA0626226163');
});

interface BpAmount { amount: string; currency: string | null }
interface BpBalance { amount: BpAmount; date: string; status: string }
interface BpTransaction {
  amount: BpAmount; date: string; entry_date?: string | null; bank_reference?: string | null; customer_reference?: string | null;
  applicant_name?: string | null; applicant_iban?: string | null; end_to_end_reference?: string | null; purpose?: string | null;
  transaction_reference?: string; funds_code?: string; id?: string; status?: string;
}
interface Bp {
  statement: { account_identification?: string; final_opening_balance?: BpBalance; final_closing_balance?: BpBalance; statement_number?: string; sequence_number?: string; transaction_reference?: string };
  transactions: BpTransaction[];
}

const minor = (a: BpAmount | string) => parseAmount(typeof a === 'string' ? a : a.amount, 'EUR', { allowNegative: true, allowZero: true });

function compareBpLine(t: Test, l: ParsedLine, x: BpTransaction, label: string) {
  // python-mt940 leaves reversals unsigned; a reversed credit (RC) takes money out, and the
  // statements only add up read that way.
  t.equal(l.amount, x.status === 'RC' ? -minor(x.amount) : minor(x.amount), `${label} amount`);
  t.equal(l.valueDate, x.date, `${label} value date`);
  t.equal(l.date, x.entry_date ?? x.date, `${label} booking date`);
  t.equal(l.bankTransactionId, x.bank_reference ?? undefined, `${label} bank reference`);
  t.equal(l.counterparty, x.applicant_name ? squash(x.applicant_name) : undefined, `${label} counterparty`);
  t.equal(l.counterpartyAccount, x.applicant_iban ?? undefined, `${label} counterparty account`);
  if (x.end_to_end_reference === 'NONREF') t.not(l.reference, 'NONREF', `${label} EREF+NONREF is no reference`);
  else if (x.end_to_end_reference) t.equal(l.reference, x.end_to_end_reference, `${label} end-to-end reference`);
  // python-mt940 stops the purpose at ?29; ?60–?63 continue it and are read too.
  if (x.purpose) t.ok(l.description.startsWith(squash(x.purpose)), `${label} purpose`);
}

for (const name of ['sepa_mt9401', 'sepa_snippet', 'with_binary_character']) {
  t.test(`betterplace ${name}: every line, the last statement, each statement's own balance`, async (t) => {
    const expected = fixtureJson<Bp>(`mt940/betterplace/${name}.expected.json`);
    const { statements } = await mt940(fixture(`mt940/betterplace/${name}.sta`));
    const lines = statements.flatMap((s) => s.lines);
    t.equal(lines.length, expected.transactions.length, 'lines');
    expected.transactions.forEach((x, i) => compareBpLine(t, lines[i], x, `line ${i + 1}`));
    const last = statements.at(-1)!;
    const e = expected.statement;
    t.equal(last.account, e.account_identification);
    t.equal(last.number, `${e.statement_number}/${e.sequence_number}`);
    t.equal(last.opening!.date, e.final_opening_balance!.date);
    t.equal(last.opening!.amount, minor(e.final_opening_balance!.amount));
    t.equal(last.closing!.date, e.final_closing_balance!.date);
    t.equal(last.closing!.amount, minor(e.final_closing_balance!.amount));
    // Statements are told apart by their :20: reference, which the expected lines carry.
    const refs = [...new Set(expected.transactions.map((x) => x.transaction_reference))];
    t.ok(statements.length >= refs.length);
    const differences = statements.map((s) => balanceCheck(s).difference);
    if (name === 'sepa_snippet') {
      // The snippet leaves out one 300,08 line of the second statement: it does not add up.
      t.same(differences, [0n, 30008n]);
    } else {
      t.ok(differences.every((d) => d === 0n), `all ${statements.length} statements add up`);
    }
  });
}

t.test('betterplace with_binary_character: UTF-8 umlauts read as such', async (t) => {
  const r = await mt940(fixture('mt940/betterplace/with_binary_character.sta'));
  t.equal(r.encoding, 'utf-8');
  t.equal(r.statements[1].lines[0].description, 'Belegloser ZahlungsauftragÜberweisung:19.03.2010Anzahl Posten :7Anw-Nr.: 69725663086');
});

t.test('betterplace fragments: fields read as expected, the incomplete statement refused with its line', async (t) => {
  const read = (name: string) => mt940Fields(fixture(`mt940/betterplace/${name}.sta`).toString('utf8'));

  const amounts = read('amount_formats');
  const warnings: string[] = [];
  t.same(amounts.map((f) => eur(parseMt940Balance(f).amount)), ['380115.12', '380115.10', '380115.00', '0.12', '0.12', '1.12']);
  const final = fixtureJson<Bp>('mt940/betterplace/amount_formats.expected.json').statement.final_opening_balance!;
  t.equal(parseMt940Balance(amounts.at(-1)!).amount, minor(final.amount));
  t.equal(parseMt940Balance(amounts.at(-1)!).date, final.date);
  t.match((await problemOf(() => mt940(fixture('mt940/betterplace/amount_formats.sta')))).detail, /^line 2: a second opening balance/);

  const [account] = read('currency_in_25');
  // The expected keeps "…EUR" in the account; we split the currency off (it is not an IBAN).
  t.equal(fixtureJson<Bp>('mt940/betterplace/currency_in_25.expected.json').statement.account_identification, '51210600/9223382012EUR');
  t.same(parseMt940Account(account), { account: '51210600/9223382012', currency: 'EUR' });
  t.same(parseMt940Account({ tag: '25', lines: ['MU17BOMM0101101030300200000MUR'], line: 1, afterBlockEnd: false }), { account: 'MU17BOMM0101101030300200000MUR' }, 'an IBAN ending in a currency code stays whole');
  t.match((await problemOf(() => mt940(fixture('mt940/betterplace/currency_in_25.sta')))).detail, 'line 1: the statement starting on line 1 has no :60F: opening balance');

  const empty86 = read('empty_86');
  t.same(empty86.map((f) => [f.tag, f.lines]), [['86', ['091']]], 'the block end "-" is not part of :86:');
  t.match((await problemOf(() => mt940(fixture('mt940/betterplace/empty_86.sta')))).detail, /no MT940 statement found/);

  const [entryField] = read('empty_entry_date');
  const x = fixtureJson<Bp>('mt940/betterplace/empty_entry_date.expected.json').transactions[0];
  const entry = parseMt940Entry(entryField, 'EUR', warnings);
  t.match(entry, { valueDate: x.date, entryDate: undefined, mark: x.status, fundsCode: x.funds_code, transactionType: x.id, customerReference: x.customer_reference });
  t.equal(entry.amount, minor(x.amount));

  const emptyLine = read('empty_line');
  t.same(emptyLine.map((f) => [f.tag, f.lines, f.line]), [['20', ['TELEREPORTING'], 2]]);
  t.equal(fixtureJson<Bp>('mt940/betterplace/empty_line.expected.json').statement.transaction_reference, 'TELEREPORTING');

  const [closing] = read('missing_crlf_at_end');
  const fcb = fixtureJson<Bp>('mt940/betterplace/missing_crlf_at_end.expected.json').statement.final_closing_balance!;
  t.same(parseMt940Balance(closing), { date: fcb.date, currency: 'EUR', amount: minor(fcb.amount) });
  t.same(warnings, []);
});

t.test('betterplace sepa_snippet_broken: a :25: inside a line\'s details is refused on its line', async (t) => {
  // A new :25: after the opening balance starts the next account's statement (issue #14); this one
  // is a wrapped :86: whose continuation begins with ':25:', four lines long: no account number.
  const p = await problemOf(() => mt940(fixture('mt940/betterplace/sepa_snippet_broken.sta')));
  t.equal(p.detail, 'line 6: :25: account runs over 4 lines; it is one line');
  const expected = fixtureJson<Bp>('mt940/betterplace/sepa_snippet_broken.expected.json');
  const fields = mt940Fields(fixture('mt940/betterplace/sepa_snippet_broken.sta').toString('utf8'));
  const w: string[] = [];
  const byTag = (tag: string) => fields.find((f) => f.tag === tag)!;
  t.equal(parseMt940Balance(byTag('60F')).amount, minor(expected.statement.final_opening_balance!.amount));
  t.equal(parseMt940Balance(byTag('62F')).amount, minor(expected.statement.final_closing_balance!.amount));
  const e = parseMt940Entry(byTag('61'), 'EUR', w);
  t.match(e, { valueDate: '2007-09-07', entryDate: '2007-09-04', bankReference: expected.transactions[0].bank_reference, customerReference: 'NONREF' });
  t.equal(e.amount, minor(expected.transactions[0].amount));
});

const statement = (body: string) => `:20:TEST\n:25:0011001234567\n:28C:1/1\n${body}\n-`;

t.test('dates: entry dates roll over the year end; a date that does not exist is refused on its line', async (t) => {
  const r = await mt940(statement(':60F:C091231EUR1,00\n:61:0912310102C1,00NTRFNONREF\n:61:1001021231D1,00NTRFNONREF\n:62F:C100102EUR1,00'));
  const s = r.statements[0];
  t.equal(s.account, '0011001234567');
  t.same(s.warnings, []);
  t.match(s.lines, [{ valueDate: '2009-12-31', date: '2010-01-02' }, { valueDate: '2010-01-02', date: '2009-12-31' }]);
  t.match((await problemOf(() => mt940(statement(':60F:C100230EUR1,00\n:62F:C100101EUR1,00')))).detail, "line 4: date '100230' does not exist (February 2010 has 28 days)");
  t.match((await problemOf(() => mt940(statement(':60F:C101301EUR1,00\n:62F:C100101EUR1,00')))).detail, "line 4: date '101301': there is no month 13");
});

t.test('marks: D and RC take money out, C and RD bring it in; funds codes are skipped', async (t) => {
  const s = (await mt940(statement(':60F:C100101EUR100,\n:61:100101C1,NTRFNONREF\n:61:100101D2,NTRFNONREF\n:61:100101RC4,NTRFNONREF\n:61:100101RD8,NTRFNONREF\n:61:100101CR16,NTRFNONREF//B1\n:62F:C100101EUR119,'))).statements[0];
  t.same(s.lines.map((l) => l.amount), [100n, -200n, -400n, 800n, 1600n]);
  t.equal(balanceCheck(s).difference, 0n);
  t.equal(s.lines[4].reference, 'B1', 'no customer reference: the bank reference');
});

t.test('malformed input is a 400 naming the line and the reason', async (t) => {
  const cases: [string, string][] = [
    [':60F:C100101EUR1,00\n:61:1001010101C12,3,4NTRFNONREF\n:62F:C100101EUR1,00', "line 5: :61: amount '12,3,4' is not a number"],
    [':60F:C100101EUR1,00\n:61:1001010101X1,00NTRF\n:62F:C100101EUR1,00', "line 5: :61: '1001010101X1,00NTRF' has no debit/credit mark (C, D, RC or RD) after the date"],
    [':60F:C100101EUR1,005\n:62F:C100101EUR1,00', "line 4: amount '1,005' has 3 decimals; EUR has 2"],
    [':60F:C100101EUR1.00\n:62F:C100101EUR1,00', "line 4: :60F: amount '1.00' is not a number"],
    [':60F:X100101EUR1,00\n:62F:C100101EUR1,00', 'line 4: :60F: balance'],
    [':60F:C100101EUR1,00\n:62F:C100101USD1,00', 'line 5: closing balance in USD but the opening balance is in EUR'],
    [':61:100101C1,NTRFNONREF\n:62F:C100101EUR1,00', 'line 4: :61: statement line comes before the :60F: opening balance'],
  ];
  for (const [body, detail] of cases) {
    const p = await problemOf(() => mt940(statement(body)));
    t.equal(p.status, 400);
    t.match(p.detail, detail, body);
  }
  t.match((await problemOf(() => mt940('just some text\nno fields'))).detail, /no MT940 field found/);
  // Read with a warning since issue #14: a line without a transaction type, a statement without :62F:.
  const untyped = (await mt940(statement(':60F:C100101EUR1,00\n:61:1001010101C1,00\n:62F:C100101EUR2,00'))).statements[0];
  t.match(untyped, { lines: [{ amount: 100n }], warnings: [/^line 5: :61: '1001010101C1,00' has no transaction type \(N, S or F and three characters\) after the amount; the rest of the line is read as the reference$/] });
  const open = (await mt940(statement(':60F:C100101EUR1,00'))).statements[0];
  t.same(open.closing, { date: '2010-01-01', amount: 100n, computed: true });
  t.match(await problemOf(() => parseStatement(Buffer.from(''), 'mt940')), { detail: 'the file is empty' });
  t.match(await problemOf(() => parseStatement(Buffer.from('x'), 'mt942')), { field: 'format' });
});

t.test('blank lines, CR line ends, control characters (not NUL) and no final line break are read', async (t) => {
  const text = '\r\n:20:X\r\n\r\n:25:123\x01\r:60F:C100101EUR1,00\n:61:100101C1,00NTRFNONREF\n:86:\n:62F:C100101EUR2,00';
  const s = (await mt940(text)).statements[0];
  // A NUL is no control character a bank writes, and PostgreSQL cannot store it: refused on its line.
  t.match(await problemOf(() => mt940(text.replace('\x01', '\x00'))), { status: 400, detail: /^line 4: the file holds a NUL character/ });
  t.equal(s.account, '123');
  t.equal(s.lines[0].description, '', 'an empty :86: is an empty description');
  t.same(toJson({ format: 'mt940', statements: [s], warnings: [] }), {
    format: 'mt940',
    statements: [{
      account: '123', currency: 'EUR', number: undefined, opening: { date: '2010-01-01', amount: '1.00' }, closing: { date: '2010-01-01', amount: '2.00' },
      lines: [{ date: '2010-01-01', valueDate: '2010-01-01', amount: '1.00', description: '' }],
    }].map(({ number: _n, ...rest }) => rest),
  });
});

t.test('fuzzing: random and mutated MT940 input only ever ends in a 400', async (t) => {
  const dir = path.join(FIXTURES, 'mt940');
  const seeds = ['mt940-js', 'betterplace'].flatMap((d) => readdirSync(path.join(dir, d)).filter((f) => /\.(sta|mta)$/i.test(f) && f !== 'sepa_mt9401.sta').map((f) => fixture(`mt940/${d}/${f}`)));
  const started = Date.now();
  await assertOnlyProblems('mt940', seeds, {}, 300);
  t.ok(Date.now() - started < 15_000, 'quickly');
});
