/**
 * Balance confirmations (biên bản đối chiếu công nợ). A clerk asks a customer to confirm what it
 * owes on a day; the balance and the open items are frozen when she asks, so the customer
 * answers about the document it received, whatever is posted afterwards. The customer answers
 * once, through its link (pages/confirm.ts): confirmed, or disputed with the balance of its own
 * books and a note. The answer keeps who typed it, when and from which address.
 */
import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import { dateInZone, isIsoDate } from '../../core/dates.js';
import { ProblemError, badRequest, conflict, notFound } from '../../core/errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../core/events/types.js';
import { UUID, uuidv7 } from '../../core/ids.js';
import { mintLink } from '../../core/links.js';
import { eachPage, type CellKind, type ExportColumn, type TableSink } from '../../core/export.js';
import { decodeCursor, encodeCursor, keyset, nameOrRef, type Page } from '../../core/lists.js';
import { formatAmount } from '../../core/money.js';
import { recipientOf, subjectOf, type Subject } from './content.js';
import type { DocumentsApi } from './context.js';
import type { DocumentsService } from './public.js';
import type { QueuedMail } from '../follow-up/public.js';
import type { MessageKey } from './i18n/index.js';
import type { Block, DocumentModel } from './model.js';
import type { ConfirmationState, ConfirmedItem } from './tables.js';

/** Where a customer answers: the page path of a link token (pages/confirm.ts). */
export const confirmPath = (token: string) => `/documents/confirm/${token}`;

/** `expired`: still open, but its link has run out. */
export type ConfirmationStatus = ConfirmationState | 'expired';

export interface Confirmation {
  id: string;
  partner: { id: string; ref: string; name: string };
  asOf: string;
  currency: string;
  /** What the customer owes on `asOf` by the company's books (negative: what the company owes it). */
  balance: bigint;
  items: ConfirmedItem[];
  lang: string;
  state: ConfirmationStatus;
  token: string;
  url: string;
  expiresAt: Date;
  createdAt: Date;
  answer: null | { at: Date; by: string; ip: string | null; amount: bigint; difference: bigint; note: string | null };
  /** The last time a clerk had it emailed (the follow-up's mail), to whom. */
  sent: null | { to: string; at: Date; mailId: string | null };
}

interface Row {
  id: string; partner_id: string; ref: string; name: string; as_of: string; currency: string; balance: bigint; items: ConfirmedItem[]; lang: string;
  state: ConfirmationState; token: string; url: string; expires_at: Date; created_at: Date;
  answered_at: Date | null; answered_by: string | null; answered_ip: string | null; answered_amount: bigint | null; answered_note: string | null;
  mail_id: string | null; sent_to: string | null; sent_at: Date | null;
}

const COLUMNS = sql`c.id, c.partner_id, p.ref, p.name, c.as_of::text as as_of, trim(c.currency) as currency, c.balance, c.items, c.lang, c.state, c.token, c.url,
  c.expires_at, c.created_at, c.answered_at, c.answered_by, c.answered_ip, c.answered_amount, c.answered_note, c.mail_id, c.sent_to, c.sent_at`;
const FROM = sql`documents_confirmation c join ledger_partner p on p.tenant_id = c.tenant_id and p.id = c.partner_id`;

function toConfirmation(r: Row, now = new Date()): Confirmation {
  return {
    id: r.id, partner: { id: r.partner_id, ref: r.ref, name: r.name }, asOf: r.as_of, currency: r.currency, balance: r.balance, items: r.items, lang: r.lang,
    state: r.state === 'open' && r.expires_at <= now ? 'expired' : r.state,
    token: r.token, url: r.url, expiresAt: r.expires_at, createdAt: r.created_at,
    answer: r.answered_at ? {
      at: r.answered_at, by: r.answered_by ?? '', ip: r.answered_ip, amount: r.answered_amount ?? r.balance,
      difference: (r.answered_amount ?? r.balance) - r.balance, note: r.answered_note,
    } : null,
    sent: r.sent_at && r.sent_to ? { to: r.sent_to, at: r.sent_at, mailId: r.mail_id } : null,
  };
}

