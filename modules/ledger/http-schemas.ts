import { Type } from 'typebox';
import { DecimalInput } from '../../core/decimal-input.js';

const Amount = (description: string) => Type.String({ description: `${description} — a decimal string in major units, e.g. "1250000" (VND) or "12.50" (USD)` });
/** An amount in a request: in major units, a decimal string or an exact JSON number. */
const AmountIn = (description: string) => DecimalInput(`${description}, in major units of the currency`);
const Day = (description: string) => Type.String({ description: `${description} (YYYY-MM-DD)` });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const InvoiceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, description: 'Invoice id or number (e.g. INV/2026/00001, its slashes written %2F)' }) });
export const PartnerParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Partner id or ref' }) });

export const Address = Type.Object({
  street: Type.Optional(Type.String()), ward: Type.Optional(Type.String()),
  district: Type.Optional(Type.String({ description: 'Optional: Vietnamese addresses since 2025 often have no district' })),
  province: Type.Optional(Type.String()), country: Type.Optional(Type.String()), postalCode: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const Contact = Type.Object({
  kind: Type.Union([Type.Literal('followup'), Type.Literal('invoice'), Type.Literal('other')], { description: 'A follow-up contact is written to before the invoice address' }),
  name: Type.String({ minLength: 1 }), email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()), lang: Type.Optional(Type.String()),
}, { additionalProperties: false });

const Trust = Type.Union([Type.Literal('good'), Type.Literal('normal'), Type.Literal('bad')]);

const partnerFields = {
  ref: Type.String({ minLength: 1, maxLength: 64, description: 'Your code for the customer, unique' }),
  name: Type.String({ minLength: 1, maxLength: 300 }),
  email: Type.Optional(Nullable(Type.String())),
  phone: Type.Optional(Nullable(Type.String())),
  lang: Type.Optional(Nullable(Type.String({ description: 'e.g. vi, en, zh, ar' }))),
  address: Type.Optional(Type.Union([Address, Type.Null()])),
  taxCode: Type.Optional(Nullable(Type.String())),
  salesperson: Type.Optional(Nullable(Type.String({ description: 'User id of the salesperson / responsible' }))),
  group: Type.Optional(Nullable(Type.String())),
  creditLimit: Type.Optional(Type.Union([AmountIn('Credit limit'), Type.Null()])),
  trust: Type.Optional(Trust),
  bankAccounts: Type.Optional(Type.Array(Type.String(), { description: 'Account numbers the customer pays from (bank matching)' })),
  active: Type.Optional(Type.Boolean()),
  contacts: Type.Optional(Type.Array(Contact)),
};

export const NewPartner = Type.Object(partnerFields, { additionalProperties: false });
export const PartnerPatch = Type.Partial(Type.Object(partnerFields), { additionalProperties: false });

export const PartnerOut = Type.Object({
  id: Type.String(), ref: Type.String(), name: Type.String(), email: Nullable(Type.String()), phone: Nullable(Type.String()), lang: Nullable(Type.String()),
  address: Type.Union([Address, Type.Null()]), taxCode: Nullable(Type.String()), salesperson: Nullable(Type.String()), group: Nullable(Type.String()),
  creditLimit: Nullable(Type.String()), trust: Trust, bankAccounts: Type.Array(Type.String()), active: Type.Boolean(),
  contacts: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), name: Type.String(), email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()), lang: Type.Optional(Type.String()) })),
  balance: Amount('Everything the partner owes, net of unallocated credit'),
  overdue: Amount('Open amounts past their due date'),
});

