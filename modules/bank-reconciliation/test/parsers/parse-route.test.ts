/**
 * Issue #11 through HTTP: the inputs that crashed or hung the parsers are 400 problem documents
 * naming the line and the limit, not 500s, on `POST /api/bank-reconciliation/parse` and on the
 * import route that reads the same files.
 */
import t, { type Test } from 'tap';
import { buildTestApp, type TestApp } from '../../../../test/helpers/build-test-app.js';
import { MAX_OFX_DEPTH } from '../../parsers/ofx.js';
import { MAX_XML_ELEMENTS } from '../../../../core/xml.js';

const BASE = '/api/bank-reconciliation';
const send = (h: TestApp, url: string, file: string, type: string) =>
  h.app.inject({ method: 'POST', url: `${BASE}${url}`, payload: Buffer.from(file, 'utf8'), headers: { authorization: `Bearer ${h.token}`, 'content-type': type } });

function isProblem(t: Test, res: Awaited<ReturnType<typeof send>>, detail: string | RegExp, what: string) {
  t.equal(res.statusCode, 400, `${what}: 400 (${res.body.slice(0, 200)})`);
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
  t.match(res.json(), { status: 400, detail }, what);
}

t.test('statement files that overflowed or moved values are 400 problem documents over HTTP', async (t) => {
  const h = await buildTestApp(t, { modules: ['bank-reconciliation'] });

  isProblem(t, await send(h, '/parse?format=ofx', `<OFX>${'<A>'.repeat(50_000)}`, 'application/x-ofx'),
    `line 1: elements are nested more than ${MAX_OFX_DEPTH} levels deep`, 'OFX + 50,000 <A>');
  isProblem(t, await send(h, '/parse?format=ofx', `<OFX>${'<STMTTRN><TRNAMT>1'.repeat(200_000)}`, 'application/x-ofx'),
    `line 1: elements are nested more than ${MAX_OFX_DEPTH} levels deep`, 'OFX + 200,000 <STMTTRN><TRNAMT>1');
  isProblem(t, await send(h, '/parse?format=camt053', `<Document>${'<a/>'.repeat(MAX_XML_ELEMENTS + 1)}</Document>`, 'application/xml'),
    `line 1: the XML has more than ${MAX_XML_ELEMENTS} elements`, 'camt with too many elements');

  const mt940 = ':20:X\r\n:25:0011001234567\r\n:60F:C260201VND0,\r\n:61:260230C5,NTRFNONREF\r\n:62F:C260228VND5,\r\n-';
  isProblem(t, await send(h, '/parse?format=mt940', mt940, 'text/plain'), "line 4: date '260230' does not exist (February 2026 has 28 days)", 'MT940 30 February');
  isProblem(t, await send(h, '/statements?format=mt940', mt940, 'text/plain'), "line 4: date '260230' does not exist", 'MT940 30 February, imported');

  const csv = 'Số tài khoản: 0011001234567\nNgày giao dịch,Nội dung,Số tiền ghi nợ,Số tiền ghi có,Số dư\n02/01/2026,TT HD 1,,-1,10\n';
  isProblem(t, await send(h, '/parse?format=csv', csv, 'text/csv'), "line 3: amount '-1' in the money-in (credit) column 'Số tiền ghi có' is negative", 'CSV negative credit');
  isProblem(t, await send(h, '/parse?format=csv', csv.replace(',,-1,', ',,1,').replace('02/01/2026', '30/02/2026'), 'text/csv'), "line 3: date '30/02/2026' does not exist", 'CSV 30 February');
});
