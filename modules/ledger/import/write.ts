/** Slices of at most `size` items: one statement per slice keeps bulk writes to a few round trips. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows as one JSON parameter for `jsonb_to_recordset`: bigints as strings, read back exactly by bigint columns. */
export function json(rows: unknown[]): string {
  return JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}