const ListFormat = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], {
  description: 'json (default); csv or xlsx: every row of the filtered list as a file (also chosen by `Accept: text/csv`)',
}));
export const PartnerList = Type.Object({
  items: Type.Array(PartnerOut),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last' }),
  total: Type.Object({ count: Type.Integer(), amount: Type.String({ description: 'Σ balances of the filtered partners' }), overdue: Type.String({ description: 'Σ overdue' }) }),
});
export const PartnerQuery = Type.Object({
  ref: Type.Optional(Type.String({ description: 'The ref, exactly' })),
  name: Type.Optional(Type.String({ description: 'Part of the name, any case' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The name or ref contains this — any case, with or without Vietnamese diacritics" })),
  salesperson: Type.Optional(Type.String({ format: 'uuid' })), group: Type.Optional(Type.String()),
  overdue: Type.Optional(Type.Boolean({ description: 'true: something is overdue today' })),
  sort: Type.Optional(Type.Union(['name', '-name', 'ref', '-ref', 'balance', '-balance', 'overdue', '-overdue'].map((s) => Type.Literal(s)), { description: 'Default name; ties by id' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`next` of the page before' })),
  format: ListFormat,
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
}, { additionalProperties: false });

export const InvoiceLine = Type.Object({
  description: Type.String({ minLength: 1 }),
  quantity: DecimalInput('Quantity, up to 6 decimals, e.g. "1" or "2.5"'),
  unitPrice: AmountIn('Unit price before tax; negative for a discount line (it lowers the goods of its VAT rate, never below zero)'),
  taxRate: Type.Optional(DecimalInput('VAT percent, up to 4 decimals, e.g. "10", "8", "5", "0"')),
  tax: Type.Optional(AmountIn("The line's VAT as your document states it (a document that rounds VAT once per rate); at most one minor unit from subtotal × rate. Computed when absent")),
}, { additionalProperties: false });

export const NewInvoice = Type.Object({
  partner: Type.String({ minLength: 1, description: 'Partner id or ref' }),
  date: Day('Invoice date'),
  dueDate: Type.Optional(Day('Due date (one instalment)')),
  paymentTerm: Type.Optional(Type.String({ description: 'Payment term id or name (needs the payment-terms module)' })),
  currency: Type.Optional(Type.String()),
  lines: Type.Array(InvoiceLine, { minItems: 1, maxItems: 1000 }),
  post: Type.Optional(Type.Boolean({ description: 'Post at once (default: stay a draft)' })),
  einvoice: Type.Optional(Type.Object({ form: Type.Optional(Type.String()), series: Type.Optional(Type.String()), number: Type.Optional(Type.String()) }, { additionalProperties: false, description: 'Vietnamese e-invoice form (mẫu số), series (ký hiệu) and number, kept as given' })),
  notes: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const InvoiceOut = Type.Object({
  id: Type.String(), kind: Type.Union([Type.Literal('invoice'), Type.Literal('credit_note')]), number: Nullable(Type.String()),
  state: Type.Union([Type.Literal('draft'), Type.Literal('posted')]),
  paymentState: Type.Union([Type.Literal('not_paid'), Type.Literal('partial'), Type.Literal('in_payment'), Type.Literal('paid'), Type.Literal('reversed')]),
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  date: Type.String(), dueDate: Nullable(Type.String()), currency: Type.String(),
  paymentReference: Nullable(Type.String({ description: 'Short code with a check character for bank transfers and QR codes' })),
  paymentTerm: Type.Unknown(), discount: Type.Union([Type.Object({ until: Type.String(), amount: Type.String() }), Type.Null()]),
  untaxed: Type.String(), tax: Type.String(), total: Type.String(), residual: Type.String(),
  installments: Type.Array(Type.Object({ dueDate: Type.String(), amount: Type.String(), residual: Type.String() })),
  lines: Type.Array(Type.Object({ description: Type.String(), quantity: Type.String(), unitPrice: Type.String(), taxRate: Type.String(), subtotal: Type.String(), tax: Type.String() })),
  einvoice: Type.Object({ form: Nullable(Type.String()), series: Nullable(Type.String()), number: Nullable(Type.String()) }),
  originInvoice: Nullable(Type.String()), notes: Nullable(Type.String()),
});

export const ReverseBody = Type.Object({
  date: Type.Optional(Day('Credit note date (default: today, or the invoice date if later)')),
  reason: Type.Optional(Type.String()),
  lines: Type.Optional(Type.Array(InvoiceLine, { minItems: 1, description: 'For a partial credit: the lines to credit (default: the whole invoice)' })),
}, { additionalProperties: false });

export const NewPayment = Type.Object({
  partner: Type.String({ minLength: 1, description: 'Partner id or ref' }),
  date: Day('Payment date'),
  amount: AmountIn('Amount received'),
  currency: Type.Optional(Type.String()),
  reference: Type.Optional(Type.String()),
  journal: Type.Optional(Type.Union([Type.Literal('bank'), Type.Literal('cash')], { description: 'bank (default): in payment until matched to a statement line; cash: settled at once' })),
  allocations: Type.Optional(Type.Array(Type.Object({
    invoice: Type.String({ description: 'Invoice id or number' }), amount: AmountIn('Amount applied'),
  }, { additionalProperties: false }), { description: 'Without it: oldest due first' })),
}, { additionalProperties: false });

export const PaymentOut = Type.Object({
  id: Type.String(), partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }), date: Type.String(),
  amount: Type.String(), currency: Type.String(), reference: Nullable(Type.String()), journal: Type.String(), bankMatched: Type.Boolean(),
  reversedOn: Nullable(Type.String({ description: 'Date the payment was cancelled by a reversal entry' })),
  allocated: Type.String(), unallocated: Type.String(),
  allocations: Type.Array(Type.Object({ invoice: Nullable(Type.String()), number: Nullable(Type.String()), amount: Type.String(), date: Type.String() })),
});

export const UnallocateBody = Type.Object({
  invoice: Type.Optional(Type.String({ description: 'Only this invoice (id or number); default all' })),
  date: Type.Optional(Day('Date the allocation stops counting (default today)')),
}, { additionalProperties: false });

export const AllocationBody = Type.Object({
  payment: Type.Optional(Type.String({ format: 'uuid' })), creditNote: Type.Optional(Type.String({ format: 'uuid' })),
  invoice: Type.String(), amount: Type.Optional(AmountIn('Amount (default: as much as possible)')), date: Type.Optional(Day('Allocation date')),
}, { additionalProperties: false });

export const WriteOffBody = Type.Object({
  amount: Type.Optional(AmountIn('Amount (default: all that is open)')), date: Type.Optional(Day('Date')), reason: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const ReversePaymentBody = Type.Object({
  date: Type.Optional(Day('Date of the reversal (default: today, or the payment date if later)')),
  reason: Type.Optional(Type.String()),
}, { additionalProperties: false });

// ---- Working lists ---------------------------------------------------------------------------

const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Rows per page' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`next` of the page before' })),
  format: ListFormat,
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
};
const Contains = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 100, description }));
const Q = Contains("The partner's name or ref contains this — any case, with or without Vietnamese diacritics ('minh phat' finds 'Minh Phát')");

export const InvoiceListQuery = Type.Object({
  ...Paging,
  partner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Partner id or ref' })),
  kind: Type.Optional(Type.Union([Type.Literal('invoice'), Type.Literal('credit_note')])),
  state: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('posted')])),
  paymentState: Type.Optional(Type.Union(['not_paid', 'partial', 'in_payment', 'paid', 'reversed'].map((s) => Type.Literal(s)))),
  overdue: Type.Optional(Type.Boolean({ description: 'true: posted, something open, due before today' })),
  dateFrom: Type.Optional(Day('Invoice date from')), dateTo: Type.Optional(Day('Invoice date to')),
  dueFrom: Type.Optional(Day('Due date from')), dueTo: Type.Optional(Day('Due date to')),
  amountMin: Type.Optional(AmountIn('Total at least')), amountMax: Type.Optional(AmountIn('Total at most')),
  salesperson: Type.Optional(Type.String({ maxLength: 36, description: "The partner's salesperson (user id)" })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  number: Contains('The number contains this (any case)'),
  q: Q,
  sort: Type.Optional(Type.Union(['date', '-date', 'dueDate', '-dueDate', 'number', '-number', 'total', '-total', 'residual', '-residual'].map((s) => Type.Literal(s)), { description: 'Default -date (newest first); ties by id' })),
}, { additionalProperties: false });

