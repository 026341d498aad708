import crypto from 'node:crypto';

/**
 * A UUID of version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Rows written in
 * bulk with such ids land at the right-hand end of their primary-key index (and of every index
 * that starts with such an id) instead of on random pages all over it, which on large books is
 * what a bulk write mostly costs.
 */
export function uuidv7(): string {
  const b = crypto.randomBytes(16);
  b.writeUIntBE(Date.now(), 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  return uuidText(b);
}

/** A UUID in its text form, any version. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 16 bytes as a UUID's text. */
export function uuidText(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