/** A new confirmation of what `partner` owes on `asOf` (default: today), with its link. */
export async function createConfirmation(
  api: DocumentsApi, trx: Trx, tenantId: string, actor: Actor,
  request: { partner: string; asOf?: string; lang?: string }, visible: string[] | null, urlOf: (token: string) => string,
): Promise<Confirmation> {
  if (request.asOf !== undefined && !isIsoDate(request.asOf)) throw badRequest(`asOf '${request.asOf}' is not a date (YYYY-MM-DD)`, 'asOf');
  const subject = await subjectOf(api, trx, tenantId, request.partner, { lang: request.lang, visible });
  const asOf = request.asOf ?? subject.today;
  if (asOf > subject.today) throw badRequest(`asOf ${asOf} is after today (${subject.today}): a balance is confirmed as it stands on a past day or today`, 'asOf');
  const open = await api.service('ledger').reports.outstanding(subject.books, subject.partner.id, { asOf });
  const items: ConfirmedItem[] = open.items.map((i) => ({
    ref: i.ref ?? i.description ?? subject.speech.t(`kind.${i.kind}` as MessageKey), date: i.date, dueDate: i.dueDate,
    amount: i.amount.toString(), residual: i.residual.toString(),
  }));
  const id = uuidv7();
  const token = mintLink(tenantId, id);
  const { validDays } = subject.settings.confirmations;
  const expiresAt = new Date(Date.now() + validDays * 86_400_000);
  await trx.insertInto('documents_confirmation').values({
    tenant_id: tenantId, id, partner_id: subject.partner.id, as_of: asOf, currency: subject.books.currency, balance: open.total,
    items: JSON.stringify(items), lang: subject.speech.locale, token, url: urlOf(token), expires_at: expiresAt, created_by: actor.userId,
  }).execute();
  await api.audit(trx, tenantId, {
    actor, action: 'confirmation.created', entity: 'documents_confirmation', entityId: id,
    after: { partner: subject.partner.ref, asOf, balance: formatAmount(open.total, subject.books.currency), expiresAt: expiresAt.toISOString() },
  });
  return getConfirmation(trx, tenantId, id, visible);
}

export async function getConfirmation(trx: Trx, tenantId: string, id: string, visible: string[] | null): Promise<Confirmation> {
  const found = await findConfirmation(trx, tenantId, id, visible);
  if (!found) throw notFound(`No balance confirmation '${id}'.`);
  return found;
}

/** A confirmation by id, among the partners of `visible` when set; null when there is none. */
export async function findConfirmation(trx: Trx, tenantId: string, id: string, visible: string[] | null): Promise<Confirmation | null> {
  if (!UUID.test(id)) return null;
  const { rows } = await sql<Row>`select ${COLUMNS} from ${FROM} where c.tenant_id = ${tenantId} and c.id = ${id}::uuid
    ${visible ? sql`and p.salesperson_id = any(${visible}::uuid[])` : sql``}`.execute(trx);
  return rows[0] ? toConfirmation(rows[0]) : null;
}

export interface ConfirmationFilter { state?: ConfirmationStatus; partner?: string; q?: string; asOfFrom?: string; asOfTo?: string }

