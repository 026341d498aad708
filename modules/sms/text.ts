/**
 * The text of an SMS: which alphabet it travels in, how many parts it costs, where it is cut,
 * and the bytes an SMSC receives.
 *
 * GSM-7 (3GPP TS 23.038, once GSM 03.38) when every character is in the default alphabet or its
 * extension table, else UCS-2. A part without a header carries 140 octets: 160 septets or 70 UCS-2
 * units. A concatenated part gives 6 octets to its header (`udh`), leaving 153 septets or 67 units.
 *
 * Everything walks the text code point by code point: no regular expression sees a customer's text.
 */

export type Encoding = 'gsm7' | 'ucs2';

export type SmsPlan = {
  encoding: Encoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  length: number;
  parts: number;
  /** The budget of each part: 160 or 153 septets, 70 or 67 units. */
  perPart: number;
};

const ESC = 0x1b;

/** The default alphabet in septet order; position 0x1B is the escape to the extension table, not a character. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** The basic extension table: each costs ESC plus its own septet. */
const EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a], ['^', 0x14], ['{', 0x28], ['}', 0x29], ['\\', 0x2f],
  ['[', 0x3c], ['~', 0x3d], [']', 0x3e], ['|', 0x40], ['€', 0x65],
];

const basicCode = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== ESC) basicCode.set(BASIC[i], i);
const extensionCode = new Map<string, number>(EXTENSION);
const extensionChar = new Map<number, string>(EXTENSION.map(([c, code]) => [code, c]));

/** Septets a character takes in GSM-7 (1, or 2 with the escape), null when it has none. */
function septets(ch: string): number | null {
  if (basicCode.has(ch)) return 1;
  if (extensionCode.has(ch)) return 2;
  return null;
}

/** The length of a text in GSM-7 septets, null when some character is not in GSM 03.38. */
export function gsm7Septets(text: string): number | null {
  let total = 0;
  for (const ch of text) {
    const n = septets(ch);
    if (n === null) return null;
    total += n;
  }
  return total;
}

const BUDGET: Record<Encoding, { single: number; multi: number }> = {
  gsm7: { single: 160, multi: 153 },
  // The wire format is in fact UTF-16 big-endian: a character beyond the BMP (an emoji) is a surrogate pair of two units.
  ucs2: { single: 70, multi: 67 },
};

/** Cost of one code point in the encoding's units. */
function cost(ch: string, encoding: Encoding): number {
  return encoding === 'gsm7' ? septets(ch)! : ch.length;
}

/**
 * Where the parts end, as UTF-16 offsets into the text. A character never straddles two parts:
 * an escape without its extension character, or half a surrogate pair, is garbage on a handset
 * that shows each part as it arrives.
 */
function partEnds(text: string, encoding: Encoding, budget: number): number[] {
  const ends: number[] = [];
  let used = 0;
  let offset = 0;
  for (const ch of text) {
    const n = cost(ch, encoding);
    if (used + n > budget) {
      ends.push(offset);
      used = 0;
    }
    used += n;
    offset += ch.length;
  }
  ends.push(offset);
  return ends;
}

function encodingOf(text: string): { encoding: Encoding; length: number } {
  const n = gsm7Septets(text);
  return n === null ? { encoding: 'ucs2', length: text.length } : { encoding: 'gsm7', length: n };
}

/**
 * The encoding, length and number of parts of a text. An empty text is one (empty) part, as a
 * network would bill it: refusing to send it is the caller's business.
 */
export function plan(text: string): SmsPlan {
  const { encoding, length } = encodingOf(text);
  const { single, multi } = BUDGET[encoding];
  if (length <= single) return { encoding, length, parts: 1, perPart: single };
  return { encoding, length, parts: partEnds(text, encoding, multi).length, perPart: multi };
}

