import { Type } from 'typebox';

export const Note = Type.Object({
  id: Type.String({ format: 'uuid' }),
  text: Type.String(),
  /** The customer the note is about (when the tenant has the ledger). */
  partner: Type.Union([Type.Object({ id: Type.String({ format: 'uuid' }), ref: Type.String(), name: Type.String() }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  publishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const NewNote = Type.Object({
  text: Type.String({ minLength: 1 }),
  partner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The customer's id or ref (needs the ledger module)" })),
}, { additionalProperties: false });
export const NoteParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const ListQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }, { additionalProperties: false });
export const Stats = Type.Object({
  notes: Type.Integer(),
  digests: Type.Array(Type.Object({ date: Type.String({ format: 'date' }), notes: Type.Integer() })),
});
export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