function conditions(tenantId: string, f: ConfirmationFilter, visible: string[] | null) {
  const c = [sql`c.tenant_id = ${tenantId}`];
  if (f.state === 'expired') c.push(sql`c.state = 'open' and c.expires_at <= now()`);
  else if (f.state === 'open') c.push(sql`c.state = 'open' and c.expires_at > now()`);
  else if (f.state) c.push(sql`c.state = ${f.state}`);
  if (f.partner !== undefined) {
    c.push(UUID.test(f.partner) ? sql`c.partner_id = ${f.partner}::uuid` : sql`p.ref = ${f.partner}`);
  }
  if (f.q) c.push(nameOrRef(sql`p.name`, sql`p.ref`, f.q));
  for (const [field, value] of [['asOfFrom', f.asOfFrom], ['asOfTo', f.asOfTo]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
  }
  if (f.asOfFrom) c.push(sql`c.as_of >= ${f.asOfFrom}::date`);
  if (f.asOfTo) c.push(sql`c.as_of <= ${f.asOfTo}::date`);
  if (visible) c.push(sql`p.salesperson_id = any(${visible}::uuid[])`);
  return c;
}

/** The confirmations asked, newest first, filtered and paged. */
export async function listConfirmations(trx: Trx, tenantId: string, f: ConfirmationFilter, visible: string[] | null, limit: number, cursor?: string): Promise<Page<Confirmation> & { total: { count: number } }> {
  const { where, order } = keyset({ key: sql`c.created_at`, cast: 'timestamptz', desc: true }, sql`c.id`, cursor ? decodeCursor(cursor, 'created') : null);
  const c = conditions(tenantId, f, visible);
  const { rows } = await sql<Row & { sort_value: string }>`
    select ${COLUMNS}, to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as sort_value from ${FROM}
    where ${sql.join(where ? [...c, where] : c, sql` and `)} order by ${order} limit ${limit + 1}`.execute(trx);
  const { rows: [count] } = await sql<{ n: number }>`select count(*)::integer as n from ${FROM} where ${sql.join(c, sql` and `)}`.execute(trx);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => toConfirmation(r)),
    next: rows.length > limit && last ? encodeCursor({ sort: 'created', value: last.sort_value, id: last.id }) : null,
    total: { count: count.n },
  };
}

const EXPORT_HEADERS = {
  vi: ['Ngày đối chiếu', 'Mã khách hàng', 'Khách hàng', 'Số dư', 'Trạng thái', 'Hết hạn', 'Trả lời lúc', 'Người trả lời', 'Số dư theo khách hàng', 'Chênh lệch', 'Ghi chú', 'Gửi tới'],
  en: ['As of', 'Partner ref', 'Partner', 'Balance', 'State', 'Expires', 'Answered at', 'Answered by', 'Their balance', 'Difference', 'Note', 'Sent to'],
};
const EXPORT_KINDS: CellKind[] = ['date', 'text', 'text', 'amount', 'text', 'text', 'text', 'text', 'amount', 'amount', 'text', 'text'];

/** Every confirmation of the filtered list, newest first, as a file. */
export async function exportConfirmations(trx: Trx, tenantId: string, f: ConfirmationFilter, visible: string[] | null, lang: 'vi' | 'en', start: (columns: ExportColumn[]) => TableSink): Promise<void> {
  const sink = start(EXPORT_HEADERS[lang].map((header, i) => ({ header, kind: EXPORT_KINDS[i] })));
  await eachPage<Row>(trx, sql`select ${COLUMNS} from ${FROM} where ${sql.join(conditions(tenantId, f, visible), sql` and `)} order by c.created_at desc, c.id desc`, async (rows) => {
    for (const r of rows) {
      const c = toConfirmation(r);
      const money = (minor: bigint) => formatAmount(minor, c.currency);
      await sink.row([c.asOf, c.partner.ref, c.partner.name, money(c.balance), c.state, c.expiresAt.toISOString(), c.answer?.at.toISOString() ?? null, c.answer?.by ?? null,
        c.answer ? money(c.answer.amount) : null, c.answer ? money(c.answer.difference) : null, c.answer?.note ?? null, c.sent?.to ?? null]);
    }
  });
  await sink.end();
}

export type Answer = { choice: 'confirmed'; by: string } | { choice: 'disputed'; by: string; amount: bigint; note: string };

/**
 * Records the customer's answer, once: false when the confirmation was answered meanwhile or its
 * link ran out (two tabs submitting at once: the first wins, the second sees "already answered").
 */
