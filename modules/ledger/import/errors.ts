import { ProblemError, type ProblemFieldError } from '../../../core/errors.js';

/**
 * One finding about the file, addressed as the user sees it: `row` is the row number in the file
 * (the header is row 1 in a plain file), `column` the header as written in the file (or the
 * expected name when the column is missing). `field` repeats both for generic problem readers.
 */
export interface RowError extends ProblemFieldError {
  row: number;
  column: string | null;
  value: string | null;
  message: string;
}

export class RowErrors {
  readonly list: RowError[] = [];
  private readonly position = new Map<RowError, number>();

  /** `at`: the column's position in the file, to list a row's errors left to right. */
  add(row: number, column: string | null, value: string | null, message: string, at = -1): void {
    const error = { row, column, value, message, field: column ? `row ${row}: ${column}` : `row ${row}` };
    this.list.push(error);
    this.position.set(error, at);
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  /** 400 with every error, row by row; nothing has been written. */
  problem(): ProblemError {
    const rows = new Set(this.list.map((e) => e.row)).size;
    const sorted = [...this.list].sort((a, b) => a.row - b.row || this.position.get(a)! - this.position.get(b)!);
    return new ProblemError(400, 'import-rejected', 'The file was not imported',
      `${this.list.length} error${this.list.length === 1 ? '' : 's'} in ${rows} row${rows === 1 ? '' : 's'}; nothing was imported. Correct the file and import it again.`,
      'body', sorted);
  }
}

/** A problem with the file as a whole (not readable, wrong format): one error, nothing imported. */
export function fileProblem(message: string, row = 0): ProblemError {
  const errors = new RowErrors();
  errors.add(row, null, null, message);
  const problem = errors.problem();
  return new ProblemError(400, 'import-rejected', problem.title, `${message}; nothing was imported.`, 'body', problem.errors);
}
