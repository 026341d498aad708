/**
 * Phone numbers as clerks type them ("0912 345 678", "+84 912345678", "84-912-345-678") read with
 * libphonenumber-js's full metadata: a national number is Vietnamese unless it says otherwise,
 * and only a number that can receive an SMS (mobile, or a number the metadata cannot tell from
 * one) is kept, as E.164.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneCheck = { ok: true; e164: string; country: string | null } | { ok: false; reason: string };

const SMS_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', undefined]);

export function normalisePhone(written: string | null | undefined, defaultCountry: CountryCode = 'VN'): PhoneCheck {
  const text = (written ?? '').trim();
  if (!text) return { ok: false, reason: 'no phone number' };
  if (text.length > 40) return { ok: false, reason: 'the phone number is longer than any number' };
  // "+84 0912 345 678": the national 0 kept after the country code, as clerks often write it.
  let digits = '';
  for (const ch of text) if (ch >= '0' && ch <= '9') digits += ch;
  const clean = text.trimStart().replace(/^\(/, '').startsWith('+84') && digits.startsWith('840') ? `+84${digits.slice(3)}` : text;
  const parsed = parsePhoneNumberFromString(clean, { defaultCountry, extract: false });
  if (!parsed || !parsed.isValid()) return { ok: false, reason: `'${text}' is not a valid phone number` };
  const type = parsed.getType();
  if (!SMS_TYPES.has(type)) return { ok: false, reason: `'${text}' is a ${type === 'FIXED_LINE' ? 'landline' : type!.toLowerCase().replace(/_/g, ' ')} number: it cannot receive an SMS` };
  return { ok: true, e164: parsed.number, country: parsed.country ?? null };
}
