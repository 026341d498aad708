import { Type, type TSchema } from 'typebox';

const Amount = (description: string) => Type.String({ description: `${description} — decimal string in major units` });
const Day = (description: string) => Type.String({ format: 'date', description: `${description} (YYYY-MM-DD)` });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const filters = {
  salesperson: Type.Optional(Type.String({ format: 'uuid', description: 'Only partners of this salesperson (user id)' })),
  group: Type.Optional(Type.String({ minLength: 1, description: 'Only partners of this group' })),
  partner: Type.Optional(Type.String({ minLength: 1, description: 'Only this partner (id or ref)' })),
};
const output = {
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json (default), csv (UTF-8 with BOM) or xlsx' })),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: 'Column headers of csv/xlsx (default: the company locale)' })),
};
const paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'Partners per page (JSON default 100; csv/xlsx default: all, streamed)' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, description: 'Partners to skip' })),
};

export const AgingQuery = Type.Object({
  asOf: Type.Optional(Day('Aging date (default today, company time zone); a past date is rebuilt from the allocation history')),
  buckets: Type.Optional(Type.String({ pattern: '^\\s*\\d{1,5}(\\s*,\\s*\\d{1,5})*\\s*$', description: 'Upper bounds of the overdue buckets in days (default 30,60,90,120 → 1–30, 31–60, 61–90, 91–120, 121+)' })),
  by: Type.Optional(Type.Union([Type.Literal('dueDate'), Type.Literal('invoiceDate')], { description: 'Age by due date (default) or by invoice date' })),
  sort: Type.Optional(Type.Union([Type.Literal('total'), Type.Literal('ref')], { description: 'total: largest total first (default); ref: by partner ref' })),
  ...filters, ...paging, ...output,
}, { additionalProperties: false });

const AgingAmounts = {
  notDue: Amount('Open amounts not yet due on asOf'),
  columns: Type.Array(Type.String(), { description: 'One amount per bucket, in the order of `buckets`' }),
  total: Amount('Everything open on asOf, net of unallocated credits'),
};

export const AgingOut = Type.Object({
  asOf: Type.String(), by: Type.String(),
  buckets: Type.Array(Type.String(), { description: 'Bucket labels, e.g. "1–30", …, "121+"' }),
  rows: Type.Array(Type.Object({ partner: Type.String(), ref: Type.String(), name: Type.String(), ...AgingAmounts })),
  totals: Type.Object(AgingAmounts, { description: 'Over every partner in the report, not only this page' }),
  count: Type.Integer({ description: 'Partners in the report (all pages)' }),
  limit: Type.Integer(), offset: Type.Integer(),
});

export const SummaryQuery = Type.Object({
  from: Type.Optional(Day('First day of the period (default: first day of the month of `to`)')),
  to: Type.Optional(Day('Last day of the period (default today)')),
  sort: Type.Optional(Type.Union([Type.Literal('ref'), Type.Literal('closing')], { description: 'ref (default) or largest closing balance first' })),
  ...filters, ...paging, ...output,
}, { additionalProperties: false });

const SummaryAmounts = {
  opening: Amount('Balance before `from`'), debit: Amount('Receivable debits in the period (invoices)'),
  credit: Amount('Receivable credits in the period (payments, credit notes, write-offs)'), closing: Amount('Balance at `to`'),
};
export const SummaryOut = Type.Object({
  from: Type.String(), to: Type.String(),
  rows: Type.Array(Type.Object({ partner: Type.String(), ref: Type.String(), name: Type.String(), ...SummaryAmounts })),
  totals: Type.Object(SummaryAmounts), count: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(),
});

export const DsoQuery = Type.Object({
  from: Type.Optional(Day('First day of the period (default: first day of the month of `to`)')),
  to: Type.Optional(Day('Last day of the period (default today)')),
  groupBy: Type.Optional(Type.Literal('salesperson', { description: 'Also one row per salesperson' })),
  ...filters, ...output,
}, { additionalProperties: false });

const DsoFigures = {
  receivables: Amount('Receivables at `to`'), creditSales: Amount('Credit sales in the period, including tax'),
  dso: Nullable(Type.String({ description: 'Days, one decimal, e.g. "45.3"; null without credit sales' })),
};
export const DsoOut = Type.Object({
  from: Type.String(), to: Type.String(), days: Type.Integer(), formula: Type.String(), ...DsoFigures,
  rows: Type.Optional(Type.Array(Type.Object({ salesperson: Nullable(Type.String()), name: Nullable(Type.String()), ...DsoFigures }))),
});

export const StatementParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Partner id or ref' }) });
export const StatementQuery = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('movements'), Type.Literal('outstanding')], { description: 'movements (default): opening, movements, closing; outstanding: open items on asOf' })),
  from: Type.Optional(Day('movements: first day (default: first day of the month of `to`)')),
  to: Type.Optional(Day('movements: last day (default today)')),
  asOf: Type.Optional(Day('outstanding: the day (default today)')),
  ...output,
}, { additionalProperties: false });

const PartnerRef = Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() });
const MoveKind = Type.String({ description: 'invoice, credit_note, payment, write_off, opening or entry' });
export const StatementOut = Type.Object({
  partner: PartnerRef, from: Type.String(), to: Type.String(),
  opening: Amount('Balance before `from`'), debit: Amount('Debits in the period'), credit: Amount('Credits in the period'), closing: Amount('Balance at `to`'),
  lines: Type.Array(Type.Object({
    date: Type.String(), ref: Nullable(Type.String()), description: Nullable(Type.String()), kind: MoveKind, dueDate: Type.String(),
    invoice: Nullable(Type.String()), payment: Nullable(Type.String()),
    debit: Type.String(), credit: Type.String(), balance: Amount('Running balance after this line'),
  })),
});
export const OutstandingOut = Type.Object({
  partner: PartnerRef, asOf: Type.String(),
  items: Type.Array(Type.Object({
    date: Type.String(), ref: Nullable(Type.String()), description: Nullable(Type.String()), kind: MoveKind, dueDate: Type.String(),
    invoice: Nullable(Type.String()), payment: Nullable(Type.String()),
    amount: Amount('Original amount of the line (negative for a credit)'), residual: Amount('Still open on asOf'),
    daysOverdue: Nullable(Type.Integer({ description: 'Days past due on asOf (0 if not due); null for a credit' })),
  })),
  total: Amount('Σ residuals: the balance on asOf'), overdue: Amount('Σ residuals of items past due on asOf'),
});

