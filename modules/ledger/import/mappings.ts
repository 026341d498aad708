/**
 * A company's saved column mapping per import: the headers its own exports write ("Mã KH",
 * "Số CT", "Thành tiền") mapped once onto the import's columns, then read in every later file of
 * that kind before the built-in headers (a saved header wins where both would answer).
 */
import { badRequest } from '../../../core/errors.js';
import type { Books } from '../context.js';
import type { ColumnDef } from './columns.js';
import { fold } from './values.js';

export const IMPORT_KINDS = ['partners', 'opening-balances', 'invoices', 'receipts'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** Header (as the company writes it) → column key. */
export type SavedMapping = Record<string, string>;

const MAX_HEADERS = 200;
const MAX_HEADER_LENGTH = 100;

export async function readMapping(books: Books, kind: ImportKind): Promise<{ columns: SavedMapping; updatedAt: Date | null }> {
  const row = await books.trx.selectFrom('ledger_import_mapping').select(['columns', 'updated_at'])
    .where('tenant_id', '=', books.tenantId).where('kind', '=', kind).executeTakeFirst();
  return { columns: row?.columns ?? {}, updatedAt: row?.updated_at ?? null };
}

/** Checks a mapping against the import's columns; every finding names its header. */
export function checkMapping(columns: unknown, defs: ColumnDef[]): SavedMapping {
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) throw badRequest('columns must be an object: the header as your file writes it → the column it holds', 'columns');
  const entries = Object.entries(columns);
  if (entries.length > MAX_HEADERS) throw badRequest(`columns maps ${entries.length} headers; at most ${MAX_HEADERS}`, 'columns');
  const keys = new Set(defs.map((d) => d.key));
  const seen = new Map<string, string>();
  const out: SavedMapping = {};
  for (const [header, key] of entries) {
    const field = `columns.${header}`;
    const text = header.trim();
    if (text.length > MAX_HEADER_LENGTH) throw badRequest(`header '${text.slice(0, 40)}…' is longer than ${MAX_HEADER_LENGTH} characters`, field);
    const folded = fold(text);
    if (folded === '') throw badRequest(`header '${header}' has no letter or digit to recognise it by`, field);
    if (typeof key !== 'string' || !keys.has(key)) {
      throw badRequest(`'${String(key)}' is not a column of this import; one of ${[...keys].join(', ')}`, field);
    }
    const twin = seen.get(folded);
    if (twin !== undefined) throw badRequest(`headers '${twin}' and '${text}' are the same once case and accents are set aside; keep one`, field);
    seen.set(folded, text);
    out[text] = key;
  }
  return out;
}

export async function saveMapping(books: Books, kind: ImportKind, columns: SavedMapping): Promise<Date> {
  const before = await readMapping(books, kind);
  const row = await books.trx.insertInto('ledger_import_mapping')
    .values({ tenant_id: books.tenantId, kind, columns: JSON.stringify(columns), updated_at: new Date() })
    .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doUpdateSet({ columns: JSON.stringify(columns), updated_at: new Date() }))
    .returning('updated_at').executeTakeFirstOrThrow();
  await books.api.audit(books.trx, books.tenantId, {
    actor: books.actor, action: 'import_mapping.saved', entity: 'import_mapping', entityId: kind, before: before.updatedAt ? before.columns : undefined, after: columns,
  });
  return row.updated_at;
}

export async function deleteMapping(books: Books, kind: ImportKind): Promise<boolean> {
  const gone = await books.trx.deleteFrom('ledger_import_mapping').where('tenant_id', '=', books.tenantId).where('kind', '=', kind).returning('columns').executeTakeFirst();
  if (gone) await books.api.audit(books.trx, books.tenantId, { actor: books.actor, action: 'import_mapping.deleted', entity: 'import_mapping', entityId: kind, before: gone.columns });
  return gone !== undefined;
}
