import t from 'tap';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { ProblemError } from '../../../../core/errors.js';
import { balanceCheck, parseStatement, toJson, PRESETS } from '../../parsers/index.js';
import { decode, vietnameseScore } from '../../parsers/decode.js';
import { assertOnlyProblems, problemOf } from './helpers.js';

/** Windows-1258 bytes for a text: precomposed letters where the code page has them, else base letter + tone mark. */
function windows1258(text: string): Buffer {
  const table = new Map<string, number>();
  const d = new TextDecoder('windows-1258');
  for (let b = 0; b < 256; b++) table.set(d.decode(Uint8Array.of(b)), b);
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    if (table.has(ch)) { out.push(table.get(ch)!); continue; }
    // Ệ = E + dot below + circumflex → Ê (a letter of the code page) + dot below (a tone mark).
    const [base, ...marks] = [...ch.normalize('NFD')];
    const tries = [[base, marks], ...marks.map((m, i) => [(base + m).normalize('NFC'), marks.filter((_, j) => j !== i)] as const)];
    const fit = tries.find(([head, rest]) => table.has(head as string) && (rest as string[]).every((m) => table.has(m)));
    if (!fit) throw new Error(`'${ch}' has no Windows-1258 form`);
    out.push(table.get(fit[0] as string)!, ...(fit[1] as string[]).map((m) => table.get(m)!));
  }
  return Buffer.from(out);
}

const VCB = [
  'NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM,,,,,,',
  'SAO KÊ TÀI KHOẢN,,,,,,',
  'Số tài khoản: 0011001234567,,,,,,',
  'Loại tiền: VND,,,,,,',
  ',,,,,,',
  'STT,Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung',
  '1,02/01/2026,FT26002001,,"1.234.567","11.234.567","CTY MINH PHAT TT HD CN0K3W7 đợt 1"',
  '2,03/01/2026,FT26003002,"234.567",,"11.000.000",Phí dịch vụ tháng 12',
  '3,05/01/2026,FT26005003,,"5.000.000","16.000.000","Nguyễn Văn Ánh chuyển tiền, hoá đơn 0042"',
  ',Tổng cộng,,"234.567","6.234.567",,',
].join('\r\n');

const EXPECTED = {
  account: '0011001234567', currency: 'VND',
  opening: { date: '2026-01-02', amount: '10000000' }, closing: { date: '2026-01-05', amount: '16000000' },
  lines: [
    { date: '2026-01-02', amount: '1234567', reference: 'FT26002001', description: 'CTY MINH PHAT TT HD CN0K3W7 đợt 1' },
    { date: '2026-01-03', amount: '-234567', reference: 'FT26003002', description: 'Phí dịch vụ tháng 12' },
    { date: '2026-01-05', amount: '5000000', reference: 'FT26005003', description: 'Nguyễn Văn Ánh chuyển tiền, hoá đơn 0042' },
  ],
};

t.test('Vietnamese preset, UTF-8 with BOM: title rows, leading-zero account, "1.234.567" VND, totals row left out', async (t) => {
  const r = await parseStatement(Buffer.from('\ufeff' + VCB, 'utf8'), 'csv', { preset: 'vietcombank' });
  t.equal(r.encoding, 'utf-8');
  t.same(toJson(r).statements, [EXPECTED]);
  const s = r.statements[0];
  t.equal(balanceCheck(s).difference, 0n);
  t.same(s.warnings, ['line 10: no date; left out (a total or a balance row?)']);
  t.equal(s.lines[0].bankTransactionId, 'FT26002001');
});

t.test('the same statement in Windows-1258 (no BOM, not UTF-8) reads the same', async (t) => {
  const bytes = windows1258(VCB);
  t.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'really not UTF-8');
  t.ok(vietnameseScore(bytes) >= 2);
  for (const preset of Object.keys(PRESETS)) {
    const r = await parseStatement(bytes, 'csv', { preset });
    t.equal(r.encoding, 'windows-1258', preset);
    t.same(toJson(r).statements, [EXPECTED], preset);
    t.match(r.warnings, [/not UTF-8; it was read as windows-1258 \(Vietnamese\)/]);
  }
  // An explicit encoding wins, even a wrong one: read as windows-1252 the headers are garbled.
  t.match(await problemOf(() => parseStatement(bytes, 'csv', { encoding: 'windows-1252' })), { field: 'mapping', detail: /^no header row found/ });
  const garbled = decode(bytes, { encoding: 'windows-1252' });
  t.same([garbled.encoding, garbled.warnings], ['windows-1252', []]);
  t.not(garbled.text, VCB);
  t.equal(decode(bytes, { fallback: 'windows-1252' }).encoding, 'windows-1258', 'Vietnamese bytes are recognised even where Windows-1252 is the fallback');
  t.equal(decode(Buffer.from('Caf\xe9 cr\xe8me', 'latin1')).encoding, 'windows-1252');
  t.match(await problemOf(() => parseStatement(bytes, 'csv', { encoding: 'klingon' })), { field: 'encoding' });
  t.match(await problemOf(() => parseStatement(bytes, 'csv', { encoding: 'utf-8' })), { detail: 'line 1: the file is not valid utf-8 text' });
});