/** The text cut into the parts as sent, on the boundaries `plan` counts; joined, they give the text back. */
export function splitParts(text: string): string[] {
  const { encoding, length } = encodingOf(text);
  const { single, multi } = BUDGET[encoding];
  if (length <= single) return [text];
  const parts: string[] = [];
  let start = 0;
  for (const end of partEnds(text, encoding, multi)) {
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/** Unpacked GSM-7, one septet per byte and ESC before an extension character, as SMPP carries data_coding 0. */
export function encodeGsm7(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text) {
    const basic = basicCode.get(ch);
    if (basic !== undefined) {
      bytes.push(basic);
      continue;
    }
    const extension = extensionCode.get(ch);
    if (extension === undefined) {
      throw new RangeError(`U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not in the GSM 7-bit alphabet`);
    }
    bytes.push(ESC, extension);
  }
  return Buffer.from(bytes);
}

/**
 * Text from unpacked GSM-7. As TS 23.038 asks of a receiver: an escape before a code the
 * extension table lacks shows the default alphabet's character, and a double escape a space.
 * A trailing escape announces nothing and is dropped.
 */
export function decodeGsm7(buf: Buffer): string {
  let text = '';
  for (let i = 0; i < buf.length; i++) {
    const byte = buf[i];
    if (byte > 0x7f) throw new RangeError(`byte 0x${byte.toString(16)} at ${i} is not a GSM septet`);
    if (byte !== ESC) {
      text += BASIC[byte];
      continue;
    }
    if (i + 1 === buf.length) break;
    const next = buf[++i];
    if (next > 0x7f) throw new RangeError(`byte 0x${next.toString(16)} at ${i} is not a GSM septet`);
    text += next === ESC ? ' ' : (extensionChar.get(next) ?? BASIC[next]);
  }
  return text;
}

/** UCS-2 as SMPP carries data_coding 8: UTF-16 big-endian, surrogate pairs included. */
export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

export function decodeUcs2(buf: Buffer): string {
  if (buf.length % 2 !== 0) throw new RangeError(`UCS-2 needs an even number of bytes, got ${buf.length}`);
  return Buffer.from(buf).swap16().toString('utf16le');
}

/** Latin letters, the only bases whose marks `unaccent` drops: other scripts keep theirs. */
function isLatin(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0xc0 && cp <= 0x24f) || (cp >= 0x1e00 && cp <= 0x1eff);
}

/**
 * Vietnamese written without diacritics, so that it fits GSM-7 (a third of the price of UCS-2
 * per part): every mark on a Latin letter goes, tone and shape alike (ệ → e, ư → u), and đ → d.
 * Accented letters GSM has (é, ñ) lose theirs too, so the output does not depend on the alphabet's
 * accidents. Symbols (€, £, ₫) and other scripts are left as they are; ₫ is not GSM, the caller
 * writes the currency as 'VND' or 'd'.
 */
export function unaccent(text: string): string {
  let out = '';
  let latinBase = false;
  for (const ch of text.normalize('NFD')) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x300 && cp <= 0x36f) {
      if (!latinBase) out += ch;
      continue;
    }
    latinBase = isLatin(cp);
    out += ch === 'đ' ? 'd' : ch === 'Đ' ? 'D' : ch;
  }
  return out.normalize('NFC');
}

/**
 * The user data header of a concatenated part: IEI 0x00 (8-bit reference), length 3, then the
 * message's reference, its number of parts and this part's number from 1.
 */
export function udh(reference: number, total: number, index: number): Buffer {
  const byte = (n: number) => Number.isInteger(n) && n >= 0 && n <= 255;
  if (!byte(reference)) throw new RangeError(`reference ${reference} is not 0–255`);
  if (!byte(total) || total < 1) throw new RangeError(`total ${total} is not 1–255`);
  if (!Number.isInteger(index) || index < 1 || index > total) throw new RangeError(`index ${index} is not 1–${total}`);
  return Buffer.from([0x05, 0x00, 0x03, reference, total, index]);
}
