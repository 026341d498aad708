/**
 * RFC 4180 CSV, read the way spreadsheet programs write it: fields separated by one delimiter,
 * records by CRLF, LF or CR; a field in double quotes may hold delimiters, line breaks and `""`
 * for a quote. Like Excel, a quote inside an unquoted field is kept as a character, and text
 * after a closing quote is appended to the field. A quote left open at the end is an error.
 */

export class CsvError extends Error {
  constructor(readonly row: number, message: string) {
    super(message);
  }
}

export type Delimiter = ',' | ';' | '\t';

/**
 * The delimiter: the most frequent of `,` `;` and tab outside quotes on the first line that has
 * any (a title line above the table has none); `,` on a tie or when no line has one.
 */
export function detectDelimiter(text: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (counts[','] + counts[';'] + counts['\t'] > 0) break;
    } else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  let best: Delimiter = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

/** Records as arrays of fields; record i (0-based) is row i + 1 as a spreadsheet shows it. */
export function parseCsv(text: string, delimiter: Delimiter): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let started = false; // the current field has begun (text or a quoted part)
  let i = 0;
  const n = text.length;
  const endField = () => {
    record.push(field);
    field = '';
    started = false;
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && !started) {
      const openedOn = records.length + 1;
      started = true;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw new CsvError(openedOn, `a quote opened on row ${openedOn} is never closed`);
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else if (c === delimiter) {
      endField();
      i++;
    } else if (c === '\n') {
      endRecord();
      i++;
    } else if (c === '\r') {
      endRecord();
      i += text[i + 1] === '\n' ? 2 : 1;
    } else {
      // Plain text up to the next delimiter or line break, in one slice.
      let j = i + 1;
      while (j < n) {
        const d = text[j];
        if (d === delimiter || d === '\n' || d === '\r') break;
        j++;
      }
      field += text.slice(i, j);
      started = true;
      i = j;
    }
  }
  // A last record without a line break; a trailing line break adds no empty record.
  if (started || record.length > 0) endRecord();
  return records;
}
