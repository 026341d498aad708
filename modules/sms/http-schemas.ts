import { Type } from 'typebox';

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const State = Type.Union([
  Type.Literal('queued'), Type.Literal('submitted'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('expired'), Type.Literal('cancelled'), Type.Literal('unknown'),
]);

export const MessageQuery = Type.Object({
  partner: Type.Optional(Type.String({ minLength: 1, description: 'Partner id or ref' })),
  state: Type.Optional(State),
  channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('zalo')])),
  phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  from: Type.Optional(Type.String({ description: 'Created from this date (YYYY-MM-DD, company time zone)' })),
  to: Type.Optional(Type.String({ description: '… to this date' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ description: '`next` of the previous page' })),
}, { additionalProperties: false });

export const MessageOut = Type.Object({
  id: Type.String(),
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  action: Nullable(Type.String({ description: 'The follow-up action it delivers; null for a clerk\'s own message' })),
  channel: Type.Union([Type.Literal('sms'), Type.Literal('zalo')]),
  phone: Type.String({ description: 'E.164' }),
  text: Type.String({ description: 'As the phone shows it (a Zalo message: the reminder\'s text; the template carries the same facts)' }),
  encoding: Type.Union([Type.Literal('gsm7'), Type.Literal('ucs2')]),
  parts: Type.Integer(), lang: Type.String(), state: State, provider: Type.String(),
  providerId: Nullable(Type.String({ description: 'The provider\'s id (SMPP: the ids of every part)' })),
  cost: Type.String({ description: 'Estimated: parts × pricePerPart, decimal string' }), currency: Type.String(),
  fallbackOf: Nullable(Type.String({ description: 'The Zalo message this SMS replaces' })),
  result: Nullable(Type.String({ description: 'What happened last, in words' })),
  notBefore: Type.String({ description: 'Not sent before (quiet hours)' }),
  createdAt: Type.String(), submittedAt: Nullable(Type.String()), doneAt: Nullable(Type.String()),
});
export const MessageList = Type.Object({ items: Type.Array(MessageOut), next: Nullable(Type.String()) });

export const NewMessage = Type.Object({
  partner: Type.String({ minLength: 1, description: 'Partner id or ref' }),
  text: Type.String({ minLength: 1, maxLength: 2000 }),
  phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Another number than the follow-up contact\'s' })),
  force: Type.Optional(Type.Boolean({ description: 'Send although a reminder went out less than the follow-up\'s minIntervalDays ago' })),
  dryRun: Type.Optional(Type.Boolean({ description: 'Count and price it; send nothing' })),
}, { additionalProperties: false });
export const Estimate = Type.Object({
  text: Type.String(), phone: Type.String(), encoding: Type.String(), parts: Type.Integer(), length: Type.Integer({ description: 'GSM-7 septets or UCS-2 units' }),
  perPart: Type.Integer(), cost: Type.String(), currency: Type.String(),
});
export const NewMessageOut = Type.Object({ message: Nullable(MessageOut), estimate: Estimate });
export const Cancel = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });

export const OptOutOut = Type.Object({ phone: Type.String(), partner: Nullable(Type.String()), source: Type.String({ description: 'clerk, or stop (the customer replied STOP)' }), note: Nullable(Type.String()), createdAt: Type.String() });
export const OptOutBody = Type.Object({
  phone: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  partner: Type.Optional(Type.String({ minLength: 1, description: 'Partner id or ref: its follow-up number, unless phone is given' })),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
export const PhoneParams = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) });

export const CallbacksOut = Type.Object({
  esms: Nullable(Type.String()), speedsms: Nullable(Type.String()), http: Nullable(Type.String()), zalo: Nullable(Type.String()), smpp: Type.String(),
}, { description: 'Where each provider sends its reports (and replies): give these to the provider; null when CONGNO_PUBLIC_URL is not set' });
export const CallbackParams = Type.Object({
  provider: Type.String({ minLength: 1, maxLength: 100, description: 'esms, speedsms, http or zalo' }),
  secret: Type.String({ minLength: 1, maxLength: 200 }),
});
export const CallbackOut = Type.Object({ received: Type.Integer(), applied: Type.Integer() }, { additionalProperties: true });

export const PartnerParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Partner id or ref' }) });
export const PreviewQuery = Type.Object({
  level: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Level id or name (default: the level due on the date, else the one the partner is at)' })),
  date: Type.Optional(Type.String({ description: 'YYYY-MM-DD (default today)' })),
  channel: Type.Union([Type.Literal('sms'), Type.Literal('zalo')], { default: 'sms' }),
}, { additionalProperties: false });
export const PreviewOut = Type.Object({
  level: Type.Object({ id: Type.String(), name: Type.String() }), channel: Type.String(), date: Type.String(),
  phone: Nullable(Type.String()), text: Type.String(), lang: Type.String(), encoding: Type.String(), parts: Type.Integer(),
  length: Type.Integer(), perPart: Type.Integer(), cost: Type.String(), currency: Type.String(),
  template: Nullable(Type.Object({ id: Nullable(Type.String()), data: Type.Record(Type.String(), Type.String()) })),
  warnings: Type.Array(Type.String(), { description: 'Why it would not go as it is: no number, opted out, too long, no ZNS template' }),
});
