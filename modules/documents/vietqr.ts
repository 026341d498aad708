/**
 * VietQR: the NAPAS247 merchant-presented QR payload (EMVCo QR Code Specification for Payment
 * Systems, as profiled by NAPAS) that every Vietnamese banking app reads to prefill a transfer to
 * an account: amount, and the payment reference in the transfer's content, which the bank module
 * finds again on the statement line.
 *
 * Each field is ID (2 digits) + length (2 digits) + value; the last field is the CRC-16/CCITT-FALSE
 * of everything before its value, "6304" included, in upper-case hex.
 */

/** NAPAS's globally unique identifier in the merchant account information (ID 38). */
export const NAPAS_GUID = 'A000000727';
/** Service code of a transfer to an account number (QRIBFTTC would be to a card number). */
export const TO_ACCOUNT = 'QRIBFTTA';
/** The purpose (ID 62-08) that banking apps copy into the transfer's content: at most 25 characters (NAPAS spec table). */
export const MAX_PURPOSE = 25;

export interface VietQrInput {
  /** The receiving bank's 6-digit NAPAS BIN (banks.ts). */
  bin: string;
  accountNumber: string;
  /** Whole đồng (VND has no minor unit); none: the payer types the amount (a static code). */
  amount?: bigint;
  /** What the transfer's content should say: the payment reference. */
  purpose?: string;
}

function field(id: string, value: string): string {
  if (value.length > 99) throw new Error(`VietQR field ${id} is longer than 99 characters`);
  return `${id}${String(value.length).padStart(2, '0')}${value}`;
}

/** CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR), as 4 upper-case hex digits. */
export function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** Why an input cannot be a VietQR payload, or null. */
export function vietQrProblem(input: VietQrInput): { field: string; message: string } | null {
  if (!/^\d{6}$/.test(input.bin)) return { field: 'bin', message: 'a bank BIN is 6 digits (e.g. 970436 for Vietcombank)' };
  if (!/^[0-9A-Za-z]{1,19}$/.test(input.accountNumber)) return { field: 'accountNumber', message: 'an account number is 1–19 letters or digits' };
  if (input.amount !== undefined && (input.amount <= 0n || input.amount > 9_999_999_999_999n)) return { field: 'amount', message: 'the amount must be positive and at most 13 digits' };
  // The spec's "ANS" set: printable ASCII, so Vietnamese is written without its marks.
  if (input.purpose !== undefined && !/^[\x20-\x7e]{1,25}$/.test(input.purpose)) return { field: 'purpose', message: `the transfer content is 1–${MAX_PURPOSE} printable ASCII characters (no diacritics)` };
  return null;
}

/** The payload string a QR code carries. Throws on an input vietQrProblem refuses. */
export function vietQrPayload(input: VietQrInput): string {
  const problem = vietQrProblem(input);
  if (problem) throw new Error(`VietQR ${problem.field}: ${problem.message}`);
  const beneficiary = field('00', input.bin) + field('01', input.accountNumber);
  const merchant = field('00', NAPAS_GUID) + field('01', beneficiary) + field('02', TO_ACCOUNT);
  const body = [
    field('00', '01'),
    // 11: the same code for every payment (no amount); 12: a code for one payment.
    field('01', input.amount !== undefined ? '12' : '11'),
    field('38', merchant),
    field('53', '704'),
    ...(input.amount !== undefined ? [field('54', input.amount.toString())] : []),
    field('58', 'VN'),
    ...(input.purpose ? [field('62', field('08', input.purpose))] : []),
  ].join('');
  const withCrcId = `${body}6304`;
  return withCrcId + crc16(withCrcId);
}

/** A payload's fields (ID → value), nested templates left as strings; null when it is not TLV or its CRC is wrong. */
export function readVietQr(payload: string): Map<string, string> | null {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < payload.length) {
    const id = payload.slice(at, at + 2);
    const len = Number(payload.slice(at + 2, at + 4));
    if (!/^\d{2}$/.test(id) || !/^\d{2}$/.test(payload.slice(at + 2, at + 4)) || at + 4 + len > payload.length) return null;
    fields.set(id, payload.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  const crc = fields.get('63');
  // Compared without case: MB Bank's app prints the CRC in lower case.
  if (!crc || !payload.endsWith(`6304${crc}`) || crc16(payload.slice(0, -4)) !== crc.toUpperCase()) return null;
  return fields;
}