export async function answerConfirmation(api: DocumentsApi, trx: Trx, tenantId: string, c: Confirmation, answer: Answer, from: { ip: string; agent: string | null }): Promise<boolean> {
  const amount = answer.choice === 'confirmed' ? c.balance : answer.amount;
  const note = answer.choice === 'disputed' ? answer.note : null;
  const updated = await trx.updateTable('documents_confirmation')
    .set({ state: answer.choice, answered_at: new Date(), answered_by: answer.by, answered_ip: from.ip, answered_agent: from.agent?.slice(0, 500) ?? null, answered_amount: amount, answered_note: note })
    .where('tenant_id', '=', tenantId).where('id', '=', c.id).where('state', '=', 'open').where('expires_at', '>', new Date())
    .returning('answered_at').executeTakeFirst();
  if (!updated) return false;
  const answeredAt = updated.answered_at!.toISOString();
  const show = (minor: bigint) => formatAmount(minor, c.currency);
  await api.audit(trx, tenantId, {
    actor: SYSTEM_ACTOR, action: `confirmation.${answer.choice}`, entity: 'documents_confirmation', entityId: c.id,
    before: { state: 'open' }, after: { state: answer.choice, by: answer.by, ip: from.ip, amount: show(amount), note },
  });
  await api.emit(trx, tenantId, 'confirmation.answered', {
    confirmationId: c.id, partnerId: c.partner.id, asOf: c.asOf, state: answer.choice,
    balance: show(c.balance), amount: show(amount), difference: show(amount - c.balance), note, answeredBy: answer.by, answeredAt,
  }, { dedupeKey: `confirmation:${c.id}` });
  return true;
}

/** The confirmation as a document to sign: both companies, the open items frozen on the day, the balance, the link and two signatures. */
export function confirmationDocument(subject: Subject, c: Confirmation): DocumentModel {
  const s = subject.speech;
  const { t, value: v } = s;
  const company = subject.letterhead.name;
  const party = (title: string, name: string, address: string[], taxCode: string | null): Block[] => [
    { kind: 'paragraph', text: title, bold: true },
    {
      kind: 'fields',
      rows: [
        [t('doc.name'), v(name)],
        ...(address.length ? [[t('doc.address'), v(address.join(', '))] as [string, string]] : []),
        ...(taxCode ? [[t('doc.tax_code'), v(taxCode)] as [string, string]] : []),
      ],
    },
  ];
  const settings = subject.settings.company;
  const items = c.items.map((i) => ({ cells: [i.ref, s.date(i.date), s.date(i.dueDate), s.money(BigInt(i.amount)), s.money(BigInt(i.residual))] }));
  const asOf = v(s.date(c.asOf));
  const balance = c.balance > 0n
    ? t('confirm.owes', { date: asOf, debtor: v(subject.partner.name), creditor: v(company), amount: v(s.money(c.balance)) })
    : c.balance < 0n
      ? t('confirm.owed', { date: asOf, debtor: v(subject.partner.name), creditor: v(company), amount: v(s.money(-c.balance)) })
      : t('confirm.settled', { date: asOf });
  const blocks: Block[] = [
    { kind: 'title', text: t('confirm.title'), subtitle: t('confirm.as_of', { date: asOf }) },
    ...party(t('confirm.party_a'), company, settings.address ? [settings.address] : [], settings.taxCode || null),
    ...party(t('confirm.party_b'), subject.partner.name, subject.partner.address, subject.partner.taxCode),
    { kind: 'paragraph', text: t('confirm.intro', { date: asOf }) },
    {
      kind: 'table',
      columns: [
        { header: t('open.col.document'), align: 'start', wrap: true },
        { header: t('open.col.date'), align: 'start', wrap: false },
        { header: t('open.col.due'), align: 'start', wrap: false },
        { header: t('open.col.amount'), align: 'end', wrap: false },
        { header: t('open.col.residual'), align: 'end', wrap: false },
      ],
      rows: [...items, { cells: [t('open.total'), '', '', '', s.money(c.balance)], bold: true }],
    },
    { kind: 'paragraph', text: balance, bold: true },
  ];
  if (c.state === 'open') blocks.push({ kind: 'paragraph', text: `${t('confirm.online', { date: v(s.date(dateInZone(c.expiresAt, subject.books.timezone))) })}\n${c.url}` });
  blocks.push({ kind: 'signatures', left: t('confirm.sign_a'), right: t('confirm.sign_b'), hint: t('confirm.sign_hint') });
  return {
    lang: s.lang, title: `${t('confirm.title')} – ${subject.partner.name}`, letterhead: subject.letterhead,
    recipient: recipientOf(subject),
    dateLine: s.longDate(subject.today), pageLabel: t('doc.page'), blocks,
  };
}