t.test('UTF-16 with its BOM (Excel "Unicode text", tab separated)', async (t) => {
  const text = VCB.replace(/,/g, '\t').replace(/"([^"]*)"/g, (_, inner: string) => inner.replace(/\t/g, ','));
  const r = await parseStatement(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'csv', { preset: 'bidv' });
  t.equal(r.encoding, 'utf-16le');
  t.same(toJson(r).statements, [EXPECTED]);
});

t.test('newest first: put in date order, balances still right; a broken running balance is warned', async (t) => {
  const rows = VCB.split('\r\n');
  const reversed = [...rows.slice(0, 6), rows[8], rows[7], rows[6]].join('\n');
  const s = (await parseStatement(Buffer.from(reversed), 'csv')).statements[0];
  t.same(toJson({ format: 'csv', statements: [s], warnings: [] }).statements, [EXPECTED]);
  const broken = (await parseStatement(Buffer.from(VCB.replace('"11.000.000"', '"11.000.001"')), 'csv')).statements[0];
  t.ok(broken.warnings.includes("line 8: the balance 11000001 does not follow from the previous balance and this line's amount (11000000 expected)"), broken.warnings.join('; '));
});

t.test('a saved mapping: English headers, signed amounts, no balance column, given balances', async (t) => {
  const csv = 'Date;Narrative;Amount;Ref\n2026-01-31;Rent;-1 500,00;R1\n2026-01-02;Sale;2 000,50;R2\n';
  const mapping = { date: 'Date', description: 'Narrative', amount: 'Amount', reference: 'Ref', dateFormat: 'YYYY-MM-DD', decimalSeparator: ',' as const, thousandsSeparator: ' ' as const };
  t.match(await problemOf(() => parseStatement(Buffer.from(csv), 'csv', { mapping, currency: 'EUR', account: 'DE1' })),
    { field: 'opening', detail: 'the file has no balance column: give the opening or the closing balance' });
  const s = (await parseStatement(Buffer.from(csv), 'csv', { mapping, currency: 'EUR', account: 'DE1', opening: { date: '2026-01-01', amount: '100.00' } })).statements[0];
  t.match(s, { account: 'DE1', currency: 'EUR', opening: { amount: 10000n }, closing: { date: '2026-01-31', amount: 60050n, computed: true } });
  t.same(s.lines.map((l) => l.amount), [200050n, -150000n], 'in date order');
  t.match(s.warnings, ['the closing balance is computed as opening + the lines read']);
  const both = (await parseStatement(Buffer.from(csv), 'csv', { mapping, currency: 'EUR', account: 'DE1', opening: { date: '2026-01-01', amount: '100.00' }, closing: { date: '2026-01-31', amount: '600.00' } })).statements[0];
  t.equal(balanceCheck(both).difference, -50n, 'given balances that do not add up are reported by the check');
});

t.test('XLSX: date and number cells, account in a cell beside its label, newest first', async (t) => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sao kê');
  ws.addRow(['Số tài khoản', '0011001234567']);
  ws.addRow(['Loại tiền', 'VND']);
  ws.addRow([]);
  ws.addRow(['Ngày GD', 'Diễn giải', 'Ghi nợ', 'Ghi có', 'Số dư', 'Tài khoản đối ứng', 'Tên đối ứng']);
  ws.addRow([new Date(Date.UTC(2026, 0, 5)), 'TT HD 0042', null, 5000000, 16000000, '0071000123456', 'NGUYEN VAN ANH']);
  ws.addRow([new Date(Date.UTC(2026, 0, 3)), 'Phí', 234567, null, 11000000]);
  ws.addRow(['02/01/2026', 'TT HD 0041', null, '1.234.567', '11.234.567']);
  const bytes = Buffer.from(await wb.xlsx.writeBuffer());
  const s = (await parseStatement(bytes, 'xlsx', { preset: 'mb' })).statements[0];
  t.match(s, { account: '0011001234567', currency: 'VND', opening: { date: '2026-01-02', amount: 10000000n }, closing: { date: '2026-01-05', amount: 16000000n } });
  t.match(s.lines, [{ amount: 1234567n }, { amount: -234567n }, { amount: 5000000n, counterparty: 'NGUYEN VAN ANH', counterpartyAccount: '0071000123456' }]);
  t.match(await problemOf(() => parseStatement(Buffer.from('not a zip'), 'xlsx')), { detail: 'this is not an XLSX workbook (an .xlsx file is a zip archive)' });
  t.match(await problemOf(() => parseStatement(Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(40)]), 'xlsx')), { status: 400, detail: /the XLSX workbook cannot be read/ });
});

