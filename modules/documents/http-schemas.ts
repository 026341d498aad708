import { Type } from 'typebox';

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });

export const PartnerParams = Type.Object({ id: Type.String({ minLength: 1, description: 'The partner id or ref' }) });

const Lang = Type.Optional(Type.String({ minLength: 2, maxLength: 35, description: 'vi, en, zh, ar or a locale of one (vi-VN, ar-SA …); default: the follow-up contact\'s language, else the partner\'s, else the company\'s' }));

export const StatementQuery = Type.Object({
  from: Type.Optional(Type.String({ description: 'First day (YYYY-MM-DD); default: the first of the month of `to`' })),
  to: Type.Optional(Type.String({ description: 'Last day (YYYY-MM-DD); default: today' })),
  outstanding: Type.Boolean({ default: false, description: 'true: the statement of open items on `asOf`, with days overdue and ages, instead of the movements' }),
  asOf: Type.Optional(Type.String({ description: 'With outstanding=true: the day (default: today)' })),
  lang: Lang,
}, { additionalProperties: false });

export const ReminderQuery = Type.Object({
  level: Type.Optional(Type.String({ minLength: 1, description: 'A follow-up level of the partner\'s plan, by id or name; default: the level due today, else the one the partner is at' })),
  date: Type.Optional(Type.String({ description: 'The letter\'s date (YYYY-MM-DD); default: today' })),
  statement: Type.Optional(Type.Boolean({ description: 'The statement of open items behind the letter, on its own pages; default: when the level attaches the statement' })),
  lang: Lang,
}, { additionalProperties: false });

export const VietQrQuery = Type.Object({
  amount: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Whole đồng; default: the partner\'s overdue total, else its balance' })),
}, { additionalProperties: false });

export const VietQrOut = Type.Object({
  payload: Type.String({ description: 'The EMVCo/NAPAS VietQR string a QR code carries' }),
  reference: Type.String({ description: 'The payment reference in the transfer content, which the bank module matches' }),
  amount: Type.String({ description: 'Decimal string' }),
});

export const BankOut = Type.Object({ code: Type.String(), shortName: Type.String(), name: Type.String(), bin: Type.String() });

export const Pdf = { description: 'PDF', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } };
export const Html = { description: 'HTML page', content: { 'text/html': { schema: Type.String() } } };

const ConfirmationStateOut = Type.Union([Type.Literal('open'), Type.Literal('confirmed'), Type.Literal('disputed'), Type.Literal('expired')], {
  description: 'open: waiting for the customer; confirmed / disputed: answered; expired: unanswered when its link ran out',
});

export const NewConfirmation = Type.Object({
  partner: Type.String({ minLength: 1, maxLength: 100, description: 'The partner id or ref' }),
  asOf: Type.Optional(Type.String({ description: 'The day the balance is confirmed on (YYYY-MM-DD, not after today); default: today' })),
  lang: Lang,
}, { additionalProperties: false });

export const ConfirmationOut = Type.Object({
  id: Type.String(),
  url: Type.String({ description: 'The link the customer answers through (no account needed); send it with the PDF' }),
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  asOf: Type.String(),
  currency: Type.String(),
  balance: Type.String({ description: 'Decimal string: what the customer owes on asOf by the company\'s books, frozen when asked (negative: what the company owes it)' }),
  items: Type.Array(Type.Object({ ref: Type.String(), date: Type.String(), dueDate: Type.String(), amount: Type.String(), residual: Type.String() }), { description: 'The open items on asOf, as the document lists them' }),
  lang: Type.String(),
  state: ConfirmationStateOut,
  expiresAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  answer: Type.Union([Type.Null(), Type.Object({
    at: Type.String({ format: 'date-time' }),
    by: Type.String({ description: 'The name the customer typed' }),
    ip: Type.Union([Type.String(), Type.Null()], { description: 'The address the answer came from' }),
    amount: Type.String({ description: 'The balance by the customer\'s books (the balance itself when confirmed)' }),
    difference: Type.String({ description: 'amount − balance' }),
    note: Type.Union([Type.String(), Type.Null()]),
  })]),
  sent: Type.Union([Type.Null(), Type.Object({ to: Type.String(), at: Type.String({ format: 'date-time' }) })], { description: 'The last time it was emailed to the customer' }),
  mail: Type.Optional(Type.Union([Type.Null(), Type.Object({
    id: Type.String(), to: Type.String(),
    state: Type.Union([Type.Literal('queued'), Type.Literal('sending'), Type.Literal('sent'), Type.Literal('rejected'), Type.Literal('failed'), Type.Literal('uncertain')]),
    message: Type.Union([Type.String(), Type.Null()], { description: 'What became of it, in words (the mail server\'s answer)' }),
  })], { description: 'What became of the last email (single confirmation only)' })),
});

export const SendConfirmation = Type.Object({
  to: Type.Optional(Type.String({ minLength: 3, maxLength: 254, description: 'Default: the partner\'s follow-up contact, else the partner\'s email' })),
}, { additionalProperties: false });

export const ConfirmationListQuery = Type.Object({
  state: Type.Optional(ConfirmationStateOut),
  partner: Type.Optional(Type.String({ minLength: 1, description: 'Partner id or ref' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The partner\'s name or ref contains this (any case, with or without diacritics)' })),
  asOfFrom: Type.Optional(Type.String()),
  asOfTo: Type.Optional(Type.String()),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json (default); csv or xlsx: every confirmation of the filtered list as a file (also chosen by `Accept: text/csv`)' })),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
}, { additionalProperties: false });

export const ConfirmationListOut = Type.Object({
  items: Type.Array(ConfirmationOut),
  next: Type.Union([Type.String(), Type.Null()]),
  total: Type.Object({ count: Type.Integer() }),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const DocumentLangQuery = Type.Object({ lang: Lang }, { additionalProperties: false });
