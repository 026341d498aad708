/**
 * The same statement sent again: its own lines are recognised and skipped; a file that gives the
 * stored statement lines it does not have is refused with the balance explained (or, forced,
 * added with the difference kept), so a stored statement always says whether it adds up.
 */
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';

const BASE = '/api/bank-reconciliation';

/** A camt.053 statement (id STMT-0301) with one entry of 500,000 ₫, without entry references. */
const camt = (text: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-0301</Id><CreDtTm>2026-03-02T18:00:00</CreDtTm>
<Acct><Id><Othr><Id>0071000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">10000000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">10500000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
<Ntry><Amt Ccy="VND">500000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>
<BkTxCd/><NtryDtls><TxDtls><RmtInf><Ustrd>${text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`);

const send = (h: TestApp, file: Buffer, q = '') => h.app.inject({ method: 'POST', url: `${BASE}/statements?format=camt053${q}`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/xml' } });

t.test('a statement sent again with other entry texts is refused with the balance explained', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  const first = await send(h, camt('TIEN HANG HD 1'));
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json().imported, 1);

  const same = await send(h, camt('TIEN HANG HD 1'));
  t.equal(same.statusCode, 201, 'the same file again');
  t.same([same.json().imported, same.json().duplicatesSkipped], [0, 1], 'its line is recognised');

  for (const text of ['TIEN HANG HD 1 (SUA)', 'THANH TOAN LAN 3']) {
    const other = await send(h, camt(text));
    t.equal(other.statusCode, 422, `"${text}" refused`);
    t.equal(other.json().type, 'urn:congno:problem:statement-conflict');
    t.equal(other.json().field, 'file');
    t.match(other.json().detail, /statement STMT-0301 of account 0071000123456 .*already imported with 1 lines; this file has 1 lines that are not among them/);
    t.match(other.json().detail, /opening 10000000 \+ movements 500000 = closing 10500000; with these lines it would be 11000000 \(difference 500000\)/);
  }
  const lines = await sql<{ n: bigint }>`select count(*) as n from bank_reconciliation_line`.execute(h.db);
  t.equal(Number(lines.rows[0].n), 1, 'the statement still has its one line');
  const statements = await sql<{ n: bigint }>`select count(*) as n from bank_reconciliation_statement`.execute(h.db);
  t.equal(Number(statements.rows[0].n), 1);

  const forced = await send(h, camt('THANH TOAN LAN 3'), '&force=true');
  t.equal(forced.statusCode, 201, forced.body);
  t.equal(forced.json().imported, 1);
  t.match(forced.json().warnings.join(' '), /Imported anyway \(force=true\)/);
  const stored = await sql<{ balance_difference: bigint | null }>`select balance_difference from bank_reconciliation_statement`.execute(h.db);
  t.equal(stored.rows[0].balance_difference, 500000n, 'the stored statement keeps its difference');
});

t.test('an OFX file with a transaction that cannot be read is not imported without it, unless forced', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });
  const file = Buffer.from(`OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>VND
<BANKACCTFROM><BANKID>970422<ACCTID>0071000123456<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260301<DTEND>20260302
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260302<TRNAMT>500000<FITID>A1<MEMO>TIEN HANG</STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260230<TRNAMT>700000<FITID>A2<MEMO>NGAY SAI</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>11200000<DTASOF>20260302</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`);
  const send = (q = '') => h.app.inject({ method: 'POST', url: `${BASE}/statements?format=ofx${q}`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/x-ofx' } });
  const refused = await send();
  t.equal(refused.statusCode, 422);
  t.equal(refused.json().type, 'urn:congno:problem:statement-incomplete');
  t.match(refused.json().detail, /1 transaction of the file cannot be read and would be left out: line 9: date '20260230' does not exist/, refused.body);
  t.equal(Number((await sql<{ n: bigint }>`select count(*) as n from bank_reconciliation_line`.execute(h.db)).rows[0].n), 0, 'nothing imported');
  const parsed = await h.app.inject({ method: 'POST', url: `${BASE}/parse?format=ofx`, payload: file, headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/x-ofx' } });
  t.equal(parsed.statusCode, 200, 'a parse still shows the file, with the warning');
  t.match(parsed.json().warnings.join(' '), /transaction discarded/);
  const forced = await send('&force=true');
  t.equal(forced.statusCode, 201, forced.body);
  t.equal(forced.json().imported, 1);
});
