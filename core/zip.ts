/**
 * A ZIP archive (an XLSX workbook) checked before anything reads it: the central directory is
 * read without inflating a byte, the declared sizes are held to limits, and the entries are then
 * inflated under a cap equal to their declared size, so a header that lies about its size is
 * caught after at most that many bytes. What passes is re-packed uncompressed, so the reader
 * behind (exceljs) inflates nothing itself.
 *
 * Dependency-free on purpose: node:zlib's `maxOutputLength` is the cap; the format is APPNOTE.TXT
 * (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT), ZIP64 sizes included.
 */
import zlib from 'node:zlib';

export interface ZipEntry {
  /** As stored; UTF-8 when flag bit 11 is set (what XLSX writers do), else read as Latin-1. */
  name: string;
  nameBytes: Uint8Array;
  flags: number;
  /** 0 stored, 8 deflated; nothing else is read. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** The size the central directory declares; checked against what actually inflates. */
  uncompressedSize: number;
  localHeaderOffset: number;
  versionMadeBy: number;
  externalAttributes: number;
  dosTime: number;
  dosDate: number;
}

export interface ZipLimits {
  /** Files (and folders) inside the archive. */
  maxEntries: number;
  /** Sum of every entry's uncompressed size; also bounds each entry. */
  maxTotalBytes: number;
  /** Uncompressed : compressed, for entries larger than `ratioFromBytes`. */
  maxRatio: number;
  ratioFromBytes: number;
}

/** `limit`: the archive is refused for a limit (message names it); `damaged`: it is not a readable ZIP. */
export class ZipError extends Error {
  constructor(message: string, readonly kind: 'limit' | 'damaged') {
    super(message);
    this.name = 'ZipError';
  }
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32 = 0xffffffff;

const damaged = (message: string) => new ZipError(message, 'damaged');
const UTF8 = new TextDecoder('utf-8');
const LATIN1 = new TextDecoder('latin1');

/** "128 MiB", "1.5 MiB", "900 bytes": sizes as a person reads them in a message. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Number((n / (1024 * 1024)).toFixed(1))} MiB`;
  if (n >= 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  return `${n} bytes`;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('a ZIP64 size or offset is out of range');
  return Number(n);
}

/**
 * The central directory's entries, read from the end of the archive. Refuses more than
 * `maxEntries` before reading any of them.
 */
export function readCentralDirectory(bytes: Uint8Array, maxEntries: number): ZipEntry[] {
  const v = view(bytes);
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535.
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (v.getUint32(at, true) === EOCD) { eocd = at; break; }
  }
  if (eocd < 0) throw damaged('End of central directory not found; the file is truncated or is not a zip archive');
  if (v.getUint16(eocd + 4, true) !== 0 || v.getUint16(eocd + 6, true) !== 0) throw damaged('the archive is split over several disks');
  let count = v.getUint16(eocd + 10, true);
  let size = v.getUint32(eocd + 12, true);
  let offset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || size === U32 || offset === U32) {
    const locator = eocd - 20;
    if (locator < 0 || v.getUint32(locator, true) !== EOCD64_LOCATOR) throw damaged('the ZIP64 end of central directory is missing');
    const at = u64(v, locator + 8);
    if (at + 56 > bytes.length || v.getUint32(at, true) !== EOCD64) throw damaged('the ZIP64 end of central directory is damaged');
    count = u64(v, at + 32);
    size = u64(v, at + 40);
    offset = u64(v, at + 48);
  }
  if (count > maxEntries) throw new ZipError(`the workbook holds ${count} files; at most ${maxEntries} are read`, 'limit');
  if (offset + size > bytes.length) throw damaged('the central directory lies outside the file');

  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > offset + size || v.getUint32(at, true) !== CENTRAL) throw damaged(`central directory entry ${i + 1} is damaged`);
    const nameLength = v.getUint16(at + 28, true);
    const extraLength = v.getUint16(at + 30, true);
    const commentLength = v.getUint16(at + 32, true);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > offset + size) throw damaged(`central directory entry ${i + 1} is damaged`);
    const flags = v.getUint16(at + 8, true);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    let compressedSize = v.getUint32(at + 20, true);
    let uncompressedSize = v.getUint32(at + 24, true);
    let localHeaderOffset = v.getUint32(at + 42, true);
    if (compressedSize === U32 || uncompressedSize === U32 || localHeaderOffset === U32) {
      // ZIP64 extended information: the 8-byte values, in this order, of the fields set to 0xFFFFFFFF.
      let x = at + 46 + nameLength;
      const extraEnd = x + extraLength;
      let found = false;
      while (x + 4 <= extraEnd) {
        const id = v.getUint16(x, true);
        const length = v.getUint16(x + 2, true);
        if (id === 0x0001) {
          let p = x + 4;
          const fieldEnd = Math.min(x + 4 + length, extraEnd);
          const take = () => {
            if (p + 8 > fieldEnd) throw damaged(`the ZIP64 sizes of entry ${i + 1} are damaged`);
            const n = u64(v, p);
            p += 8;
            return n;
          };
          if (uncompressedSize === U32) uncompressedSize = take();
          if (compressedSize === U32) compressedSize = take();
          if (localHeaderOffset === U32) localHeaderOffset = take();
          found = true;
          break;
        }
        x += 4 + length;
      }
      if (!found) throw damaged(`the ZIP64 sizes of entry ${i + 1} are missing`);
    }
    entries.push({
      name: (flags & 0x800 ? UTF8 : LATIN1).decode(nameBytes),
      nameBytes, flags, method: v.getUint16(at + 10, true), crc32: v.getUint32(at + 16, true),
      compressedSize, uncompressedSize, localHeaderOffset,
      versionMadeBy: v.getUint16(at + 4, true), externalAttributes: v.getUint32(at + 38, true),
      dosTime: v.getUint16(at + 12, true), dosDate: v.getUint16(at + 14, true),
    });
    at = end;
  }
  return entries;
}

