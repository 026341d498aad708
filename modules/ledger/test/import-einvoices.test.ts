/**
 * Vietnamese e-invoices in (POST /api/ledger/import/e-invoices): XML in the tax authority's format
 * (Circular 78/2021, HDon/DLHDon/TTChung + NDHDon), built here element by element as that format
 * names them — one per VAT case (10 %, 8 %, 5 %, 0 %, not subject to VAT) and a buyer without a
 * tax code —, alone or in a ZIP; buyers found or created; totals checked; duplicates reported.
 */
import t from 'tap';
import zlib from 'node:zlib';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { count, newPartner, ok } from './fixtures.js';

interface Line { name: string; qty: string; price: string; amount: string; rate: string; kind?: string }
interface Spec {
  number: string; date?: string; series?: string; buyer: { taxCode?: string; name: string; code?: string; address?: string };
  lines: Line[]; untaxed: string; tax: string; total: string;
  /** The per-rate summary (THTTLTSuat/LTSuat) some software writes: rate, amount, VAT. */
  rates?: Array<[string, string, string]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function einvoice(s: Spec): string {
  const lines = s.lines.map((l, i) => `
        <HHDVu><TChat>${l.kind ?? '1'}</TChat><STT>${i + 1}</STT><THHDVu>${esc(l.name)}</THHDVu><DVTinh>cái</DVTinh>
          <SLuong>${l.qty}</SLuong><DGia>${l.price}</DGia><ThTien>${l.amount}</ThTien><TSuat>${l.rate}</TSuat></HHDVu>`).join('');
  const b = s.buyer;
  return `<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="data">
    <TTChung><PBan>2.0.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>${s.series ?? 'C26TAA'}</KHHDon>
      <SHDon>${s.number}</SHDon><NLap>${s.date ?? '2026-11-02'}</NLap><DVTTe>VND</DVTTe><TGia>1</TGia><HTTToan>TM/CK</HTTToan><MSTTCGP>0101234567</MSTTCGP></TTChung>
    <NDHDon>
      <NBan><Ten>Công ty TNHH ACME Việt Nam</Ten><MST>0101234567</MST><DChi>12 Lý Thường Kiệt, Hà Nội</DChi></NBan>
      <NMua>${b.code ? `<MKHang>${b.code}</MKHang>` : ''}<Ten>${esc(b.name)}</Ten>${b.taxCode ? `<MST>${b.taxCode}</MST>` : ''}<DChi>${esc(b.address ?? '1 Lê Lợi, Quận 1, TP. Hồ Chí Minh')}</DChi></NMua>
      <DSHHDVu>${lines}
      </DSHHDVu>
      <TToan>${s.rates ? `<THTTLTSuat>${s.rates.map(([r, a, v]) => `<LTSuat><TSuat>${r}</TSuat><ThTien>${a}</ThTien><TThue>${v}</TThue></LTSuat>`).join('')}</THTTLTSuat>` : ''}<TgTCThue>${s.untaxed}</TgTCThue><TgTThue>${s.tax}</TgTThue><TgTTTBSo>${s.total}</TgTTTBSo><TgTTTBChu>(bằng chữ)</TgTTTBChu></TToan>
    </NDHDon>
  </DLHDon>
  <MCCQT>00ABCDEF0123456789</MCCQT>
  <DSCKS><NBan><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>c2lnbmVk</SignatureValue></Signature></NBan></DSCKS>
</HDon>`;
}

/** A ZIP of the files (deflated), as an e-invoice portal's "download all" gives them. */
function zip(files: Array<[string, string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of files) {
    const data = Buffer.from(text, 'utf8');
    const packed = zlib.deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0x0800, 8); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(packed.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

const upload = (h: TestApp, body: Buffer | string, type: string, query = '') =>
  h.request('POST', `/api/ledger/import/e-invoices${query}`, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, { headers: { 'content-type': type } });

const CASES: Spec[] = [
  { number: '0000101', buyer: { taxCode: '0312345678', name: 'Công ty TNHH Minh Phát' }, untaxed: '9500000', tax: '950000', total: '10450000',
    lines: [{ name: 'Xi măng PCB40', qty: '100', price: '95000', amount: '9500000', rate: '10%' }] },
  { number: '0000102', buyer: { taxCode: '0312345678', name: 'Công ty TNHH Minh Phát' }, untaxed: '3000000', tax: '240000', total: '3240000',
    lines: [{ name: 'Thép hộp 40x80', qty: '20', price: '150000', amount: '3000000', rate: '8%' }] },
  { number: '0000103', buyer: { taxCode: '0398765432', name: 'Hợp tác xã Nông nghiệp Bình Minh' }, untaxed: '2000000', tax: '100000', total: '2100000',
    lines: [{ name: 'Phân bón NPK', qty: '40', price: '50000', amount: '2000000', rate: '5%' }] },
  { number: '0000104', buyer: { taxCode: '0398765432', name: 'Hợp tác xã Nông nghiệp Bình Minh' }, untaxed: '12000000', tax: '0', total: '12000000',
    lines: [{ name: 'Gạo xuất khẩu', qty: '1000', price: '12000', amount: '12000000', rate: '0%' }] },
  { number: '0000105', buyer: { taxCode: '0312345678', name: 'Công ty TNHH Minh Phát' }, untaxed: '800000', tax: '0', total: '800000',
    lines: [{ name: 'Dịch vụ đào tạo', qty: '1', price: '800000', amount: '800000', rate: 'KCT' }] },
  { number: '0000106', buyer: { name: 'Nguyễn Văn An', address: '5 Trần Phú, Đà Nẵng' }, untaxed: '450000', tax: '45000', total: '495000',
    lines: [
      { name: 'Sơn nước 5L', qty: '2', price: '225000', amount: '450000', rate: '10%' },
      { name: 'Cọ lăn (khuyến mại)', qty: '1', price: '0', amount: '0', rate: '10%', kind: '2' },
    ] },
];

t.test('a ZIP of e-invoices, one per VAT case: posted with their totals, buyers found or created, the XML kept', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  await newPartner(h, 'KH001', { name: 'Công ty TNHH Minh Phát', taxCode: '0312345678' });
  const files = CASES.map((c): [string, string] => [`HD_${c.number}.xml`, einvoice(c)]);

  const dry = await upload(h, zip(files), 'application/zip', '?dryRun=true');
  t.equal(dry.statusCode, 200, dry.body);
  t.match(dry.json(), { dryRun: true, files: 6, imported: 6, duplicates: 0, partnersCreated: 2, errors: [] });
  t.equal(await count(h, 'ledger_invoice'), 0, 'a dry run keeps nothing');

  const res = await upload(h, zip(files), 'application/zip');
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { imported: 6, duplicates: 0, partnersCreated: 2, total: String(10450000 + 3240000 + 2100000 + 12000000 + 800000 + 495000), errors: [] });
  const posted = ok(await h.request('GET', '/api/ledger/invoices?sort=number&limit=10'));
  t.same(posted.items.map((i: any) => [i.partner.ref, i.total]), [
    ['KH001', '10450000'], ['KH001', '3240000'], ['0398765432', '2100000'], ['0398765432', '12000000'], ['KH001', '800000'], [posted.items[5].partner.ref, '495000'],
  ], 'the known buyer by its tax code; a new one created with its tax code as ref');
  t.match(posted.items[5].partner.ref, /^KL-[0-9A-F]{8}$/, 'a buyer without a tax code gets a ref of its own');
  const first = ok(await h.request('GET', `/api/ledger/invoices/${res.json().invoices[0].id}`));
  t.match(first, { date: '2026-11-02', einvoice: { form: '1', series: 'C26TAA', number: '0000101' }, untaxed: '9500000', tax: '950000', total: '10450000' });
  const rates = await Promise.all(res.json().invoices.map(async (i: any) => ok(await h.request('GET', `/api/ledger/invoices/${i.id}`)).lines.map((l: any) => l.taxRate)));
  t.same(rates, [['10'], ['8'], ['5'], ['0'], ['0'], ['10', '10']], '10 %, 8 %, 5 %, 0 %, not subject to VAT as 0 %, a free promotional line');
  const bmh = ok(await h.request('GET', '/api/ledger/partners/0398765432'));
  t.match(bmh, { name: 'Hợp tác xã Nông nghiệp Bình Minh', taxCode: '0398765432' });
  const kept = await h.request('GET', `/api/ledger/invoices/${res.json().invoices[0].id}/einvoice`);
  t.equal(kept.statusCode, 200);
  t.equal(kept.body, files[0][1], 'the XML kept exactly as it came');

  const again = await upload(h, files[1][1], 'application/xml');
  t.equal(again.statusCode, 201, again.body);
  t.match(again.json(), { files: 1, imported: 0, duplicates: 1, invoices: [{ number: '0000102', duplicate: true, id: null }] }, 'the same invoice again: reported, not doubled');
  t.equal(await count(h, 'ledger_invoice'), 6);
});

t.test('an invoice whose signed totals do not add up, or that is not an e-invoice, is refused with its file and element; nothing is written', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const wrongTotal = einvoice({ ...CASES[0], number: '0000201', total: '10450001' });
  const wrongLine = einvoice({ ...CASES[1], number: '0000202', lines: [{ ...CASES[1].lines[0], amount: '3000001' }], untaxed: '3000001' });
  const notAnInvoice = '<?xml version="1.0"?><Document><BkToCstmrStmt/></Document>';
  const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><HDon>&e;</HDon>';
  const res = await upload(h, zip([['a.xml', wrongTotal], ['b.xml', wrongLine], ['c.xml', notAnInvoice], ['d.xml', xxe], ['ok.xml', einvoice(CASES[2])]]), 'application/zip');
  t.equal(res.statusCode, 400);
  const errors = res.json().errors.map((e: any) => [e.file, e.field]);
  t.same(errors, [
    ['a.xml', 'TToan/TgTTTBSo'],
    ['b.xml', 'DSHHDVu/HHDVu[1]/ThTien'],
    ['b.xml', 'TToan/TgTTTBSo'],
    ['c.xml', 'HDon'],
    ['d.xml', 'file'],
  ]);
  t.match(res.json().errors[0].message, /9500000 \+ 950000 VAT is not the total 10450001/);
  t.match(res.json().errors.find((e: any) => e.file === 'd.xml').message, /DOCTYPE/, 'no entity is ever expanded');
  t.equal(await count(h, 'ledger_invoice'), 0, 'the good file is not imported either: all or nothing');
  t.equal((await upload(h, 'not xml', 'application/xml')).statusCode, 400);
});

