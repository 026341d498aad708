/**
 * The :86: information to account owner that follows a :61: line. Three dialects:
 * - German (DFÜ/DATEV): a 3-digit transaction code, then subfields `?00` posting text, `?20`–`?29`
 *   and `?60`–`?63` purpose, `?30` bank code, `?31` account, `?32`/`?33` name; the purpose may carry
 *   SEPA keywords (EREF+, KREF+, SVWZ+ …);
 * - Dutch/Belgian slash tags: `/TRTP/…/NAME/…/IBAN/…/REMI/…/EREF/…`;
 * - free text.
 */
import { optional, squash } from './common.js';

export interface LineInfo {
  description?: string;
  counterparty?: string;
  counterpartyAccount?: string;
  /** End-to-end id or the payer's own reference found in the text. */
  reference?: string;
}

/**
 * Field lines are cut at 65 characters: a line that long was cut wherever the limit fell and
 * joins its successor directly; a shorter one ended where the bank ended it, which is a space.
 */
export function joinWrapped(lines: string[]): string {
  let out = lines[0] ?? '';
  for (let i = 1; i < lines.length; i++) out += (lines[i - 1].length >= 65 ? '' : ' ') + lines[i];
  return out;
}

const NOT_PROVIDED = /^(NOTPROVIDED|NONREF|NOT PROVIDED)$/i;
const ref = (text: string | undefined): string | undefined => {
  const s = optional(text);
  return s && !NOT_PROVIDED.test(s) ? s : undefined;
};

const SEPA_KEYS = /(EREF|KREF|MREF|CRED|DEBT|COAM|OAMT|SVWZ|ABWA|ABWE|IBAN|BIC)\+/g;

function german(joined: string): LineInfo {
  const sub = new Map<string, string>();
  const marks = [...joined.matchAll(/\?(\d{2})/g)];
  marks.forEach((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].index : joined.length;
    const key = m[1];
    sub.set(key, (sub.get(key) ?? '') + joined.slice(m.index + 3, end));
  });
  const pick = (keys: string[]) => keys.map((k) => sub.get(k) ?? '').join('');
  const purpose = pick(['20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '60', '61', '62', '63']);
  const sepa = new Map<string, string>();
  const keys = [...purpose.matchAll(SEPA_KEYS)];
  keys.forEach((m, i) => {
    const end = i + 1 < keys.length ? keys[i + 1].index : purpose.length;
    sepa.set(m[1], purpose.slice(m.index + m[0].length, end));
  });
  const before = keys.length ? purpose.slice(0, keys[0].index) : purpose;
  return {
    description: optional(sepa.get('SVWZ')) ?? optional(before) ?? optional(purpose) ?? optional(sub.get('00')),
    counterparty: optional(pick(['32', '33'])),
    counterpartyAccount: optional(sub.get('31')) ?? optional(sepa.get('IBAN')),
    reference: ref(sepa.get('EREF')) ?? ref(sepa.get('KREF')),
  };
}

/** The value less its closing slashes ("ACME BV//" → "ACME BV"), scanned from the end. */
function withoutTrailingSlashes(value: string): string {
  const trimmed = value.trimEnd();
  let end = trimmed.length;
  while (end > 0 && trimmed[end - 1] === '/') end--;
  return end < trimmed.length ? trimmed.slice(0, end) : value;
}

const SLASH_TAGS = ['TRTP', 'IBAN', 'BIC', 'NAME', 'REMI', 'EREF', 'MARF', 'CSID', 'CNTP', 'ISDT', 'RTRN', 'ORDP', 'BENM',
  'ULTC', 'ULTD', 'ULTB', 'PURP', 'PREF', 'KREF', 'IREF', 'ADDR', 'SUM', 'BBAN', 'ACCW', 'OCMT', 'SVCL'];
const SLASH = new RegExp(`/(${SLASH_TAGS.join('|')})/`, 'g');

function slashTags(joined: string): LineInfo {
  const tags = new Map<string, string>();
  const marks = [...joined.matchAll(SLASH)];
  marks.forEach((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].index : joined.length;
    if (!tags.has(m[1])) tags.set(m[1], withoutTrailingSlashes(joined.slice(m.index + m[0].length, end)));
  });
  // /CNTP/account/BIC/name/city/ (ING)
  const cntp = tags.get('CNTP')?.split('/');
  // /REMI/USTD//free text/ or /REMI/STRD/CUR/reference/
  const remi = tags.get('REMI')?.replace(/^USTD\/\//, '').replace(/^STRD\/[A-Z]*\//, '');
  return {
    description: optional(remi) ?? optional(joined),
    counterparty: optional(tags.get('NAME')) ?? optional(cntp?.[2]),
    counterpartyAccount: optional(tags.get('IBAN')) ?? optional(tags.get('BBAN')) ?? optional(cntp?.[0]),
    reference: ref(tags.get('EREF')) ?? ref(tags.get('PREF')),
  };
}

export function parseInformation(lines: string[]): LineInfo {
  const direct = lines.join('');
  if (/^\s*\d{3}\s*\?\d{2}/.test(direct) || /^\s*\?\d{2}/.test(direct)) return german(direct.trim());
  const joined = joinWrapped(lines);
  if (/^\s*\/[A-Z]{3,4}\//.test(joined)) return slashTags(joined.trim());
  return { description: optional(squash(joined)) };
}
