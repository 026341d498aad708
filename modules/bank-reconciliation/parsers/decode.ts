/**
 * Bytes → text. In order: the caller's `encoding` wins; then a byte-order mark (UTF-8, UTF-16);
 * then UTF-8 when the bytes are valid UTF-8 (text in another encoding almost never is); then the
 * encoding the file declares (XML declaration, OFX 1.x CHARSET); then Windows-1258 when the bytes
 * look Vietnamese, else the caller's fallback (Windows-1252 by default). The text is returned in
 * NFC, so Windows-1258's combining tone marks become the precomposed letters users type.
 */
import { fail } from './common.js';

export interface DecodeOptions {
  /** Any label TextDecoder knows ('utf-8', 'windows-1258', 'latin1' …). */
  encoding?: string;
  /** For bytes that are not UTF-8 and declare nothing. */
  fallback?: 'windows-1252' | 'windows-1258';
}

export interface Decoded { text: string; encoding: string; warnings: string[] }

function decoder(label: string): TextDecoder {
  try {
    return new TextDecoder(label, { fatal: true });
  } catch {
    throw fail('', `encoding '${label}' is not known; use a label such as utf-8, utf-16le, windows-1252 or windows-1258`, 'encoding');
  }
}

function lineOfFirstBadByte(bytes: Uint8Array): number {
  const lenient = new TextDecoder('utf-8').decode(bytes);
  return lenient.slice(0, lenient.indexOf('\ufffd')).split(/\r\n|\n|\r/).length;
}

function strictDecode(bytes: Uint8Array, label: string): string {
  const d = decoder(label);
  try {
    return d.decode(bytes);
  } catch {
    throw fail(`line ${lineOfFirstBadByte(bytes)}`, `the file is not valid ${d.encoding} text`);
  }
}

/** The encoding an XML declaration or an OFX 1.x header names, if any. */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 400));
  const xml = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  if (xml) return xml[1].toLowerCase();
  const ofxEncoding = /^ENCODING:\s*(\S+)/m.exec(head)?.[1].toUpperCase();
  if (ofxEncoding === 'UTF-8' || ofxEncoding === 'UNICODE') return 'utf-8';
  const charset = /^CHARSET:\s*(\S+)/m.exec(head)?.[1].toUpperCase();
  if (charset && /^\d{3,4}$/.test(charset)) return `windows-${charset}`;
  if (charset && charset !== 'NONE') return charset.toLowerCase();
  return undefined;
}

// Windows-1258 writes most Vietnamese vowels as a base letter followed by a combining tone mark.
const TONE_MARKS = new Set([0xcc, 0xec, 0xd2, 0xde, 0xf2]);
const VOWELS = new Set([...'aeiouyAEIOUY'].map((c) => c.charCodeAt(0)).concat([0xc2, 0xe2, 0xc3, 0xe3, 0xca, 0xea, 0xd4, 0xf4, 0xd5, 0xf5, 0xdd, 0xfd]));

/** Vowel + tone mark pairs and đ/Đ: frequent in Vietnamese Windows-1258 text, rare in Western text. */
export function vietnameseScore(bytes: Uint8Array): number {
  let score = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (TONE_MARKS.has(b) && i > 0 && VOWELS.has(bytes[i - 1])) score++;
    else if ((b === 0xf0 || b === 0xd0) && (i === 0 || bytes[i - 1] === 0x20)) score++;
  }
  return score;
}

export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Decoded {
  const done = (text: string, encoding: string, warnings: string[] = []): Decoded => ({ text: text.normalize('NFC'), encoding, warnings });
  if (options.encoding) {
    const label = decoder(options.encoding).encoding;
    return done(strictDecode(bytes, label), label);
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return done(strictDecode(bytes, 'utf-8'), 'utf-8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return done(strictDecode(bytes, 'utf-16le'), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return done(strictDecode(bytes, 'utf-16be'), 'utf-16be');
  try {
    return done(new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'utf-8');
  } catch {
    // not UTF-8: read on
  }
  const declared = declaredEncoding(bytes);
  if (declared && declared !== 'utf-8') {
    try {
      const d = new TextDecoder(declared, { fatal: true });
      return done(d.decode(bytes), d.encoding);
    } catch {
      // unknown label or bytes it cannot hold: fall through to the guess
    }
  }
  const label = vietnameseScore(bytes) >= 2 ? 'windows-1258' : (options.fallback ?? 'windows-1252');
  const why = declared === 'utf-8' ? 'declares UTF-8 but is not valid UTF-8' : 'is not UTF-8';
  return done(new TextDecoder(label).decode(bytes), label, [`the file ${why}; it was read as ${label}${label === 'windows-1258' ? ' (Vietnamese)' : ''} — check names and descriptions, or give the encoding`]);
}
