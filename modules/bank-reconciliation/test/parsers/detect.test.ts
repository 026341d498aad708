/**
 * A clerk need not name the format: every public sample statement is told from its content and
 * read exactly as with its format given; what is not a statement still says so.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { detectFormat, parseStatement, toJson } from '../../parsers/index.js';
import { closeSpreadsheetWorkers } from '../../../../core/spreadsheet.js';
import { sheetXlsx } from '../../../../test/helpers/xlsx.js';
import { FIXTURES, fixture, problemOf } from './helpers.js';

t.teardown(() => closeSpreadsheetWorkers());

const samples = (dir: string, ext: RegExp) => readdirSync(path.join(FIXTURES, dir), { recursive: true }).map(String).filter((f) => ext.test(f)).map((f) => path.join(dir, f));

t.test('every sample is told from its content, and reads the same as with its format given', async (t) => {
  const cases: Array<[string, string]> = [
    ...samples('mt940', /\.(sta|mta|txt|mt940)$/i).map((f) => [f, 'mt940'] as [string, string]),
    ...samples('camt', /camt053.*\.xml$/).map((f) => [f, 'camt053'] as [string, string]),
    ...samples('camt', /camt054.*\.xml$/).map((f) => [f, 'camt054'] as [string, string]),
    ...samples('ofx', /\.ofx$/).map((f) => [f, 'ofx'] as [string, string]),
  ];
  t.ok(cases.length >= 20, `${cases.length} samples`);
  for (const [file, format] of cases) {
    const bytes = fixture(file);
    t.equal(detectFormat(bytes), format, file);
    const given = await parseStatement(bytes, format).then(toJson, (err: Error) => err.message);
    const told = await parseStatement(bytes, undefined).then(toJson, (err: Error) => err.message);
    t.same(told, given, `${file}: the same result`);
  }
});

t.test('CSV and XLSX by their content; an unknown file asks for the format', async (t) => {
  const csv = Buffer.from('\ufeffNgày giao dịch;Số tiền ghi có;Số dư;Nội dung\r\n05/03/2026;1.000;1.000;TT HD1\r\n');
  t.equal(detectFormat(csv), 'csv');
  t.equal(detectFormat(sheetXlsx([['Ngày'], ['05/03/2026']])), 'xlsx');
  t.equal(detectFormat(Buffer.from('{1:F01BANKVNVXAXXX0000000000}{4:\r\n:20:X\r\n:25:1\r\n-}')), 'mt940');
  t.equal(detectFormat(Buffer.from('<?xml version="1.0"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n<OFX></OFX>')), 'ofx');
  const xml = await problemOf(async () => parseStatement(Buffer.from('<?xml version="1.0"?><invoice/>'), undefined));
  t.match(xml, { status: 400, field: 'query.format', detail: /neither a camt\.052\/053\/054 statement nor OFX/ });
  const prose = await problemOf(async () => parseStatement(Buffer.from('Kính gửi quý khách\nCảm ơn'), undefined));
  t.match(prose, { status: 400, field: 'query.format', detail: /cannot be told from its content; give format=/ });
});

t.test('a NUL in a text statement is refused, naming its line', async (t) => {
  const csv = Buffer.from('Ngày giao dịch,Số tiền ghi có,Số dư,Nội dung\r\n05/03/2026,1.000,1.000,TT\u0000HD1\r\n');
  t.match(await problemOf(() => parseStatement(csv, 'csv')), { status: 400, detail: /^line 2: the file holds a NUL character/ });
});
