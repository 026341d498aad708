/**
 * XLSX files built byte by byte for tests that exceljs would take too long to write or would
 * refuse to write: large sheets, zip bombs, archives whose headers lie about their sizes.
 */
import zlib from 'node:zlib';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export interface ZipPart {
  name: string;
  /** The file's content (deflated here)… */
  data?: Buffer | string;
  /** …or already deflated (raw deflate), with the size and CRC-32 of what it inflates to. */
  deflated?: { bytes: Buffer; size: number; crc: number };
  /** The uncompressed size written in the headers, when it should not be the real one. */
  declaredSize?: number;
}

/** A zip archive of deflated files (no ZIP64, no data descriptors). */
export function zip(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    let deflated = part.deflated;
    if (!deflated) {
      const data = Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data ?? '', 'utf8');
      deflated = { bytes: zlib.deflateRawSync(data), size: data.length, crc: zlib.crc32(data) };
    }
    const size = part.declaredSize ?? deflated.size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(deflated.crc, 14);
    local.writeUInt32LE(deflated.bytes.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(deflated.crc, 16);
    central.writeUInt32LE(deflated.bytes.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, deflated.bytes);
    centrals.push(central, name);
    offset += 30 + name.length + deflated.bytes.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
  + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">';

/** The parts of a one-sheet workbook around its sheet XML. */
function workbookParts(sheet: ZipPart): ZipPart[] {
  return [
    { name: '[Content_Types].xml', data: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>' },
    { name: '_rels/.rels', data: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>' },
    { name: 'xl/workbook.xml', data: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sao kê" sheetId="1" r:id="rId1"/></sheets></workbook>' },
    { name: 'xl/_rels/workbook.xml.rels', data: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>' },
    sheet,
  ];
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const column = (i: number) => String.fromCharCode(65 + i);

/** A workbook of one sheet: strings as inline strings, numbers as numbers, null as no cell. */
export function sheetXlsx(rows: (string | number | null)[][]): Buffer {
  const xml: string[] = [SHEET_HEAD, '<sheetData>'];
  rows.forEach((cells, r) => {
    xml.push(`<row r="${r + 1}">`);
    cells.forEach((v, c) => {
      const ref = `${column(c)}${r + 1}`;
      if (typeof v === 'number') xml.push(`<c r="${ref}"><v>${v}</v></c>`);
      else if (typeof v === 'string') xml.push(`<c r="${ref}" t="inlineStr"><is><t>${escapeXml(v)}</t></is></c>`);
    });
    xml.push('</row>');
  });
  xml.push('</sheetData></worksheet>');
  return zip(workbookParts({ name: 'xl/worksheets/sheet1.xml', data: xml.join('') }));
}

/**
 * A bank statement in the MB preset's layout with `lines` credit lines (a valid statement that
 * takes a while to read: about 2 s for 40,000 lines on an idle CI machine).
 */
export function statementXlsx(lines: number): Buffer {
  const rows: (string | number | null)[][] = [
    ['Số tài khoản', '0011001234567'], ['Loại tiền', 'VND'], [],
    ['Ngày GD', 'Diễn giải', 'Ghi nợ', 'Ghi có', 'Số dư', 'Tài khoản đối ứng', 'Tên đối ứng'],
  ];
  let balance = 10_000_000;
  for (let i = 0; i < lines; i++) {
    const amount = 1000 + ((i * 7919) % 900_000);
    balance += amount;
    const day = String(1 + (i % 28)).padStart(2, '0');
    rows.push([`${day}/01/2026`, `TT HD ${i} thanh toan tien hang`, null, amount, balance, `0071000${String(i % 100000).padStart(6, '0')}`, `NGUYEN VAN ${i % 500}`]);
  }
  // Sorted by date so the running balance holds in file order.
  const body = rows.slice(4).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  balance = 10_000_000;
  for (const row of body) { balance += row[3] as number; row[4] = balance; }
  return sheetXlsx([...rows.slice(0, 4), ...body]);
}

/**
 * A zip bomb that is otherwise a valid XLSX: the sheet XML holds `mib` MiB of spaces in an XML
 * comment, deflated to about 1 KiB per MiB (1 GiB → 1 MB). Built from one compressed piece
 * repeated (full flushes make the pieces independent), so it takes no time to make.
 * `declaredSize`: the sheet's size as the headers state it (a lie when given).
 */
export function bombXlsx(mib: number, options: { declaredSize?: number } = {}): Buffer {
  let sheet = bombSheets.get(mib);
  if (!sheet) bombSheets.set(mib, sheet = bombSheet(mib));
  return zip(workbookParts({ name: 'xl/worksheets/sheet1.xml', deflated: sheet, declaredSize: options.declaredSize }));
}

const bombSheets = new Map<number, { bytes: Buffer; size: number; crc: number }>();

function bombSheet(mib: number): { bytes: Buffer; size: number; crc: number } {
  const flush = { finishFlush: zlib.constants.Z_FULL_FLUSH };
  const head = Buffer.from(`${SHEET_HEAD}<!--`);
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  const tail = Buffer.from('--><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>');
  const piece = zlib.deflateRawSync(spaces, { level: 9, ...flush });
  const pieces: Buffer[] = [zlib.deflateRawSync(head, flush)];
  let crc = zlib.crc32(head);
  for (let i = 0; i < mib; i++) { pieces.push(piece); crc = zlib.crc32(spaces, crc); }
  pieces.push(zlib.deflateRawSync(tail));
  crc = zlib.crc32(tail, crc);
  return { bytes: Buffer.concat(pieces), size: head.length + mib * spaces.length + tail.length, crc };
}

/** `count` files in all: a valid empty sheet and one-byte files beside it. */
export function manyFilesXlsx(count: number): Buffer {
  const parts = workbookParts({ name: 'xl/worksheets/sheet1.xml', data: `${SHEET_HEAD}<sheetData/></worksheet>` });
  const x = Buffer.from('x');
  const deflated = { bytes: zlib.deflateRawSync(x), size: 1, crc: zlib.crc32(x) };
  for (let i = parts.length; i < count; i++) parts.push({ name: `xl/media/x${i}.txt`, deflated });
  return zip(parts);
}

/** `count` files of 1 MiB of spaces beside a valid sheet: each small, together too large. */
export function manyMebibytesXlsx(count: number): Buffer {
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  const deflated = { bytes: zlib.deflateRawSync(spaces, { level: 9 }), size: spaces.length, crc: zlib.crc32(spaces) };
  const parts = workbookParts({ name: 'xl/worksheets/sheet1.xml', data: `${SHEET_HEAD}<sheetData/></worksheet>` });
  for (let i = 0; i < count; i++) parts.push({ name: `xl/media/padding${i}.txt`, deflated });
  return zip(parts);
}
