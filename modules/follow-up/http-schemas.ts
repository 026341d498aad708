import { Type } from 'typebox';
import { DecimalInput } from '../../core/decimal-input.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Day = (description: string) => Type.String({ description: `${description} (YYYY-MM-DD)` });

export const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1 }) });
export const PartnerParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Partner id or ref' }) });
export const ItemParams = Type.Object({ id: Type.String({ minLength: 1, description: 'Open item (instalment) id, or an invoice id when the invoice has one open instalment' }) });

const ChannelT = Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('letter'), Type.Literal('zalo')]);
const Fallback = Type.Object({
  zalo: Type.Optional(Type.Literal('sms', { description: 'When the Zalo message cannot be delivered (no Zalo account, quota, not received in time), the same reminder goes once by SMS' })),
}, { additionalProperties: false, description: "Channels that take over a channel of this level that cannot deliver: {\"zalo\": \"sms\"} (default when the level has zalo and not sms)" });
export const Activity = Type.Object({
  type: Type.Union([Type.Literal('call'), Type.Literal('task')]),
  responsible: Type.Optional(Type.String({ description: "'followup_responsible' (default), 'salesperson' or a user id" })),
  dueInDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'Due this many days after the run date' })),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export const LevelBody = Type.Object({
  plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The plan this level belongs to (default 'default')" })),
  name: Type.String({ minLength: 1 }),
  delay: Type.Integer({ minimum: -365, maximum: 3650, description: 'Days from the due date of the oldest open item (negative: before it)' }),
  channels: Type.Array(ChannelT, { maxItems: 4 }),
  auto: Type.Boolean({ description: 'true: the daily run executes it; false: a clerk does' }),
  template: Type.Optional(Nullable(Type.String({ description: 'Template name (before_due, due, overdue, final, or a tenant template); default by delay' }))),
  attachStatement: Type.Optional(Type.Boolean()),
  activity: Type.Optional(Nullable(Activity)),
  fallback: Type.Optional(Fallback),
}, { additionalProperties: false });

export const LevelOut = Type.Object({
  id: Type.String(), plan: Type.String(), name: Type.String(), delay: Type.Integer(), channels: Type.Array(Type.String()), auto: Type.Boolean(),
  template: Nullable(Type.String()), attachStatement: Type.Boolean(), activity: Nullable(Type.Object({}, { additionalProperties: true })),
  fallback: Type.Record(Type.String(), Type.String()),
  createdAt: Type.String(), updatedAt: Type.String(),
});
export const LevelQuery = Type.Object({ plan: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false });

const LevelRefOut = Type.Object({ id: Type.String(), name: Type.String(), delay: Type.Integer(), channels: Type.Array(Type.String()), auto: Type.Boolean() });
export const StatusQuery = Type.Object({ date: Type.Optional(Type.String({ format: 'date', description: 'As of this date (default today)' })) }, { additionalProperties: false });
export const PreviewQuery = Type.Object({
  level: Type.Optional(Type.String({ minLength: 1, description: "A level of the partner's plan, by id or name (default: the level due today, else the one the partner is at)" })),
  channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('letter')], { default: 'email', description: 'Only email is rendered here (sms and letter: their modules)' }),
  date: Type.Optional(Type.String({ format: 'date', description: 'As of this date (default today)' })),
}, { additionalProperties: false });
export const PreviewOut = Type.Object({
  subject: Type.String(), html: Type.String(), text: Type.String(), attachments: Type.Array(Type.String(), { description: 'File names' }),
  from: Nullable(Type.String({ description: 'null: email is not configured' })), to: Nullable(Type.String({ description: 'null: no email address' })), replyTo: Nullable(Type.String()),
  language: Type.String(), date: Type.String(),
  level: Type.Object({ id: Type.String(), name: Type.String(), delay: Type.Integer() }),
  warnings: Type.Array(Type.String(), { description: 'What would stop it from going out now' }),
});
export const PartnerStatusOut = Type.Object({
  partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }),
  date: Type.String(),
  status: Type.Union([Type.Literal('in_need_of_action'), Type.Literal('with_overdue_invoices'), Type.Literal('no_action_needed')]),
  plan: Type.String(),
  level: Nullable(LevelRefOut),
  lastLevel: Nullable(Type.Object({ id: Type.String(), name: Type.String(), delay: Type.Integer(), channels: Type.Array(Type.String()), auto: Type.Boolean(), reachedOn: Type.String() })),
  nextLevel: Nullable(LevelRefOut),
  nextActionDate: Nullable(Type.String()),
  manual: Type.Boolean(),
  responsible: Nullable(Type.String()),
  overdue: Type.String(),
  balance: Type.String(),
  reasons: Type.Array(Type.String()),
  items: Type.Array(Type.Object({
    id: Type.String(), invoice: Nullable(Type.String()), label: Type.String(), dueDate: Type.String(), residual: Type.String(), daysOverdue: Type.Integer(),
    followedUp: Type.Boolean(),
    excluded: Nullable(Type.Object({ reason: Type.String(), note: Nullable(Type.String()) })),
    promise: Nullable(Type.Object({ amount: Type.String(), date: Type.String(), by: Nullable(Type.String()), channel: Nullable(Type.String()), state: Type.String() })),
  })),
});
export const PartnerBody = Type.Object({
  plan: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, description: 'null: the default plan' }))),
  responsible: Type.Optional(Nullable(Type.String({ description: 'Follow-up responsible: a user id' }))),
}, { additionalProperties: false });

