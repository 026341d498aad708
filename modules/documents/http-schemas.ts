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
