import { Type } from 'typebox';
import { IMPORT_KINDS } from './mappings.js';

const Format = Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { description: 'csv (UTF-8, comma, semicolon or tab) or xlsx (first visible sheet); sniffed from the file when omitted' });
const DryRun = Type.Boolean({ description: 'Check the file and answer what would happen; nothing is written' });

export const PartnerImportQuery = Type.Object({ format: Type.Optional(Format), dryRun: Type.Optional(DryRun) }, { additionalProperties: false });

export const OpeningImportQuery = Type.Object({
  format: Type.Optional(Format),
  date: Type.Optional(Type.String({ description: 'Closing date the balances are at (YYYY-MM-DD); required for per-partner balances' })),
  dryRun: Type.Optional(DryRun),
}, { additionalProperties: false });

const Ignored = Type.Array(Type.String(), { description: 'Headers of the file that no column answers to (left alone)' });

export const PartnerImportResult = Type.Object({
  dryRun: Type.Boolean(),
  rows: Type.Integer({ description: 'Data rows read' }),
  created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(),
  ignoredColumns: Ignored,
});

export const OpeningImportResult = Type.Object({
  dryRun: Type.Boolean(),
  mode: Type.Union([Type.Literal('partner'), Type.Literal('invoice')], { description: 'partner: one balance per partner at the closing date; invoice: one row per open invoice' }),
  date: Type.Union([Type.String(), Type.Null()]),
  rows: Type.Integer(), entries: Type.Integer({ description: 'Journal entries (kind opening) posted' }), partners: Type.Integer(),
  total: Type.String({ description: 'Net receivable opened (debit items less customer credits)' }),
  debit: Type.String(), credit: Type.String(),
  skipped: Type.Integer({ description: 'Rows with a zero balance' }),
  ignoredColumns: Ignored,
});

export const InvoiceImportResult = Type.Object({
  dryRun: Type.Boolean(),
  rows: Type.Integer({ description: 'Data rows read (one per invoice line)' }),
  invoices: Type.Integer({ description: 'Invoices posted (a dry run: that would be)' }),
  partners: Type.Integer(),
  total: Type.String({ description: 'Σ totals, tax included' }),
  ignoredColumns: Ignored,
});

export const EInvoiceImportQuery = Type.Object({ dryRun: Type.Optional(DryRun) }, { additionalProperties: false });

export const EInvoiceImportResult = Type.Object({
  dryRun: Type.Boolean(),
  files: Type.Integer({ description: 'XML files read' }),
  imported: Type.Integer({ description: 'Invoices posted (a dry run: that would be)' }),
  duplicates: Type.Integer({ description: 'Already in the books (same form, series and number) or twice in the upload: not posted again' }),
  partnersCreated: Type.Integer({ description: 'Buyers the books did not know, created' }),
  total: Type.String({ description: 'Σ totals of the invoices posted' }),
  invoices: Type.Array(Type.Object({
    file: Type.String(), form: Type.String(), series: Type.String(), number: Type.String(),
    id: Type.Union([Type.String(), Type.Null()], { description: 'The invoice posted (null: a duplicate, or a dry run)' }), duplicate: Type.Boolean(),
  })),
  errors: Type.Array(Type.Object({ file: Type.String(), field: Type.String(), message: Type.String() }), { description: 'Empty when imported: any finding refuses the whole upload (400)' }),
});

export const ReceiptImportResult = Type.Object({
  dryRun: Type.Boolean(),
  rows: Type.Integer({ description: 'Data rows read' }),
  payments: Type.Integer({ description: 'Payments registered (a dry run: that would be)' }),
  partners: Type.Integer(),
  total: Type.String({ description: 'Σ amounts received' }),
  ignoredColumns: Ignored,
});

export const ImportProblem = Type.Object({
  type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({
    row: Type.Optional(Type.Integer({ description: 'Row number in the file (header = row 1 in a plain file; 0 = the file as a whole)' })),
    column: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The header as written in the file' })),
    value: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    message: Type.String(), field: Type.String(),
    file: Type.Optional(Type.String({ description: 'The e-invoice file the finding is about' })),
  }))),
}, { additionalProperties: true });

export const MappingParams = Type.Object({
  kind: Type.Union(IMPORT_KINDS.map((k) => Type.Literal(k)), { description: 'The import the mapping is for' }),
});
const MappingColumns = Type.Record(Type.String(), Type.String(), { description: "The header as your file writes it → the column it holds (a key of `available`), e.g. {\"Mã KH\": \"ref\", \"Số CT\": \"document\"}" });
export const MappingBody = Type.Object({ columns: MappingColumns }, { additionalProperties: false });
export const MappingOut = Type.Object({
  kind: Type.String(),
  columns: MappingColumns,
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  available: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), headers: Type.Array(Type.String(), { description: 'Headers read without a mapping (case and accents aside)' }) }), { description: "The import's columns" }),
});