export const ExclusionBody = Type.Object({
  reason: Type.Union([Type.Literal('dispute'), Type.Literal('litigation'), Type.Literal('agreed_delay')]),
  note: Type.Optional(Type.String({ maxLength: 1000 })),
}, { additionalProperties: false });
export const PromiseBody = Type.Object({
  amount: DecimalInput('Promised amount, in major units'),
  date: Day('Promised payment date'),
  by: Type.String({ minLength: 1, maxLength: 200, description: 'Who promised' }),
  channel: Type.Union(['phone', 'email', 'sms', 'letter', 'meeting', 'portal', 'other'].map((c) => Type.Literal(c))),
  note: Type.Optional(Type.String({ maxLength: 1000 })),
}, { additionalProperties: false });
export const ItemOut = Type.Object({
  item: Type.Object({ id: Type.String(), partner: Type.String(), invoice: Nullable(Type.String()), label: Type.String(), dueDate: Type.String(), residual: Type.String() }),
  excluded: Nullable(Type.Object({ reason: Type.String(), note: Nullable(Type.String()), since: Type.String() })),
  promise: Nullable(Type.Object({ amount: Type.String(), date: Type.String(), by: Nullable(Type.String()), channel: Nullable(Type.String()), note: Nullable(Type.String()), madeAt: Type.String() })),
});