t.test('malformed CSV is a 400 naming the line (or the option) and why', async (t) => {
  const rows = VCB.split('\r\n');
  const withRow = (row: string) => [...rows.slice(0, 7), row].join('\n');
  const cases: [string, Record<string, unknown>, RegExp | string, string?][] = [
    [withRow('2,31/13/2026,X,,"1",,x'), {}, "line 8: date '31/13/2026': there is no month 13"],
    [withRow('2,2026/01/31,X,,"1",,x'), {}, "line 8: date '2026/01/31' is not a date in the format DD/MM/YYYY"],
    [withRow('2,03/01/2026,X,,"1.2.3",,x'), {}, "line 8: amount '1.2.3' has thousands separators in the wrong places"],
    [withRow('2,03/01/2026,X,,"12abc",,x'), {}, "line 8: amount '12abc' is not a number"],
    [withRow('2,03/01/2026,X,,"1,5",,x'), {}, "line 8: amount '1,5' has 1 decimals; VND has 0"],
    [withRow('2,03/01/2026,X,,"1,"5",,x'), {}, /line 8: .*quote|amount/],
    [rows.slice(5).join('\n'), {}, 'the file does not name its account', 'account'],
    [VCB, { preset: 'acb' }, "preset 'acb' is not known", 'preset'],
    [VCB, { mapping: { date: 'Ngày giao dịch', description: 'Nội dung', amount: 'Số tiền' } }, "line 6: the header row has no amount column ('Số tiền')", 'mapping.amount'],
    [VCB, { mapping: { date: 'When', description: 'What', amount: 'How much' } }, "no header row found in the first 30 rows: expected a date column ('When') and a description column ('What')", 'mapping'],
    [VCB, { preset: 'mb', mapping: { dateFormat: 'DD/MM' } }, "dateFormat 'DD/MM' must name day, month and year", 'mapping.dateFormat'],
    [VCB, { preset: 'mb', mapping: { thousandsSeparator: '.', decimalSeparator: '.' } }, 'the thousands and decimal separators must differ', 'mapping.thousandsSeparator'],
    [VCB, { currency: 'VNX' }, "currency 'VNX' is not an ISO 4217 code", 'currency'],
    [VCB, { opening: { date: '2026-01-01', amount: '1.5' } }, "opening '1.5' has 1 decimals; VND has 0", 'opening'],
    [VCB, { closing: { date: '31/01/2026', amount: '0' } }, 'closingDate must be a date YYYY-MM-DD', 'closingDate'],
    ['a,"b\nc', {}, 'line 1: a quote opened here is never closed'],
  ];
  for (const [csv, options, detail, field] of cases) {
    const p = await problemOf(() => parseStatement(Buffer.from(csv), 'csv', options));
    t.equal(p.status, 400);
    t.match(p.detail, detail);
    if (field) t.equal(p.field, field);
  }
});

t.test('fuzzing: random and mutated CSV input only ever ends in a 400', async (t) => {
  const started = Date.now();
  await assertOnlyProblems('csv', [Buffer.from(VCB), windows1258(VCB)], {}, 250);
  await assertOnlyProblems('csv', [Buffer.from('Date;Narrative;Amount\n2026-01-31;Rent;-1 500,00\n')], {
    mapping: { date: 'Date', description: 'Narrative', amount: 'Amount', dateFormat: 'YYYY-MM-DD', decimalSeparator: ',', thousandsSeparator: ' ' },
    currency: 'EUR', account: 'X', closing: { date: '2026-01-31', amount: '0' },
  }, 100);
  t.ok(Date.now() - started < 15_000, 'quickly');
});

t.test('fuzzing: damaged XLSX workbooks only ever end in a 400', async (t) => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sao kê');
  ws.addRow(['Số tài khoản: 0011001234567']);
  ws.addRow(['Ngày giao dịch', 'Nội dung', 'Số tiền ghi nợ', 'Số tiền ghi có', 'Số dư']);
  ws.addRow(['02/01/2026', 'TT HD 0041', null, 1234567, 11234567]);
  const good = Buffer.from(await wb.xlsx.writeBuffer());
  const started = Date.now();
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), async (edits, cut) => {
    const bytes = Buffer.from(good.subarray(0, Math.max(4, good.length - (cut % 64))));
    for (const [at, b] of edits) bytes[4 + (at % (bytes.length - 4))] = b;
    try {
      await parseStatement(bytes, 'xlsx');
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 400) throw err;
    }
  }), { numRuns: 60 });
  t.ok(Date.now() - started < 15_000, 'quickly');
});
