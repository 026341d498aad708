import { Type } from 'typebox';

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const LetterStateSchema = Type.Union([
  Type.Literal('queued'), Type.Literal('submitted'), Type.Literal('batched'), Type.Literal('printed'), Type.Literal('posted'),
  Type.Literal('delivered'), Type.Literal('returned'), Type.Literal('cancelled'), Type.Literal('uncertain'),
]);

export const LetterQuery = Type.Object({
  state: Type.Optional(LetterStateSchema),
  partner: Type.Optional(Type.String({ minLength: 1, description: 'Partner id or ref' })),
  from: Type.Optional(Type.String({ description: 'Letters of reminders dated from (YYYY-MM-DD)' })),
  to: Type.Optional(Type.String({ description: '… to (YYYY-MM-DD)' })),
  batch: Type.Optional(Type.String({ description: 'The letters of a batch' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ description: '`next` of the previous page' })),
}, { additionalProperties: false });

export const LetterOut = Type.Object({
  id: Type.String(),
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  action: Type.String({ description: 'The follow-up action it delivers' }),
  level: Type.String(), date: Type.String(), lang: Type.String(),
  state: LetterStateSchema,
  provider: Type.String(), pages: Type.Integer(), sheets: Type.Integer(), envelope: Type.String(),
  address: Type.Object({ lines: Type.Array(Type.String()), country: Type.String(), postcode: Nullable(Type.String()) }, { additionalProperties: true }),
  batch: Nullable(Type.String()),
  reference: Type.Optional(Nullable(Type.String({ description: 'The provider\'s reference (Docsaway\'s transaction reference)' }))),
  price: Type.Optional(Nullable(Type.String({ description: 'What the provider charged, a decimal string in `currency`' }))),
  currency: Nullable(Type.String()),
  result: Nullable(Type.String({ description: 'What happened last, in words' })),
  returnReason: Nullable(Type.String()), sha256: Type.String(),
  createdAt: Type.String(), submittedAt: Nullable(Type.String()), printedAt: Nullable(Type.String()), postedAt: Nullable(Type.String()),
  deliveredAt: Nullable(Type.String()), returnedAt: Nullable(Type.String()), cancelledAt: Nullable(Type.String()),
});

export const LetterList = Type.Object({ items: Type.Array(LetterOut), next: Nullable(Type.String()) });

export const Returned = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why it came back, as the post said (addressee unknown, moved, refused …)' }),
  date: Type.Optional(Type.String({ description: 'The day it came back (YYYY-MM-DD); default: today' })),
}, { additionalProperties: false });

export const Cancel = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

export const BatchOut = Type.Object({
  id: Type.String(), provider: Type.String(), date: Type.String(), state: Type.String(),
  letters: Type.Integer(), pages: Type.Integer(), sheets: Type.Integer(), fileName: Type.String(),
  sha256: Nullable(Type.String({ description: 'Of the file, once it was uploaded' })), bytes: Nullable(Type.String()),
  upload: Nullable(Type.Object({ state: Type.String(), at: Nullable(Type.String()), message: Nullable(Type.String()) })),
  createdAt: Type.String(), printedAt: Nullable(Type.String()), postedAt: Nullable(Type.String()),
});

export const BatchQuery = Type.Object({
  from: Type.Optional(Type.String()), to: Type.Optional(Type.String()),
  state: Type.Optional(Type.Union([Type.Literal('ready'), Type.Literal('uploaded'), Type.Literal('printed'), Type.Literal('posted')])),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const BatchList = Type.Object({ items: Type.Array(BatchOut), next: Nullable(Type.String()) });

export const NewBatch = Type.Object({
  date: Type.Optional(Type.String({ description: 'The business day (YYYY-MM-DD) whose letters (and any earlier ones still queued) go in it; default: today' })),
}, { additionalProperties: false });

export const CostQuery = Type.Object({ from: Type.Optional(Type.String()), to: Type.Optional(Type.String()) }, { additionalProperties: false });
export const CostOut = Type.Object({
  items: Type.Array(Type.Object({
    month: Type.String(), provider: Type.String(), letters: Type.Integer(), pages: Type.Integer(), sheets: Type.Integer(),
    price: Nullable(Type.String()), currency: Nullable(Type.String()),
  })),
});

export const AccountOut = Type.Object({ balance: Type.String(), currency: Type.String(), mode: Type.String() }, { additionalProperties: true });

export const Pdf = { description: 'PDF', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } };
export const BatchFile = {
  description: 'The batch file',
  content: { 'application/zip': { schema: Type.String({ format: 'binary' }) }, 'application/pdf': { schema: Type.String({ format: 'binary' }) } },
};

export const Delivered = Type.Object({ date: Type.Optional(Type.String({ description: 'The day it arrived (YYYY-MM-DD); default: today' })) }, { additionalProperties: false });
