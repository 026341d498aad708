/**
 * Whether a partner's address can carry a letter, per country, and the parts a provider needs.
 *
 * Vietnam (no country, or VN): the name, the street (house number and street), the ward and the
 * province; the district is optional since the 2025 reform removed that level. Elsewhere: the
 * street, a city (the ledger's `district`, else `ward`, else `province`), and the postcode where
 * the country uses one, in its shape. The checks are fixed patterns of ours, linear in the input.
 */
import { createHash } from 'node:crypto';
import type { Address } from '../ledger/public.js';
import type { LetterAddress } from './tables.js';

export type AddressCheck = { ok: true; address: LetterAddress } | { ok: false; missing: string[] };

const VIETNAM = /^(vn|vnm|viet ?nam|việt ?nam)$/i;
const NAMES: Record<string, string> = {
  'united states': 'US', usa: 'US', 'united kingdom': 'GB', uk: 'GB', china: 'CN', 'trung quốc': 'CN', 中国: 'CN',
  singapore: 'SG', japan: 'JP', 'nhật bản': 'JP', korea: 'KR', 'hàn quốc': 'KR', 'south korea': 'KR', thailand: 'TH', 'thái lan': 'TH',
  malaysia: 'MY', australia: 'AU', úc: 'AU', france: 'FR', pháp: 'FR', germany: 'DE', đức: 'DE', 'hong kong': 'HK', taiwan: 'TW', 'đài loan': 'TW',
  laos: 'LA', lào: 'LA', cambodia: 'KH', campuchia: 'KH', 'united arab emirates': 'AE', uae: 'AE', 'saudi arabia': 'SA', السعودية: 'SA', الإمارات: 'AE',
  egypt: 'EG', مصر: 'EG', qatar: 'QA', قطر: 'QA', canada: 'CA', 'new zealand': 'NZ', netherlands: 'NL', italy: 'IT', spain: 'ES', india: 'IN', indonesia: 'ID', philippines: 'PH',
};
/** Countries whose mail needs no postcode. */
const NO_POSTCODE = new Set(['HK', 'AE', 'QA', 'MO', 'IE', 'BS', 'BZ', 'BO', 'FJ', 'GH', 'JM', 'PA', 'YE']);
/** Postcode shapes where a wrong one is common and costly (the rest: 2 to 10 letters, digits, spaces or dashes). */
const POSTCODE: Record<string, RegExp> = {
  VN: /^[0-9]{5,6}$/, US: /^[0-9]{5}(-[0-9]{4})?$/, CN: /^[0-9]{6}$/, SG: /^[0-9]{6}$/, AU: /^[0-9]{4}$/, JP: /^[0-9]{3}-?[0-9]{4}$/,
  KR: /^[0-9]{5}$/, TH: /^[0-9]{5}$/, MY: /^[0-9]{5}$/, FR: /^[0-9]{5}$/, DE: /^[0-9]{5}$/, TW: /^[0-9]{3}([0-9]{2,3})?$/, SA: /^[0-9]{5}(-[0-9]{4})?$/,
  EG: /^[0-9]{5}$/, IN: /^[0-9]{6}$/, GB: /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/i, CA: /^[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]$/i, NL: /^[0-9]{4} ?[A-Z]{2}$/i,
};
const ANY_POSTCODE = /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/;
const regions = new Intl.DisplayNames(['en'], { type: 'region' });

/** The ISO 3166 alpha-2 code of a country as a clerk wrote it (code or common name), null when unknown; no country is Vietnam. */
export function countryCode(country: string | undefined): string | null {
  const c = (country ?? '').trim();
  if (c === '' || VIETNAM.test(c)) return 'VN';
  if (/^[A-Za-z]{2}$/.test(c)) {
    const code = c.toUpperCase();
    return regions.of(code) !== code ? code : null;
  }
  return NAMES[c.toLowerCase()] ?? null;
}

const text = (v: string | undefined | null): string => (v ?? '').replace(/\s+/g, ' ').trim();

/** The address fingerprint: what a returned letter blocks. */
export function addressHash(address: Address | null): string {
  const a = address ?? {};
  const parts = [a.street, a.ward, a.district, a.province, a.postalCode, a.country].map((p) => text(p).toLowerCase());
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 32);
}

/**
 * The letter's address for partner `name` (and its follow-up contact), or what is missing, in the
 * ledger's field names so a clerk knows what to fill in (`address.ward`, …).
 */
export function checkAddress(name: string, contact: string | null, address: Address | null): AddressCheck {
  const a = address ?? {};
  const country = countryCode(a.country);
  const missing: string[] = [];
  if (!text(name)) missing.push('name');
  if (!text(a.street)) missing.push('address.street');
  if (country === null) return { ok: false, missing: [...missing, `address.country ('${text(a.country)}' is not a country we know: use its ISO code, e.g. SG)`] };
  const postcode = text(a.postalCode).toUpperCase() || null;
  let city: string;
  if (country === 'VN') {
    if (!text(a.ward)) missing.push('address.ward');
    if (!text(a.province)) missing.push('address.province');
    if (postcode && !POSTCODE.VN.test(postcode)) missing.push(`address.postalCode ('${postcode}' is not a Vietnamese postcode: 5 or 6 digits)`);
    city = text(a.province);
  } else {
    city = text(a.district) || text(a.ward) || text(a.province);
    if (!city) missing.push('address.district (the city)');
    if (!postcode && !NO_POSTCODE.has(country)) missing.push('address.postalCode');
    const shape = POSTCODE[country] ?? ANY_POSTCODE;
    if (postcode && !shape.test(postcode)) missing.push(`address.postalCode ('${postcode}' is not a postcode of ${regions.of(country)})`);
  }
  if (missing.length > 0) return { ok: false, missing };
  const ward = text(a.ward) || null;
  const district = text(a.district) || null;
  const province = text(a.province) || null;
  const lines = [text(name), ...(contact && text(contact) ? [text(contact)] : []), text(a.street)];
  if (country === 'VN') {
    lines.push([ward, district].filter(Boolean).join(', '), province!);
    if (postcode) lines.push(postcode);
  } else {
    const locality = [ward !== city ? ward : null, district !== city ? district : null].filter(Boolean).join(', ');
    if (locality) lines.push(locality);
    lines.push([city, province !== city ? province : null, postcode].filter(Boolean).join(' '), regions.of(country)!.toUpperCase());
  }
  return { ok: true, address: { name: text(name), contact: contact && text(contact) ? text(contact) : null, street: text(a.street), ward, district, city, province, postcode, country, lines } };
}