const PartnerRef = Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() });

export const InvoiceListOut = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String(), kind: Type.String(), number: Nullable(Type.String()), state: Type.String(), paymentState: Type.String(),
    partner: PartnerRef, date: Type.String(), dueDate: Nullable(Type.String()), currency: Type.String(), paymentReference: Nullable(Type.String()),
    total: Amount('Total'), residual: Amount('Still open'), daysOverdue: Type.Integer({ description: 'Days past due today while something is open; 0 otherwise' }),
  })),
  next: Nullable(Type.String({ description: 'Cursor of the next page; null on the last' })),
  total: Type.Object({ count: Type.Integer(), amount: Amount('Σ totals of the filtered list (credit notes negative)'), residual: Amount('Σ still open') }),
});

export const PaymentListQuery = Type.Object({
  ...Paging,
  partner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Partner id or ref' })),
  dateFrom: Type.Optional(Day('Payment date from')), dateTo: Type.Optional(Day('Payment date to')),
  amountMin: Type.Optional(AmountIn('Amount at least')), amountMax: Type.Optional(AmountIn('Amount at most')),
  journal: Type.Optional(Type.Union([Type.Literal('bank'), Type.Literal('cash')])),
  bankMatched: Type.Optional(Type.Boolean({ description: 'Confirmed by a bank statement line' })),
  reversed: Type.Optional(Type.Boolean()),
  unallocated: Type.Optional(Type.Boolean({ description: "true: part of it is not allocated (the customer's credit)" })),
  reference: Contains('The reference contains this (any case)'),
  salesperson: Type.Optional(Type.String({ maxLength: 36, description: "The partner's salesperson (user id)" })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  q: Q,
  sort: Type.Optional(Type.Union(['date', '-date', 'amount', '-amount'].map((s) => Type.Literal(s)), { description: 'Default -date (newest first); ties by id' })),
}, { additionalProperties: false });

export const PaymentListOut = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String(), partner: PartnerRef, date: Type.String(), amount: Amount('Amount received'), currency: Type.String(),
    reference: Nullable(Type.String()), journal: Type.String(), bankMatched: Type.Boolean(), reversedOn: Nullable(Type.String()),
    unallocated: Amount('Not allocated to invoices'),
  })),
  next: Nullable(Type.String({ description: 'Cursor of the next page; null on the last' })),
  total: Type.Object({ count: Type.Integer(), amount: Amount('Σ amounts of the filtered list'), unallocated: Amount('Σ not allocated') }),
});
