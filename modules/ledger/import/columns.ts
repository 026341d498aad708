import { RowErrors } from './errors.js';
import type { SheetRow } from './table.js';
import type { SavedMapping } from './mappings.js';
import { fold, type Cell } from './values.js';

/** A column the import understands: its key, the name used in messages, and the headers it answers to. */
export interface ColumnDef<K extends string = string> { key: K; label: string; aliases: string[] }

/** How the file's header row maps onto the columns. */
export interface Layout<K extends string> {
  headerRow: number;
  /** Column key → position and header text as written in the file. */
  columns: Map<K, { index: number; header: string }>;
  /** Headers no column answers to (reported, otherwise left alone). */
  ignored: string[];
  rows: SheetRow[];
}

/** Headers that are never data: a running number. */
const ALWAYS_IGNORED = new Set(['stt', 'no', 'tt', 'so tt', 'so thu tu', '#', '']);

/**
 * Finds the header row (the first of the first 20 rows holding a header of the `anchor` column,
 * so title rows above it are skipped) and maps its headers, folded (case and diacritics
 * insensitive), onto the columns: the company's saved headers first, then the built-in ones.
 * Two headers for one column is an error.
 */
export function layout<K extends string>(rows: SheetRow[], defs: ColumnDef<K>[], anchor: K, errors: RowErrors, saved: SavedMapping = {}): Layout<K> | null {
  const byAlias = new Map<string, ColumnDef<K>>();
  for (const d of defs) for (const a of [d.key, d.label, ...d.aliases]) byAlias.set(fold(a), d);
  for (const [header, key] of Object.entries(saved)) {
    const def = defs.find((d) => d.key === key);
    if (def) byAlias.set(fold(header), def);
  }
  const anchorDef = defs.find((d) => d.key === anchor)!;
  const headerAt = rows.slice(0, 20).findIndex((r) => r.cells.some((c) => byAlias.get(fold(c.text)) === anchorDef));
  if (headerAt === -1) {
    errors.add(rows[0]?.row ?? 1, anchorDef.label, null,
      `no header row found: the first rows must name the columns, with at least a '${anchorDef.label}' column (also read: ${anchorDef.aliases.slice(0, 4).join(', ')})`);
    return null;
  }
  const header = rows[headerAt];
  const columns = new Map<K, { index: number; header: string }>();
  const ignored: string[] = [];
  header.cells.forEach((cell, index) => {
    const def = byAlias.get(fold(cell.text));
    if (!def) {
      if (!ALWAYS_IGNORED.has(fold(cell.text))) ignored.push(cell.text);
      return;
    }
    const seen = columns.get(def.key);
    if (seen) {
      errors.add(header.row, cell.text, cell.text, `'${seen.header}' and '${cell.text}' are both the ${def.label} column; keep one`);
      return;
    }
    columns.set(def.key, { index, header: cell.text });
  });
  return { headerRow: header.row, columns, ignored, rows: rows.slice(headerAt + 1) };
}

/** Reads a data row's cells by column key; blank cells read as absent. */
export class RowReader<K extends string> {
  constructor(private readonly layout: Layout<K>, readonly row: SheetRow, private readonly errors: RowErrors, private readonly defs: ColumnDef<K>[]) {}

  has(key: K): boolean {
    return this.layout.columns.has(key);
  }

  cell(key: K): Cell | undefined {
    const at = this.layout.columns.get(key);
    if (!at) return undefined;
    const cell = this.row.cells[at.index];
    return cell && cell.text !== '' ? cell : undefined;
  }

  text(key: K): string | undefined {
    return this.cell(key)?.text;
  }

  /** The column's header as the file writes it (or its label when the file lacks it). */
  header(key: K): string {
    return this.layout.columns.get(key)?.header ?? this.defs.find((d) => d.key === key)!.label;
  }

  error(key: K | null, message: string): void {
    this.errors.add(this.row.row, key ? this.header(key) : null, key ? (this.text(key) ?? null) : null, message, key ? (this.layout.columns.get(key)?.index ?? -1) : -1);
  }

  /** Applies `parse` to the cell, recording its error against this row and column. */
  parse<T>(key: K, parse: (cell: Cell) => T): T | undefined {
    const cell = this.cell(key);
    if (!cell) return undefined;
    try {
      return parse(cell);
    } catch (err) {
      this.error(key, (err as Error).message);
      return undefined;
    }
  }
}

export function readers<K extends string>(l: Layout<K>, defs: ColumnDef<K>[], errors: RowErrors): RowReader<K>[] {
  return l.rows.map((r) => new RowReader(l, r, errors, defs));
}