export const RunBody = Type.Object({
  date: Type.Optional(Day('Run as of this date (default today in the company time zone)')),
  dryRun: Type.Optional(Type.Boolean({ description: 'Show what would happen; record and send nothing' })),
  incremental: Type.Optional(Type.Boolean({ description: 'Look only at the partners changed since the last run and those whose next check date has come (a full run when there is no full run to rest on)' })),
}, { additionalProperties: false });
const Missing = Type.Object({ channel: Type.String(), missing: Type.String() });
export const RunOut = Type.Object({
  id: Type.String(), date: Type.String(), dryRun: Type.Boolean(), trigger: Type.String(),
  mode: Type.Union([Type.Literal('full'), Type.Literal('incremental')], { description: 'full: every partner with open items was looked at; incremental: those changed since the last run or due for a check' }),
  fallback: Nullable(Type.String({ description: 'Why an incremental run was asked for but every partner was looked at' })),
  partners: Type.Integer(),
  actions: Type.Array(Type.Object({
    partner: Type.String(), ref: Type.String(), name: Type.String(), level: Type.String(), levelName: Type.String(), delay: Type.Integer(),
    channels: Type.Array(Type.String()), missingContactData: Type.Array(Missing), activity: Nullable(Type.String()),
  })),
  missingContactData: Type.Array(Type.Object({ partner: Type.String(), ref: Type.String(), name: Type.String(), channel: Type.String(), missing: Type.String() })),
  waiting: Type.Object({ interval: Type.Integer(), manual: Type.Integer() }),
  bank: Nullable(Type.Object({
    stale: Type.Boolean(), refused: Type.Boolean(),
    accounts: Type.Array(Type.Object({
      account: Type.String(), name: Nullable(Type.String()), lastStatementDate: Nullable(Type.String()),
      statement: Type.Union([Type.Literal('recent'), Type.Literal('old'), Type.Literal('none')], { description: 'recent: a statement ends within maxAgeDays of the run date; old: the last one ends before; none: no statement' }),
    })),
    unmatchedLines: Type.Integer(), unmatchedAmount: Type.String(), warnings: Type.Array(Type.String()),
    statementsStale: Type.Boolean({ description: 'Some bank account has no statement, or none recent: payments received since may be missing' }),
    reasons: Type.Array(Type.Union([Type.Literal('no_statement'), Type.Literal('old_statement'), Type.Literal('unmatched_lines')]), { description: 'Why stale: no_statement (none imported, or an account without one), old_statement (none recent), unmatched_lines (received money not matched yet; the statements may be recent)' }),
  }, { description: 'The bank freshness check; null when bank-reconciliation is not enabled' })),
  channelProblems: Type.Array(Type.Object({
    channel: Type.String(), code: Type.Union([Type.Literal('not_configured'), Type.Literal('no_sender')]), message: Type.String(), actions: Type.Integer(),
  }), { description: 'Channels this run uses that cannot deliver now: email not configured (its reminders are recorded as failed, not_configured, and the first run after it is configured sends them), no sms or postal module' }),
  requeued: Type.Integer({ description: 'Failed email reminders (not_configured, auth_failed, unreachable) this run queued again (a dry run: would queue)' }),
  warnings: Type.Array(Type.String(), { description: 'What a clerk should know, in words: the bank check and the channels' }),
});
const MessageOut = Type.Object({
  from: Type.String(), to: Nullable(Type.String()), replyTo: Nullable(Type.String()), subject: Type.String(), text: Type.String(), html: Type.String(),
  language: Type.String(), attachments: Type.Array(Type.String()),
}, { additionalProperties: true });
const ActionOut = Type.Object({
  id: Type.String(), run: Type.String(), date: Type.String(), partner: Type.String(), level: Type.Object({ id: Type.String(), name: Type.String(), delay: Type.Integer() }),
  channel: Type.String(), state: Type.String(), recipient: Nullable(Type.String()), invoices: Type.Array(Type.String()),
  result: Nullable(Type.Object({
    code: Type.Optional(Type.String({ description: 'sent, refused, retrying, not_configured, auth_failed, unreachable, requeued, nothing_left, paid, superseded, missing_contact, uncertain' })),
    message: Type.Optional(Type.String({ description: 'What became of it, in words' })),
    nextAttemptAt: Type.Optional(Nullable(Type.String({ description: 'retrying: when the next attempt is' }))),
  }, { additionalProperties: true })),
  createdAt: Type.String(), doneAt: Nullable(Type.String()),
  message: Type.Optional(Nullable(MessageOut)),
});
export const RunDetailOut = Type.Object({
  id: Type.String(), date: Type.String(), dryRun: Type.Boolean(), trigger: Type.String(), partners: Type.Integer(), createdAt: Type.String(),
  actions: Type.Array(ActionOut),
  delivery: Type.Object({
    states: Type.Record(Type.String(), Type.Integer(), { description: 'Actions per state' }),
    problems: Type.Array(Type.Object({ code: Type.String(), actions: Type.Integer(), message: Type.String({ description: 'The first such action\'s message' }) })),
  }),
});
export const TimelineOut = Type.Object({
  actions: Type.Array(ActionOut, { description: 'With the message as it went out (subject, text and HTML bodies, attachment names)' }),
  notes: Type.Array(Type.Object({
    id: Type.String(), kind: Type.String(), outcome: Nullable(Type.String()), text: Nullable(Type.String()), item: Nullable(Type.String()),
    nextActionDate: Nullable(Type.String()), user: Nullable(Type.String()), createdAt: Type.String(),
  })),
  activities: Type.Array(Type.Object({
    id: Type.String(), type: Type.String(), level: Type.String(), dueOn: Type.String(), state: Type.String(), note: Nullable(Type.String()),
    responsible: Nullable(Type.String()), createdAt: Type.String(),
  })),
});

