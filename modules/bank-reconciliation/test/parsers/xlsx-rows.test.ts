/** A workbook longer than the bank reads is refused like a CSV file of that length, never cut short. */
import t from 'tap';
import { parseStatement } from '../../parsers/index.js';
import { MAX_ROWS } from '../../parsers/sheet.js';
import { closeSpreadsheetWorkers } from '../../../../core/spreadsheet.js';
import { sheetXlsx } from '../../../../test/helpers/xlsx.js';

t.teardown(() => closeSpreadsheetWorkers());

t.test(`an XLSX statement of more than ${MAX_ROWS} rows is refused, not read in part`, async (t) => {
  const file = sheetXlsx(Array.from({ length: MAX_ROWS + 1 }, (_, i) => [i]));
  await t.rejects(parseStatement(file, 'xlsx'), { message: new RegExp(`the file has more than ${MAX_ROWS} rows; split it`) });
});
