import { Type } from 'typebox';
import { DecimalInput } from '../../core/decimal-input.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
export const IdParams = Type.Object({ id: Uuid });

const Format = Type.Union(['mt940', 'camt052', 'camt053', 'camt054', 'ofx', 'csv', 'xlsx'].map((f) => Type.Literal(f)), { description: 'File format (default: told from the content)' });
export const ParseQuery = Type.Object({
  format: Type.Optional(Format),
  encoding: Type.Optional(Type.String({ description: 'Text encoding (default: detected)' })),
  preset: Type.Optional(Type.String({ description: 'CSV/XLSX column layout (vietcombank, techcombank, vietinbank, bidv, mb, vn-generic)' })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: "The account's currency, for a file that leaves it out (OFX with an empty CURDEF; a CSV without a currency column)" })),
  opening: Type.Optional(Type.String({ description: 'CSV/XLSX without a balance column: the opening balance (a decimal string, e.g. 12500000)' })),
  openingDate: Type.Optional(Type.String({ description: "The opening balance's date, YYYY-MM-DD (default: the first line's date)" })),
  closing: Type.Optional(Type.String({ description: 'CSV/XLSX without a balance column: the closing balance (instead of, or besides, the opening one)' })),
  closingDate: Type.Optional(Type.String({ description: "The closing balance's date, YYYY-MM-DD (default: the last line's date)" })),
}, { additionalProperties: false });
export const ImportQuery = Type.Object({
  format: Type.Optional(Format),
  journal: Type.Optional(Type.String({ description: 'Bank account id or number (default: found or created from the statement)' })),
  force: Type.Optional(Type.Boolean({ description: 'Import a statement whose balances do not add up' })),
  encoding: Type.Optional(Type.String()),
  preset: Type.Optional(Type.String()),
  opening: Type.Optional(Type.String({ description: 'CSV/XLSX without a balance column: the opening balance (a decimal string, e.g. 12500000)' })),
  openingDate: Type.Optional(Type.String({ description: "The opening balance's date, YYYY-MM-DD (default: the first line's date)" })),
  closing: Type.Optional(Type.String({ description: 'CSV/XLSX without a balance column: the closing balance (instead of, or besides, the opening one)' })),
  closingDate: Type.Optional(Type.String({ description: "The closing balance's date, YYYY-MM-DD (default: the last line's date)" })),
}, { additionalProperties: false });

const BalanceOut = Type.Object({ date: Type.String(), amount: Type.String() });
export const ParseOut = Type.Object({
  format: Type.String({ description: 'The format read: as given, or told from the content' }),
  statements: Type.Array(Type.Object({
    account: Type.String(), currency: Type.String(), number: Type.Optional(Type.String()),
    opening: Type.Optional(BalanceOut), closing: Type.Optional(BalanceOut),
    lines: Type.Array(Type.Object({
      date: Type.String(), valueDate: Type.Optional(Type.String()), amount: Type.String(), reference: Type.Optional(Type.String()),
      counterparty: Type.Optional(Type.String()), counterpartyAccount: Type.Optional(Type.String()), description: Type.String(),
    })),
  })),
  warnings: Type.Array(Type.String()),
});
export const ImportOut = Type.Object({
  id: Type.String(), format: Type.String({ description: 'The format read: as given, or told from the content' }), statements: Type.Array(Type.String()), imported: Type.Integer(), duplicatesSkipped: Type.Integer(),
  autoMatched: Type.Integer(), suggested: Type.Integer(), warnings: Type.Array(Type.String()),
});

const State = Type.Union([Type.Literal('unmatched'), Type.Literal('suggested'), Type.Literal('matched')]);
export const LinesQuery = Type.Object({
  state: Type.Optional(State), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
}, { additionalProperties: false });
export const LineOut = Type.Object({
  id: Type.String(), statementId: Type.String(), position: Type.Integer(), date: Type.String(), valueDate: Nullable(Type.String()), amount: Type.String(),
  reference: Nullable(Type.String()), counterparty: Nullable(Type.String()), counterpartyAccount: Nullable(Type.String()), description: Type.String(),
  matchState: State, partner: Type.Union([Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }), Type.Null()]),
  rule: Nullable(Type.String()), reason: Nullable(Type.String()), version: Type.Integer(),
  matches: Type.Array(Type.Object({ payment: Type.String(), amount: Type.String(), invoices: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), amount: Type.String() })) })),
  suggestions: Type.Array(Type.Object({ partner: Type.String(), rule: Type.String(), reason: Type.String(), invoices: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), residual: Type.String(), dueDate: Type.String() })) })),
});

