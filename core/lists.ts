/**
 * What every working list shares (ledger invoices, payments and partners, bank lines, follow-up
 * actions): keyset paging by an opaque cursor, and a text search that ignores case and
 * diacritics.
 *
 * The cursor holds the sort key and id of the last row shown, so rows inserted or changed
 * between two pages are neither lost nor shown twice (a row whose sort key changes may move to a
 * page already read — as in any keyset list).
 */
import { sql, type RawBuilder } from 'kysely';
import { badRequest } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Folding for a search "in any case and with or without Vietnamese diacritics": every Latin
 * letter with marks (Latin-1 to Latin Extended Additional, which holds Vietnamese) maps to its
 * base letter, đ/Đ to d. The same map runs in SQL (translate) and here, on the search text.
 */
const FOLD = (() => {
  let from = '';
  let to = '';
  const add = (lo: number, hi: number) => {
    for (let c = lo; c <= hi; c++) {
      const ch = String.fromCharCode(c);
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      if (base.length === 1 && /[A-Za-z]/.test(base) && base !== ch) { from += ch; to += base.toLowerCase(); }
    }
  };
  add(0xc0, 0x24f);
  add(0x1e00, 0x1eff);
  from += 'đĐ';
  to += 'dd';
  return { from, to, map: new Map([...from].map((c, i) => [c, to[i]])) };
})();

export function fold(text: string): string {
  return [...text].map((c) => FOLD.map.get(c) ?? c).join('').toLowerCase();
}

export const folded = (column: RawBuilder<unknown>) => sql`lower(translate(${column}, ${FOLD.from}, ${FOLD.to}))`;
export const contains = (column: RawBuilder<unknown>, text: string) => sql`strpos(lower(${column}), ${text.toLowerCase()}) > 0`;

export interface Page<T> { items: T[]; next: string | null }
export interface Key { sort: string; value: string | null; id: string }

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify([key.sort, key.value, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): Key {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not one this list gave (use `next` of the page before)', 'cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[0] !== 'string' || (parsed[1] !== null && typeof parsed[1] !== 'string') || typeof parsed[2] !== 'string' || !UUID.test(parsed[2])) {
    throw badRequest('cursor is not one this list gave (use `next` of the page before)', 'cursor');
  }
  if (parsed[0] !== sort) throw badRequest(`cursor belongs to a list sorted by '${parsed[0]}', not '${sort}': start again without a cursor`, 'cursor');
  return { sort, value: parsed[1], id: parsed[2] };
}

/** A sort: the SQL key (never null), how its value is kept in a cursor and read back, the direction. */
export interface SortKey { key: RawBuilder<unknown>; cast: 'date' | 'text' | 'bigint' | 'timestamptz'; desc: boolean }

export function keyset(sort: SortKey, idColumn: RawBuilder<unknown>, after: Key | null): { where: RawBuilder<unknown> | null; order: RawBuilder<unknown> } {
  const dir = sort.desc ? sql`desc` : sql`asc`;
  const order = sql`${sort.key} ${dir}, ${idColumn} ${dir}`;
  if (!after) return { where: null, order };
  const value = sql`${after.value}::${sql.raw(sort.cast)}`;
  const where = sort.desc ? sql`(${sort.key}, ${idColumn}) < (${value}, ${after.id}::uuid)` : sql`(${sort.key}, ${idColumn}) > (${value}, ${after.id}::uuid)`;
  return { where, order };
}


/** A name (any case, with or without diacritics) or a ref (any case) containing `q`. */
export function nameOrRef(name: RawBuilder<unknown>, ref: RawBuilder<unknown>, q: string): RawBuilder<unknown> {
  return sql`(strpos(${folded(name)}, ${fold(q)}) > 0 or strpos(lower(${ref}), ${q.toLowerCase()}) > 0)`;
}