/**
 * Emails an open confirmation to the customer — the PDF attached, the link in the text, in the
 * language it was asked in — through the company's mail server (the follow-up's). `to` defaults to
 * the partner's follow-up contact, else the partner's own address.
 */
export async function sendConfirmation(
  api: DocumentsApi, documents: DocumentsService, trx: Trx, tenantId: string, actor: Actor, id: string, to: string | undefined, visible: string[] | null,
): Promise<{ confirmation: Confirmation; mail: QueuedMail }> {
  const followUp = api.optionalService('follow-up');
  if (!followUp || !(await api.isEnabled(trx, tenantId, 'follow-up'))) {
    throw new ProblemError(409, 'no-mail-server', 'No mail server', 'Emails go through the follow-up module\'s mail server, and the follow-up is not enabled for this company.');
  }
  const c = await getConfirmation(trx, tenantId, id, visible);
  if (c.state !== 'open') throw conflict(`This confirmation is ${c.state}: only an open one is sent to the customer.`);
  const contact = await trx.selectFrom('ledger_partner as p')
    .leftJoin('ledger_partner_contact as k', (j) => j.onRef('k.tenant_id', '=', 'p.tenant_id').onRef('k.partner_id', '=', 'p.id').on('k.kind', '=', 'followup'))
    .select(['p.email as partner_email', 'k.email as contact_email']).where('p.tenant_id', '=', tenantId).where('p.id', '=', c.partner.id).executeTakeFirst();
  const recipient = to ?? contact?.contact_email ?? contact?.partner_email ?? null;
  if (!recipient) throw new ProblemError(409, 'missing-contact', 'No email address', `${c.partner.ref} has no email address (neither a follow-up contact nor the partner): give one with \`to\`.`, 'to');
  const subject = await subjectOf(api, trx, tenantId, c.partner.id, { lang: c.lang });
  const s = subject.speech;
  const pdf = await documents.pdf(trx, tenantId, { kind: 'confirmation', confirmation: c.id });
  const words = {
    partner: subject.partner.contactName ?? subject.partner.name, company: subject.letterhead.name, date: s.date(c.asOf), amount: s.money(c.balance),
    expires: s.date(dateInZone(c.expiresAt, subject.books.timezone)), url: c.url,
  };
  const mail = await followUp.mail.send(trx, tenantId, api.name, {
    to: recipient, lang: s.locale, about: `documents_confirmation:${c.id}`,
    subject: s.t('mail.confirmation.subject', words),
    text: s.t(c.balance > 0n ? 'mail.confirmation.owes' : 'mail.confirmation.other', words),
    attachments: [{ filename: pdf.filename, contentType: 'application/pdf', content: pdf.content }],
  });
  await trx.updateTable('documents_confirmation').set({ mail_id: mail.id, sent_to: recipient, sent_at: new Date() }).where('tenant_id', '=', tenantId).where('id', '=', c.id).execute();
  await api.audit(trx, tenantId, { actor, action: 'confirmation.sent', entity: 'documents_confirmation', entityId: c.id, after: { to: recipient, mail: mail.id } });
  return { confirmation: await getConfirmation(trx, tenantId, c.id, visible), mail };
}

/** What became of the confirmation's last email (null: never sent, or the follow-up is gone). */
export async function mailOf(api: DocumentsApi, trx: Trx, tenantId: string, c: Confirmation): Promise<QueuedMail | null> {
  if (!c.sent?.mailId) return null;
  return (await api.optionalService('follow-up')?.mail.get(trx, tenantId, c.sent.mailId)) ?? null;
}