export const LineListQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json (default); csv or xlsx: every line of the filtered list as a file (also chosen by `Accept: text/csv`)' })),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Rows per page' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`next` of the page before' })),
  state: Type.Optional(State),
  statement: Type.Optional(Type.String({ maxLength: 36, description: 'Statement id' })),
  account: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Bank account number or id' })),
  partner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Partner id or ref the line is matched or assigned to' })),
  dateFrom: Type.Optional(Type.String({ maxLength: 10, description: 'Booking date from (YYYY-MM-DD)' })),
  dateTo: Type.Optional(Type.String({ maxLength: 10, description: 'Booking date to (YYYY-MM-DD)' })),
  amountMin: Type.Optional(DecimalInput('Signed amount at least (money in is positive)')),
  amountMax: Type.Optional(DecimalInput('Signed amount at most')),
  direction: Type.Optional(Type.Union([Type.Literal('in'), Type.Literal('out')])),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Reference, description or payer contains this — any case, with or without diacritics' })),
  sort: Type.Optional(Type.Union(['date', '-date', 'amount', '-amount'].map((x) => Type.Literal(x)), { description: 'Default date (oldest first); ties by id' })),
}, { additionalProperties: false });

export const LineListOut = Type.Object({
  items: Type.Array(LineOut),
  next: Nullable(Type.String({ description: 'Cursor of the next page; null on the last' })),
  total: Type.Object({ count: Type.Integer(), amount: Type.String({ description: 'Σ signed amounts of the filtered lines' }) }),
});

export const MatchBody = Type.Object({
  invoices: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, description: 'Invoices the line pays (id or number), in the order its amount is applied' })),
  payment: Type.Optional(Type.String({ format: 'uuid', description: 'A payment registered before, now confirmed by the bank (same amount)' })),
  writeOff: Type.Optional(Type.Union([Type.Boolean(), Type.Object({ amount: Type.Optional(DecimalInput('Amount to write off (default: all that stays open), in major units')), reason: Type.Optional(Type.String()) }, { additionalProperties: false })], { description: 'Write off what stays open on the last invoice' })),
  saveRule: Type.Optional(Type.Boolean({ description: 'Remember the payer account for this customer' })),
  version: Type.Optional(Type.Integer({ description: 'The line version you saw; a line changed since answers 409' })),
}, { additionalProperties: false });

export const AccountOut = Type.Object({
  id: Type.String(), number: Type.String(), currency: Type.String(), name: Nullable(Type.String()),
  lastStatementDate: Nullable(Type.String()), statements: Type.Integer(), unmatchedLines: Type.Integer(), suggestedLines: Type.Integer(),
});
export const AccountPatch = Type.Object({
  name: Type.Optional(Type.String()),
  csvPreset: Type.Optional(Type.String({ description: 'Column layout of this account\'s CSV/XLSX exports' })),
  csvMapping: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Own column mapping (see the module README)' })),
}, { additionalProperties: false });

export const RuleBody = Type.Object({
  name: Type.String({ minLength: 1 }),
  sequence: Type.Optional(Type.Integer({ default: 10 })),
  conditions: Type.Object({
    textContains: Type.Optional(Type.String({ minLength: 1 })), textRegex: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'case-insensitive regular expression in RE2 syntax (linear-time matching: no look-around, no back-references)' })),
    counterpartyAccount: Type.Optional(Type.String({ minLength: 1 })), amountMin: Type.Optional(DecimalInput('Lines of at least this amount, in major units')), amountMax: Type.Optional(DecimalInput('Lines of at most this amount, in major units')),
  }, { additionalProperties: false }),
  action: Type.Object({
    partner: Type.String({ description: 'Partner id or ref the matching lines come from' }),
    toleranceAmount: Type.Optional(DecimalInput('Short payment written off (at most the ledger\'s writeOffLimit), in major units')),
    autoValidate: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false }),
}, { additionalProperties: false });
export const RuleOut = Type.Object({ id: Type.String(), name: Type.String(), sequence: Type.Integer(), active: Type.Boolean(), conditions: Type.Object({}, { additionalProperties: true }), action: Type.Object({}, { additionalProperties: true }) });