t.test('trade discounts (TChat 3), returned goods (a negative line) and VAT rounded once per rate are imported as the seller signed them', async (t) => {
  const h = await buildTestApp(t, { modules: ['ledger'] });
  const buyer = { taxCode: '0312345678', name: 'Công ty TNHH Minh Phát' };
  const discount = einvoice({ number: '0000301', buyer, untaxed: '9310000', tax: '931000', total: '10241000', lines: [
    { name: 'Xi măng PCB40', qty: '100', price: '95000', amount: '9500000', rate: '10%' },
    { name: 'Chiết khấu thương mại 2%', qty: '1', price: '190000', amount: '190000', rate: '10%', kind: '3' },
  ] });
  const returned = einvoice({ number: '0000302', buyer, untaxed: '2500000', tax: '200000', total: '2700000', lines: [
    { name: 'Thép hộp 40x80', qty: '20', price: '150000', amount: '3000000', rate: '8%' },
    { name: 'Thép hộp 40x80 trả lại', qty: '1', price: '-500000', amount: '-500000', rate: '8%' },
  ] });
  // 3 × 10,006 at 8 %: 800.48 a line (800 each, 2,400), 2,401.44 for the rate (2,401): the software rounded per rate.
  const perRate = einvoice({ number: '0000303', buyer, untaxed: '30018', tax: '2401', total: '32419', lines: [
    { name: 'Ốc vít M6', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M8', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M10', qty: '1', price: '10006', amount: '10006', rate: '8%' },
  ] });
  // The same, with the per-rate summary written out, and a second rate rounded per line.
  const summarised = einvoice({ number: '0000304', buyer, untaxed: '40018', tax: '3401', total: '43419', rates: [['8%', '30018', '2401'], ['10%', '10000', '1000']], lines: [
    { name: 'Ốc vít M6', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M8', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M10', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Vận chuyển', qty: '1', price: '10000', amount: '10000', rate: '10%' },
  ] });
  const res = await upload(h, zip([['301.xml', discount], ['302.xml', returned], ['303.xml', perRate], ['304.xml', summarised]]), 'application/zip');
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { imported: 4, total: String(10241000 + 2700000 + 32419 + 43419) });
  const list = ok(await h.request('GET', '/api/ledger/invoices?sort=date&limit=10')).items;
  const byNumber = new Map<string, any>();
  for (const i of list) {
    const full = ok(await h.request('GET', `/api/ledger/invoices/${i.id}`));
    byNumber.set(full.einvoice.number, full);
  }
  const lines = (n: string) => byNumber.get(n).lines.map((l: any) => [l.unitPrice, l.subtotal, l.taxRate, l.tax]);
  t.same(lines('0000301'), [['95000', '9500000', '10', '950000'], ['-190000', '-190000', '10', '-19000']], 'the discount is a negative line of its rate');
  t.match(byNumber.get('0000301'), { untaxed: '9310000', tax: '931000', total: '10241000' });
  t.same(lines('0000302'), [['150000', '3000000', '8', '240000'], ['-500000', '-500000', '8', '-40000']]);
  t.same(lines('0000303').map((l: string[]) => l[3]), ['801', '800', '800'], 'the unit of per-rate rounding goes to one line');
  t.match(byNumber.get('0000303'), { tax: '2401', total: '32419' });
  t.same(lines('0000304').map((l: string[]) => l[3]), ['801', '800', '800', '1000']);

  const aging = ok(await h.request('GET', '/api/ledger/partners/0312345678'));
  t.equal(aging.balance, String(10241000 + 2700000 + 32419 + 43419), 'the receivable is what the invoices say, to the đồng');

  const tooMuch = einvoice({ number: '0000305', buyer, untaxed: '50000', tax: '-5000', total: '45000', lines: [
    { name: 'Phân bón', qty: '1', price: '200000', amount: '200000', rate: '5%' },
    { name: 'Chiết khấu', qty: '1', price: '150000', amount: '150000', rate: '10%', kind: '3' },
  ] });
  const down = einvoice({ number: '0000306', buyer, untaxed: '-100000', tax: '-10000', total: '-110000', lines: [
    { name: 'Điều chỉnh giảm đơn giá', qty: '1', price: '-100000', amount: '-100000', rate: '10%' },
  ] });
  const wrongVat = einvoice({ ...{ number: '0000307', buyer, untaxed: '30018', total: '32422', lines: [
    { name: 'Ốc vít M6', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M8', qty: '1', price: '10006', amount: '10006', rate: '8%' },
    { name: 'Ốc vít M10', qty: '1', price: '10006', amount: '10006', rate: '8%' },
  ] }, tax: '2404' });
  const bad = await upload(h, zip([['305.xml', tooMuch], ['306.xml', down], ['307.xml', wrongVat]]), 'application/zip');
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors.map((e: any) => [e.file, e.field]), [
    ['305.xml', 'NDHDon/DSHHDVu'],
    ['306.xml', 'NDHDon/DSHHDVu'], ['306.xml', 'TToan/TgTTTBSo'],
    ['307.xml', 'TToan/TgTThue'],
  ]);
  t.match(bad.json().errors[0].message, 'the lines at 10 % VAT add up to -150000: a discount may not exceed the goods of its rate');
  t.match(bad.json().errors[2].message, /adjusts another down\) is not imported: post a credit note/);
  t.match(bad.json().errors[3].message, 'VAT is 2400 line by line and 2401 rounded per rate; the invoice says 2404');
  t.equal(await count(h, 'ledger_invoice'), 4, 'nothing of the bad files');
});
