import { Type } from 'typebox';
import { DecimalInput } from '../../core/decimal-input.js';

const Day = (description: string) => Type.String({ description: `${description} (YYYY-MM-DD)` });

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
export const TermParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: "The term's id or its name (any case; a seeded term by its name in any language)" }) });
export const PartnerParams = Type.Object({ partnerId: Type.String({ minLength: 1, description: 'Partner id or ref' }) });

const LineValue = Type.Enum(['percent', 'fixed', 'balance'], { description: 'percent of the total, a fixed amount, or the balance (what the other lines leave; exactly one, last)' });
const DelayType = Type.Enum(['days_after', 'days_after_end_of_month', 'days_after_end_of_next_month', 'days_end_of_month_on_the'], {
  description: 'days_after: invoice date + days; days_after_end_of_month: end of the invoice month + days; days_after_end_of_next_month: end of the following month + days '
    + '(a negative days counts back from that month\'s end); days_end_of_month_on_the: invoice date + days, then the end of that month, then day dayOfMonth of the following month (clamped to its last day; 0 = the end of the month itself)',
});

export const TermLine = Type.Object({
  value: LineValue,
  amount: Type.Optional(DecimalInput('percent lines: a percentage, up to 6 decimals ("30", "12.5"); fixed lines: an amount in major units ("500000"); left out on the balance line')),
  delayType: DelayType,
  days: Type.Integer({ description: 'Days to add (from -27 for the end-of-month delays)' }),
  dayOfMonth: Type.Optional(Type.Integer({ minimum: 0, maximum: 31, description: 'days_end_of_month_on_the only: the day of the following month (0 = the end of the month reached)' })),
}, { additionalProperties: false });

export const EarlyDiscount = Type.Object({
  percent: DecimalInput('Discount percentage, up to 6 decimals, e.g. "2"'),
  days: Type.Integer({ description: 'The discount holds for payments up to invoice date + days' }),
}, { additionalProperties: false });

export const NewTerm = Type.Object({
  name: Type.String({ minLength: 1, description: 'Unique among active terms; invoices may name a term instead of giving its id' }),
  note: Type.Optional(Type.String({ description: 'Text for the invoice' })),
  lines: Type.Array(TermLine, { minItems: 1, maxItems: 20 }),
  earlyDiscount: Type.Optional(EarlyDiscount),
}, { additionalProperties: false });

export const TermOut = Type.Object({
  id: Type.String(), name: Type.String(),
  version: Type.Integer({ description: 'The version shown' }), currentVersion: Type.Integer({ description: 'The version new invoices use' }),
  archived: Type.Boolean(), note: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(Type.Object({
    value: Type.String(), amount: Type.Optional(Type.String()), delayType: Type.String(), days: Type.Integer(), dayOfMonth: Type.Optional(Type.Integer()),
  })),
  earlyDiscount: Type.Union([Type.Object({ percent: Type.String(), days: Type.Integer() }), Type.Null()]),
  createdAt: Type.String(), updatedAt: Type.String(),
});

export const ListQuery = Type.Object({
  archived: Type.Optional(Type.Boolean({ description: 'Include archived terms' })),
}, { additionalProperties: false });
export const VersionQuery = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'An earlier version (default: the current one)' })),
}, { additionalProperties: false });

export const PreviewBody = Type.Object({
  date: Day('Invoice date'),
  amount: DecimalInput('Invoice total, in major units'),
  currency: Type.Optional(Type.String({ description: 'Default: the company currency' })),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'Preview an earlier version' })),
}, { additionalProperties: false });

export const PreviewOut = Type.Object({
  term: Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer() }),
  date: Type.String(), currency: Type.String(), total: Type.String(),
  installments: Type.Array(Type.Object({ dueDate: Type.String(), amount: Type.String() })),
  discount: Type.Optional(Type.Object({ until: Type.String(), amount: Type.String() })),
});

export const DefaultTermBody = Type.Object({
  term: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: 'Term id or name; null clears the default' }),
}, { additionalProperties: false });

export const DefaultTermOut = Type.Object({
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  term: Type.Union([Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer() }), Type.Null()]),
});