/** The declared sizes held to the limits; refuses before a byte is inflated. */
export function checkEntries(entries: ZipEntry[], limits: ZipLimits): void {
  if (entries.length > limits.maxEntries) throw new ZipError(`the workbook holds ${entries.length} files; at most ${limits.maxEntries} are read`, 'limit');
  let total = 0;
  for (const e of entries) {
    if (e.flags & 0x1) throw damaged(`'${e.name}' is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw damaged(`'${e.name}' uses compression method ${e.method}; only stored and deflated files are read`);
    if (e.method === 0 && e.compressedSize !== e.uncompressedSize) throw damaged(`'${e.name}' is stored with two different sizes`);
    if (e.uncompressedSize > limits.maxTotalBytes) {
      throw new ZipError(`'${e.name}' in the workbook unpacks to ${formatBytes(e.uncompressedSize)}; at most ${formatBytes(limits.maxTotalBytes)} are read`, 'limit');
    }
    if (e.uncompressedSize > limits.ratioFromBytes && e.uncompressedSize > limits.maxRatio * e.compressedSize) {
      const ratio = Math.round(e.uncompressedSize / Math.max(1, e.compressedSize));
      throw new ZipError(`'${e.name}' in the workbook is compressed ${ratio}:1; more than ${limits.maxRatio}:1 is refused as a zip bomb`, 'limit');
    }
    total += e.uncompressedSize;
  }
  if (total > limits.maxTotalBytes) {
    throw new ZipError(`the workbook unpacks to ${formatBytes(total)}; at most ${formatBytes(limits.maxTotalBytes)} are read`, 'limit');
  }
}

/** One entry's bytes, inflating at most its declared size (whatever its compressed data holds). */
export function inflateEntry(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const v = view(bytes);
  const at = e.localHeaderOffset;
  if (at + 30 > bytes.length || v.getUint32(at, true) !== LOCAL) throw damaged(`the local header of '${e.name}' is damaged`);
  const start = at + 30 + v.getUint16(at + 26, true) + v.getUint16(at + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw damaged(`'${e.name}' is truncated`);
  const data = bytes.subarray(start, end);
  if (e.method === 0) return data;
  let out: Buffer;
  try {
    // +1: a stream that inflates to more than declared overflows the cap instead of fitting it.
    out = zlib.inflateRawSync(data, { maxOutputLength: e.uncompressedSize + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ZipError(`'${e.name}' in the workbook inflates to more than the ${formatBytes(e.uncompressedSize)} its header declares; the archive is refused as a zip bomb`, 'limit');
    }
    throw damaged(`'${e.name}': ${(err as Error).message}`);
  }
  if (out.length !== e.uncompressedSize) {
    if (out.length > e.uncompressedSize) {
      throw new ZipError(`'${e.name}' in the workbook inflates to more than the ${formatBytes(e.uncompressedSize)} its header declares; the archive is refused as a zip bomb`, 'limit');
    }
    throw damaged(`'${e.name}' inflates to ${out.length} bytes, not the ${e.uncompressedSize} its header declares`);
  }
  return out;
}

/**
 * The archive checked and rebuilt with every entry stored (uncompressed), each inflated under its
 * declared size: a reader given the result never inflates anything, so nothing it reads can be
 * larger than `limits.maxTotalBytes`.
 */
export function repackVerified(bytes: Uint8Array, limits: ZipLimits): Buffer {
  const entries = readCentralDirectory(bytes, limits.maxEntries);
  checkEntries(entries, limits);
  let size = 22;
  for (const e of entries) size += 30 + 46 + 2 * e.nameBytes.length + e.uncompressedSize;
  // Plain (not ZIP64) fields below: the limits keep far inside them.
  if (entries.length > 0xffff || size > U32) throw new ZipError('the workbook is too large to read', 'limit');
  const out = Buffer.alloc(size);
  const central: { e: ZipEntry; offset: number }[] = [];
  let at = 0;
  for (const e of entries) {
    const data = inflateEntry(bytes, e);
    const flags = e.flags & 0x800; // keep "the name is UTF-8"; drop data descriptors and the rest
    out.writeUInt32LE(LOCAL, at);
    out.writeUInt16LE(10, at + 4);
    out.writeUInt16LE(flags, at + 6);
    out.writeUInt16LE(0, at + 8);
    out.writeUInt16LE(e.dosTime, at + 10);
    out.writeUInt16LE(e.dosDate, at + 12);
    out.writeUInt32LE(e.crc32, at + 14);
    out.writeUInt32LE(data.length, at + 18);
    out.writeUInt32LE(data.length, at + 22);
    out.writeUInt16LE(e.nameBytes.length, at + 26);
    out.writeUInt16LE(0, at + 28);
    out.set(e.nameBytes, at + 30);
    out.set(data, at + 30 + e.nameBytes.length);
    central.push({ e, offset: at });
    at += 30 + e.nameBytes.length + data.length;
  }
  const directory = at;
  for (const { e, offset } of central) {
    out.writeUInt32LE(CENTRAL, at);
    out.writeUInt16LE(e.versionMadeBy, at + 4);
    out.writeUInt16LE(10, at + 6);
    out.writeUInt16LE(e.flags & 0x800, at + 8);
    out.writeUInt16LE(0, at + 10);
    out.writeUInt16LE(e.dosTime, at + 12);
    out.writeUInt16LE(e.dosDate, at + 14);
    out.writeUInt32LE(e.crc32, at + 16);
    out.writeUInt32LE(e.uncompressedSize, at + 20);
    out.writeUInt32LE(e.uncompressedSize, at + 24);
    out.writeUInt16LE(e.nameBytes.length, at + 28);
    // extra, comment, disk, internal attributes: 0
    out.writeUInt32LE(e.externalAttributes, at + 38);
    out.writeUInt32LE(offset, at + 42);
    out.set(e.nameBytes, at + 46);
    at += 46 + e.nameBytes.length;
  }
  out.writeUInt32LE(EOCD, at);
  out.writeUInt16LE(entries.length, at + 8);
  out.writeUInt16LE(entries.length, at + 10);
  out.writeUInt32LE(at - directory, at + 12);
  out.writeUInt32LE(directory, at + 16);
  at += 22;
  return out.subarray(0, at);
}
