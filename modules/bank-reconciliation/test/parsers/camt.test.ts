import t from 'tap';
import { balanceCheck, parseStatement, toJson } from '../../parsers/index.js';
import { assertOnlyProblems, fixture, fixtureJson, problemOf } from './helpers.js';

const camt = (bytes: Buffer | string, format = 'camt053') => parseStatement(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8'), format);

/** The parts of genkgo/camt's dump that map onto a statement line. */
interface GenkgoEntry {
  getAmount: { getAmount: string; getCurrency: { getCode: string } };
  getCreditDebitIndicator: string;
  getBookingDate: { 0: string };
  getValueDate?: { 0: string };
  getAccountServicerReference?: string | null;
  getTransactionDetail: GenkgoDetail;
  /** The first is written "__RECURSIVITY__": it is getTransactionDetail. */
  getTransactionDetails: Array<GenkgoDetail | string>;
  getRecord: { getAccount: { getIdentification: string }; getBalances?: Array<{ getType: string; getAmount: { getAmount: string; getCurrency: { getCode: string } }; getDate: { 0: string } }> };
}
interface GenkgoDetail {
    getReference?: { getEndToEndId?: string | null } | null;
    getRelatedParties?: Array<{ getRelatedPartyType: { __CLASS__: string; getName?: string | null }; getAccount?: { getIdentification?: string } | null }>;
  getRemittanceInformation?: { getMessage?: string | null } | null;
}
interface Genkgo { getEntries: GenkgoEntry[]; getRecords: unknown[] }

/** genkgo turns date-times into UTC; the bank's calendar date is what a statement line keeps. */
const day = (iso: string) => iso.slice(0, 10);

for (const name of ['camt053.v2.minimal', 'camt053.v2.multi.statement', 'camt053.v4', 'camt054.v2']) {
  t.test(`${name}: entries, accounts and balances as genkgo/camt reads them`, async (t) => {
    const expected = fixtureJson<Genkgo>(`camt/${name}.json`);
    const result = await camt(fixture(`camt/${name}.xml`), name.startsWith('camt054') ? 'camt054' : 'camt053');
    t.equal(result.statements.length, expected.getRecords.length, 'one statement per record');
    // The dump shows the entries of the last record in full.
    const s = result.statements.at(-1)!;
    t.equal(s.lines.length, expected.getEntries.length);
    expected.getEntries.forEach((e, i) => {
      const l = s.lines[i];
      t.equal(s.account, e.getRecord.getAccount.getIdentification);
      t.equal(s.currency, e.getAmount.getCurrency.getCode);
      t.equal(l.amount, BigInt(e.getAmount.getAmount), 'signed minor units');
      t.equal(l.amount < 0n, e.getCreditDebitIndicator === 'DBIT');
      t.equal(l.date, name.startsWith('camt054') ? '2007-10-18' : day(e.getBookingDate[0]));
      t.equal(l.valueDate, e.getValueDate ? day(e.getValueDate[0]) : undefined);
      t.equal(l.bankTransactionId, e.getAccountServicerReference ?? undefined);
      const details = [e.getTransactionDetail, ...e.getTransactionDetails.filter((d): d is GenkgoDetail => typeof d !== 'string')];
      const e2e = details.map((d) => d.getReference?.getEndToEndId).find((x) => x);
      t.equal(l.reference, e2e ?? e.getAccountServicerReference ?? undefined);
      for (const d of details) {
        const message = d.getRemittanceInformation?.getMessage;
        if (message) t.ok(l.description.includes(message), `description holds '${message}'`);
        // Only the party on the other side counts: the debtor of a credit, the creditor of a debit.
        const other = d.getRelatedParties?.find((p) => p.getRelatedPartyType.__CLASS__.endsWith(l.amount < 0n ? '\\Creditor' : '\\Debtor'));
        if (other) {
          t.equal(l.counterparty, other.getRelatedPartyType.getName ?? undefined);
          if (other.getAccount?.getIdentification) t.equal(l.counterpartyAccount, other.getAccount.getIdentification);
        }
      }
      const balances = (e.getRecord.getBalances ?? []).filter((b) => b.getAmount.getCurrency.getCode === s.currency);
      const opening = balances.find((b) => b.getType === 'opening');
      const closing = balances.find((b) => b.getType === 'closing');
      t.same(s.opening && { date: s.opening.date, amount: s.opening.amount }, opening && { date: day(opening.getDate[0]), amount: BigInt(opening.getAmount.getAmount) });
      t.same(s.closing && { date: s.closing.date, amount: s.closing.amount }, closing && { date: day(closing.getDate[0]), amount: BigInt(closing.getAmount.getAmount) });
    });
  });
}

t.test('camt053 multi statement: both statements, each adds up', async (t) => {
  const { statements } = await camt(fixture('camt/camt053.v2.multi.statement.xml'));
  t.same(toJson({ format: 'camt053', statements, warnings: [] }).statements[0], {
    account: 'NL26VAYB8060476890', currency: 'EUR', number: '12312',
    opening: { date: '2014-12-30', amount: '18.15' }, closing: { date: '2014-12-31', amount: '27.00' },
    // A credit whose only party is the creditor (the account owner) has no counterparty.
    lines: [{ date: '2014-12-31', valueDate: '2015-01-02', amount: '8.85', reference: '000000001', description: 'Transaction Description 1' }],
  });
  t.same(statements.map((s) => balanceCheck(s).difference), [0n, 0n]);
  t.equal(statements[1].number, '254EURNL26VAYB8060476890', 'without sequence numbers the statement id');
});

t.test('mixed currencies: a balance in another currency is left out with a warning', async (t) => {
  for (const name of ['camt053.v2.minimal', 'camt053.v4']) {
    const s = (await camt(fixture(`camt/${name}.xml`))).statements[0];
    t.equal(s.currency, 'EUR');
    t.equal(s.closing, undefined);
    t.match(s.warnings, [/Stmt\/Bal\[2\]\/Amt: CLBD balance is in SEK but the account is in EUR; it is left out/, /no closing balance \(CLBD\) in EUR/]);
    t.same(balanceCheck(s), { expected: 1815n + 885n, actual: null, difference: null });
    t.match(s.lines[0].description, '4654654654654654', 'the creditor reference is in the description');
  }
});

t.test('camt054: no balances (absent, warned), one line for three TxDtls without amounts', async (t) => {
  const r = await camt(fixture('camt/camt054.v2.xml'), 'camt054');
  const s = r.statements[0];
  t.equal(s.opening, undefined);
  t.equal(s.closing, undefined);
  t.match(s.warnings, [/camt.054 notification carries no balances/]);
  t.equal(s.lines.length, 1);
  t.equal(s.lines[0].counterparty, undefined, 'a debit names its creditor; this one names only the debtor');
  t.equal(s.lines[0].description, 'Unstructured Remittance Information V1 ISR ref number V1 Additional Remittance Information V1 ISR ref number V2 Additional Remittance Information V2 Unstructured Remittance Information V3 block 1 Unstructured Remittance Information V3 block 2 Ref number V3 block 1 Additional Remittance Information V3 block 1 Ref number V3 block 2 Additional Remittance Information V3 block 2');
  t.same(balanceCheck(s), { expected: null, actual: null, difference: null });
  t.same((await camt(fixture('camt/camt054.v2.xml'), 'camt053')).statements, r.statements, 'the format names are aliases');
});

const doc = (entries: string, bal = '') => `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>S1</Id>
<Acct><Id><Othr><Id>0011001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>${bal}
${entries}</Stmt></BkToCstmrStmt></Document>`;
const bal = (code: string, amount: string, ind = 'CRDT', ccy = 'VND') => `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Dt><Dt>2026-01-31</Dt></Dt></Bal>`;
const tx = (amount: string, extra = '') => `<TxDtls><Refs><EndToEndId>E${amount}</EndToEndId></Refs><Amt Ccy="VND">${amount}</Amt>${extra}</TxDtls>`;
const ntry = (amount: string, details: string, more = '') => `<Ntry><Amt Ccy="VND">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-01-31T23:30:00+07:00</DtTm></BookgDt><AcctSvcrRef>B1</AcctSvcrRef>${more}<NtryDtls>${details}</NtryDtls></Ntry>`;

t.test('a batch entry is split into its TxDtls when they carry amounts that add up', async (t) => {
  const parties = '<RltdPties><Dbtr><Pty><Nm>Công ty TNHH Minh Phát &amp; Co</Nm></Pty></Dbtr><DbtrAcct><Id><Othr><Id>0071000123456</Id></Othr></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>TT HD 0001</Ustrd></RmtInf>';
  const s = (await camt(doc(ntry('1500000', tx('1000000', parties) + tx('500000')), bal('OPBD', '0') + bal('CLBD', '1500000')))).statements[0];
  t.equal(s.account, '0011001234567', 'leading zeros kept');
  t.match(s.lines, [
    { amount: 1000000n, date: '2026-01-31', reference: 'E1000000', bankTransactionId: 'B1#1', counterparty: 'Công ty TNHH Minh Phát & Co', counterpartyAccount: '0071000123456', description: 'TT HD 0001' },
    { amount: 500000n, reference: 'E500000', bankTransactionId: 'B1#2' },
  ]);
  t.equal(balanceCheck(s).difference, 0n);
  const unsplit = (await camt(doc(ntry('1500000', tx('1000000') + tx('400000'))))).statements[0];
  t.equal(unsplit.lines.length, 1);
  t.match(unsplit.warnings, [/no opening balance/, /no closing balance/, /Ntry: the amounts of its 2 TxDtls do not add up/]);
  const pending = (await camt(doc(ntry('5', '').replace('<Cd>BOOK</Cd>', '<Cd>PDNG</Cd>')))).statements[0];
  t.same(pending.lines, []);
  t.ok(pending.warnings.includes('Document/BkToCstmrStmt/Stmt/Ntry: entry with status PDNG (not booked) is left out'));
});

t.test('malformed camt is a 400 naming the element path or the line', async (t) => {
  const cases: [string, string][] = [
    [doc(ntry('1.5', '').replace('<Amt Ccy="VND">1.5</Amt>', '<Amt Ccy="VND">1.5</Amt>')), "Document/BkToCstmrStmt/Stmt/Ntry/Amt: amount '1.5' has 1 decimals; VND has 0"],
    [doc(ntry('-5', '')), "Document/BkToCstmrStmt/Stmt/Ntry/Amt: amount '-5' must be an unsigned decimal number"],
    [doc(ntry('5', '').replace(' Ccy="VND"', '')), 'Document/BkToCstmrStmt/Stmt/Ntry/Amt: Amt has no Ccy attribute'],
    [doc(ntry('5', '').replace('Ccy="VND"', 'Ccy="EUR"')), 'Document/BkToCstmrStmt/Stmt/Ntry/Amt: entry in EUR but the account is in VND'],
    [doc(ntry('5', '').replace('CRDT', 'CRED')), "Document/BkToCstmrStmt/Stmt/Ntry/CdtDbtInd: 'CRED' is neither CRDT nor DBIT"],
    [doc(ntry('5', '').replace('2026-01-31T', '2026-02-31T')), "Document/BkToCstmrStmt/Stmt/Ntry/BookgDt/DtTm: date '2026-02-31T23:30:00+07:00' does not exist (February 2026 has 28 days)"],
    [doc(ntry('5', '').replace(/<BookgDt>.*<\/BookgDt>/, '')), 'Document/BkToCstmrStmt/Stmt/Ntry: entry has neither BookgDt nor ValDt'],
    [doc('').replace(/<Acct>.*<\/Acct>/, ''), 'Document/BkToCstmrStmt/Stmt/Acct/Id: the account has neither an IBAN nor an Othr/Id'],
    [doc('<Ntry>').replace('</Stmt>', '</Stmt>'), 'line 4, column'],
    ['<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Document>&b;</Document>', 'XML with a DOCTYPE or entity declarations is not accepted'],
    ['<Document><BkToCstmrAcctRpt/></Document>', 'Document/BkToCstmrAcctRpt: has no Rpt'],
    ['<Document><BkToCstmrDbtCdtNtfctnV02/></Document>', 'Document: holds neither BkToCstmrStmt (camt.053), BkToCstmrAcctRpt (camt.052) nor BkToCstmrDbtCdtNtfctn (camt.054)'],
    ['<x/>', 'no Document element'],
    ['not xml at all', 'the XML is not well-formed'],
    [`<Document>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</Document>`, 'nested more than 64 levels'],
  ];
  for (const [xml, detail] of cases) {
    const p = await problemOf(() => camt(xml));
    t.equal(p.status, 400);
    t.match(p.detail, detail, detail);
  }
});

t.test('text encodings: the XML declaration is honoured when the bytes are not UTF-8', async (t) => {
  const xml = doc(ntry('5', '<TxDtls><RmtInf><Ustrd>Zahlung für Müller</Ustrd></RmtInf></TxDtls>')).replace('UTF-8', 'ISO-8859-1');
  const r = await camt(Buffer.from(xml, 'latin1'));
  t.equal(r.encoding, 'windows-1252');
  t.equal(r.statements[0].lines[0].description, 'Zahlung für Müller');
});

t.test('fuzzing: random and mutated camt input only ever ends in a 400', async (t) => {
  const seeds = ['camt053.v2.minimal', 'camt053.v2.multi.statement', 'camt053.v4', 'camt054.v2'].map((n) => fixture(`camt/${n}.xml`));
  const started = Date.now();
  await assertOnlyProblems('camt053', seeds, {}, 250);
  t.ok(Date.now() - started < 15_000, 'quickly');
});
