import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

export default defineModule({
  name: 'bank-reconciliation',
  version: '1.0.0',
  summary: 'Bank statements (MT940, camt.053/054, OFX, CSV/XLSX) imported, matched to invoices and payments; matched receipts settle invoices',
  depends: ['ledger'],
  core: '^0.1.0',
  settings: Type.Object({
    /** Apply the exact matches (payment reference, invoice number, known payer account with an equal amount) at import. */
    autoValidate: Type.Boolean({ default: true }),
    /** Column layout used for CSV/XLSX files of a bank account that has no mapping of its own. */
    csvPreset: Type.String({ default: 'vn-generic' }),
  }, { additionalProperties: false }),
  emits: ['bank.statement_imported', 'bank.line_matched', 'bank.line_unmatched'],
  consumes: [],
});