export const WorklistQuery = Type.Object({
  date: Type.Optional(Type.String({ format: 'date', description: 'As of this date (default today)' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
}, { additionalProperties: false });
export const WorklistOut = Type.Object({
  date: Type.String(), count: Type.Integer(),
  rows: Type.Array(Type.Object({
    partner: Type.String(), ref: Type.String(), name: Type.String(), trust: Type.String(), overdue: Type.String(), daysOverdue: Type.Integer(),
    level: Nullable(Type.Object({ id: Type.String(), name: Type.String(), delay: Type.Integer(), auto: Type.Boolean() })),
    manual: Type.Boolean(),
    activities: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), dueOn: Type.String(), level: Type.String() })),
    score: Type.String({ description: 'overdue (minor units) × days overdue × trust weight (bad 3, normal 2, good 1)' }),
  })),
});
export const CallBody = Type.Object({
  outcome: Type.Union(['left_voicemail', 'no_answer', 'invoice_not_received', 'dispute', 'payment_sent', 'promise_made', 'wrong_contact', 'other'].map((c) => Type.Literal(c))),
  notes: Type.Optional(Type.String({ maxLength: 4000 })),
  nextActionDate: Type.Optional(Day('Reschedule: nothing is due for the partner before this date')),
  promise: Type.Optional(Type.Object({
    item: Type.String({ minLength: 1, description: 'Open item or invoice id' }), amount: DecimalInput('Promised amount, in major units'), date: Day('Promised payment date'), by: Type.String({ minLength: 1, maxLength: 200 }),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export const CallOut = Type.Object({
  id: Type.String(), partner: Type.String(), outcome: Type.String(), notes: Nullable(Type.String()), nextActionDate: Nullable(Type.String()),
  activitiesDone: Type.Integer(), createdAt: Type.String(),
});
export const SendBody = Type.Object({
  level: Type.Optional(Type.String({ description: 'A level of the partner\'s plan (default: the level due now)' })),
  force: Type.Optional(Type.Boolean({ description: 'Send although a reminder went out less than minIntervalDays ago' })),
}, { additionalProperties: false });
export const SendOut = Type.Object({
  run: Type.String(),
  actions: RunOut.properties.actions,
  missingContactData: RunOut.properties.missingContactData,
});

const ActionStateT = Type.Union([
  Type.Literal('pending'), Type.Literal('sent'), Type.Literal('rejected'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('missing_contact'), Type.Literal('uncertain'),
]);
export const ActionListQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'json (default); csv or xlsx: every action of the filtered list as a file (also chosen by `Accept: text/csv`)' })),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Rows per page' }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`next` of the page before' })),
  partner: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Partner id or ref' })),
  channel: Type.Optional(ChannelT),
  state: Type.Optional(ActionStateT),
  level: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Level id or name' })),
  run: Type.Optional(Type.String({ maxLength: 36, description: 'Run id' })),
  dateFrom: Type.Optional(Type.String({ maxLength: 10, description: 'Run date from (YYYY-MM-DD)' })),
  dateTo: Type.Optional(Type.String({ maxLength: 10, description: 'Run date to (YYYY-MM-DD)' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "The partner's name or ref contains this — any case, with or without diacritics" })),
  sort: Type.Optional(Type.Union([Type.Literal('date'), Type.Literal('-date')], { description: 'Default -date (newest first); ties by id' })),
}, { additionalProperties: false });

const NullableText = Type.Union([Type.String(), Type.Null()]);
export const ActionListOut = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String(), run: Type.String(), date: Type.String(), channel: ChannelT, state: ActionStateT,
    partner: Type.Object({ id: Type.String(), ref: Type.String(), name: Type.String() }), level: Type.Object({ id: Type.String(), name: Type.String() }),
    recipient: NullableText, invoices: Type.Integer({ description: 'Open items the reminder is about' }),
    result: Type.Union([Type.String(), Type.Null()], { description: 'What happened, in words' }),
    createdAt: Type.String(), doneAt: NullableText,
  })),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page; null on the last' }),
  total: Type.Object({ count: Type.Integer(), byState: Type.Record(Type.String(), Type.Integer(), { description: 'Actions per state in the filtered list' }) }),
});
