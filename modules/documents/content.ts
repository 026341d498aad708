/**
 * What each document says, as a model (model.ts): the activity statement and the statement of
 * open items from the ledger's reports (line for line), the reminder letter of a follow-up level
 * from the follow-up's reminder, and the payment block with its VietQR code. Words come from the
 * catalogues (i18n/), amounts and dates from Intl in the partner's locale; company data as stored.
 */
import Handlebars from 'handlebars';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trx } from '../../core/db/kysely.js';
import { todayIn } from '../../core/dates.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import { badRequest, conflict } from '../../core/errors.js';
import { formatMoneyForLocale } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import type { Address, LedgerBooks } from '../ledger/public.js';
import type { ReminderContent } from '../follow-up/public.js';
import { bankOf } from './banks.js';
import type { DocumentsApi, DocumentsSettings } from './context.js';
import { isDocumentLanguage, languageOf, msg, type Lang, type MessageKey } from './i18n/index.js';
import { letterheadLogo } from './logo.js';
import type { Block, DocumentModel, Letterhead, Logo } from './model.js';
import { qrMatrix } from './qr.js';
import { vietQrPayload } from './vietqr.js';

const TEMPLATES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

/** The language a document is written in and the formatting of its numbers and dates. */
export interface Speech {
  lang: Lang;
  locale: string;
  currency: string;
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
  money: (minor: bigint) => string;
  date: (iso: string) => string;
  /** The long date of a letter: "Ngày 05 tháng 12 năm 2026", "5 December 2026", "2026年12月5日". */
  longDate: (iso: string) => string;
  /**
   * A value printed inside a sentence or after a label (a phone number, a name, an account):
   * in Arabic, isolated (FSI … PDI) so that its own direction holds — "028 3822 1234" stays in
   * that order in a right-to-left line.
   */
  value: (text: string) => string;
}

export function speech(lang: Lang, locale: string, currency: string): Speech {
  const t = (key: MessageKey, params?: Record<string, string | number>) => msg(lang, key, params);
  const at = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const short = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
  const long = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  // Intl puts direction marks into Arabic dates; the layout orders the line itself.
  const plain = (text: string) => text.replace(/[\u061C\u200E\u200F]/g, '');
  return {
    lang, locale, currency, t,
    money: (minor) => plain(formatMoneyForLocale(minor, currency, locale)),
    date: (iso) => plain(short.format(at(iso))),
    value: (text) => (lang === 'ar' ? `\u2068${text}\u2069` : text),
    longDate: (iso) => (lang === 'vi'
      ? t('doc.date_line', { day: iso.slice(8, 10), month: iso.slice(5, 7), year: iso.slice(0, 4) })
      : plain(long.format(at(iso)))),
  };
}

/** Everything a document of a partner is drawn from. */
export interface Subject {
  books: LedgerBooks;
  settings: DocumentsSettings;
  letterhead: Letterhead;
  partner: { id: string; ref: string; name: string; taxCode: string | null; address: string[]; contactName: string | null };
  speech: Speech;
  /** The tenant's date today. */
  today: string;
}

/** Address lines in the Vietnamese order (street; ward, district; province), the postcode and country for abroad. */
export function addressLines(address: Address | null): string[] {
  if (!address) return [];
  const lines = [address.street, [address.ward, address.district].filter((p) => p?.trim()).join(', '), address.province];
  const abroad = address.country && !/^(vn|vnm|viet ?nam|việt ?nam)$/i.test(address.country.trim());
  if (abroad || address.postalCode) lines.push([address.postalCode, abroad ? address.country : null].filter((p) => p?.trim()).join(' '));
  return lines.filter((l): l is string => !!l && l.trim() !== '').map((l) => l.trim());
}

/** The partner (id or ref, among those the caller may see), its language and the company's letterhead. */
export async function subjectOf(api: DocumentsApi, trx: Trx, tenantId: string, partnerIdOrRef: string, options: { lang?: string; visible?: string[] | null }): Promise<Subject> {
  const ledger = api.service('ledger');
  const books = await ledger.books.open(trx, tenantId, SYSTEM_ACTOR, { visibleSalespeople: options.visible ?? null });
  const found = await ledger.partners.resolve(books, partnerIdOrRef);
  const row = await trx.selectFrom('ledger_partner').select(['tax_code', 'address']).where('tenant_id', '=', tenantId).where('id', '=', found.id).executeTakeFirstOrThrow();
  const contact = await trx.selectFrom('ledger_partner_contact').select(['name', 'lang']).where('tenant_id', '=', tenantId).where('partner_id', '=', found.id).where('kind', '=', 'followup').executeTakeFirst();
  const tenant = await getTenant(trx, tenantId);
  if (options.lang !== undefined && !isDocumentLanguage(options.lang)) {
    throw badRequest(`lang '${options.lang}' is not a language documents are written in: vi, en, zh or ar (or a locale of one, e.g. vi-VN)`, 'lang');
  }
  const { lang, locale } = languageOf(options.lang ?? contact?.lang ?? found.lang, tenant.locale);
  const settings = await api.settings(trx, tenantId);
  const s = speech(lang, locale, tenant.currency);
  return {
    books, settings, speech: s, today: todayIn(books.timezone),
    partner: { id: found.id, ref: found.ref, name: found.name, taxCode: row.tax_code, address: addressLines(row.address as Address | null), contactName: contact?.name ?? null },
    letterhead: letterhead(settings, tenant.name, s, await letterheadLogo(trx, tenantId)),
  };
}

function letterhead(settings: DocumentsSettings, tenantName: string, s: Speech, logo: Logo | null): Letterhead {
  const c = settings.company;
  const contact = [c.phone && `${s.t('doc.phone')}: ${s.value(c.phone)}`, c.email && `${s.t('doc.email')}: ${s.value(c.email)}`].filter(Boolean).join(' · ');
  return {
    name: c.name || tenantName,
    lines: [c.address, c.taxCode && `${s.t('doc.tax_code')}: ${s.value(c.taxCode)}`, contact].filter((l): l is string => !!l),
    footer: c.footer,
    logo,
  };
}

/** The recipient's lines in the envelope window: the partner, its follow-up contact, its address. */
export function recipientOf(subject: Subject): string[] {
  return [subject.partner.name, ...(subject.partner.contactName ? [subject.partner.contactName] : []), ...subject.partner.address];
}

function partnerFields(subject: Subject): Block {
  const { t, value } = subject.speech;
  const rows: Array<[string, string]> = [[t('doc.customer'), value(subject.partner.name)], [t('doc.customer_code'), value(subject.partner.ref)]];
  if (subject.partner.taxCode) rows.push([t('doc.tax_code'), value(subject.partner.taxCode)]);
  return { kind: 'fields', rows };
}

const pageLabel = (s: Speech) => s.t('doc.page');

/** The activity statement ("sổ chi tiết công nợ"): the ledger's statement report, line for line. */
export async function statementDocument(api: DocumentsApi, subject: Subject, period: { from?: string; to?: string }, payment: Block | null): Promise<DocumentModel> {
  const s = subject.speech;
  const { t } = s;
  const st = await api.service('ledger').reports.statement(subject.books, subject.partner.id, period);
  const rows: Array<{ cells: string[]; bold?: boolean }> = [
    { cells: [s.date(st.from), '', t('statement.opening'), '', '', '', s.money(st.opening)], bold: true },
    ...st.lines.map((l) => ({ cells: [s.date(l.date), l.ref ?? '', l.description && l.description !== l.ref ? l.description : t(`kind.${l.kind}` as MessageKey), s.date(l.dueDate), l.debit ? s.money(l.debit) : '', l.credit ? s.money(l.credit) : '', s.money(l.balance)] })),
    { cells: ['', '', t('statement.movements'), '', s.money(st.debit), s.money(st.credit), ''], bold: true },
    { cells: [s.date(st.to), '', t('statement.closing'), '', '', '', s.money(st.closing)], bold: true },
  ];
  const blocks: Block[] = [
    { kind: 'title', text: t('statement.title'), subtitle: t('statement.period', { from: s.value(s.date(st.from)), to: s.value(s.date(st.to)) }) },
    partnerFields(subject),
    {
      kind: 'table',
      columns: [
        { header: t('statement.col.date'), align: 'start', wrap: false },
        { header: t('statement.col.document'), align: 'start', wrap: true },
        { header: t('statement.col.description'), align: 'start', wrap: true },
        { header: t('statement.col.due'), align: 'start', wrap: false },
        { header: t('statement.col.debit'), align: 'end', wrap: false },
        { header: t('statement.col.credit'), align: 'end', wrap: false },
        { header: t('statement.col.balance'), align: 'end', wrap: false },
      ],
      rows,
    },
  ];
  if (st.lines.length === 0) blocks.push({ kind: 'paragraph', text: t('statement.none') });
  if (payment) blocks.push(payment);
  blocks.push({ kind: 'paragraph', text: t('letter.footer_statement') });
  return {
    lang: s.lang, title: `${t('statement.title')} – ${subject.partner.name}`, letterhead: subject.letterhead, recipient: recipientOf(subject),
    dateLine: s.longDate(subject.today), pageLabel: pageLabel(s), blocks,
  };
}

const AGES: Array<[MessageKey, number, number]> = [['age.current', -Infinity, 0], ['age.1_30', 1, 30], ['age.31_60', 31, 60], ['age.61_90', 61, 90], ['age.over_90', 91, Infinity]];

/** The statement of open items on a day, with days overdue and the ageing of what is owed. */
export async function openItemsDocument(api: DocumentsApi, subject: Subject, asOf: string | undefined, payment: Block | null): Promise<DocumentModel> {
  const s = subject.speech;
  const { t } = s;
  const o = await api.service('ledger').reports.outstanding(subject.books, subject.partner.id, { asOf });
  const days = (n: number) => t('days', { n });
  const rows = o.items.map((i) => ({
    cells: [i.ref ?? i.description ?? t(`kind.${i.kind}` as MessageKey), s.date(i.date), s.date(i.dueDate), s.money(i.amount), s.money(i.residual), i.daysOverdue ? days(i.daysOverdue) : ''],
  }));
  rows.push({ cells: [t('open.total'), '', '', '', s.money(o.total), ''], bold: true } as typeof rows[number]);
  rows.push({ cells: [t('open.overdue'), '', '', '', s.money(o.overdue), ''], bold: true } as typeof rows[number]);
  const ages = AGES.map(([key, from, to]) => [t(key), o.items.filter((i) => i.residual > 0n && (i.daysOverdue ?? 0) >= from && (i.daysOverdue ?? 0) <= to).reduce((sum, i) => sum + i.residual, 0n)] as const);
  const blocks: Block[] = [
    { kind: 'title', text: t('open.title'), subtitle: t('open.as_of', { date: s.value(s.date(o.asOf)) }) },
    partnerFields(subject),
    {
      kind: 'table',
      columns: [
        { header: t('open.col.document'), align: 'start', wrap: true },
        { header: t('open.col.date'), align: 'start', wrap: false },
        { header: t('open.col.due'), align: 'start', wrap: false },
        { header: t('open.col.amount'), align: 'end', wrap: false },
        { header: t('open.col.residual'), align: 'end', wrap: false },
        { header: t('open.col.late'), align: 'end', wrap: false },
      ],
      rows,
    },
  ];
  if (o.items.length === 0) blocks.push({ kind: 'paragraph', text: t('open.none') });
  else {
    blocks.push({
      kind: 'table',
      columns: ages.map(([label]) => ({ header: label, align: 'end' as const, wrap: false })),
      rows: [{ cells: ages.map(([, amount]) => s.money(amount)) }],
    });
  }
  if (payment) blocks.push(payment);
  blocks.push({ kind: 'paragraph', text: t('letter.footer_statement') });
  return {
    lang: s.lang, title: `${t('open.title')} – ${subject.partner.name}`, letterhead: subject.letterhead, recipient: recipientOf(subject),
    dateLine: s.longDate(subject.today), pageLabel: pageLabel(s), blocks,
  };
}

const compiled = new Map<string, { subject: HandlebarsTemplateDelegate; body: HandlebarsTemplateDelegate }>();

/** A letter template: the tenant's (setting `templates`), else the shipped one of the level's template, else of its delay. */
function letterSource(template: string, delay: number, lang: Lang, overrides: Record<string, string>): string {
  const fallback = delay < 0 ? 'before_due' : delay === 0 ? 'due' : 'overdue';
  for (const name of [template, fallback]) {
    const own = overrides[`${name}/letter.${lang}`];
    if (own && /^\uFEFF?Subject:/i.test(own)) return own;
    const file = path.join(TEMPLATES, name, `letter.${lang}.hbs`);
    if (/^[a-z0-9_-]+$/.test(name) && fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  }
  throw conflict(`no letter template '${template}' in ${lang}`);
}

function compile(source: string) {
  let found = compiled.get(source);
  if (!found) {
    const [first, ...rest] = source.replace(/^\uFEFF/, '').split(/\r?\n/);
    const m = /^Subject:\s*(.*)$/i.exec(first)!;
    found = { subject: Handlebars.compile(m[1], { noEscape: true }), body: Handlebars.compile(rest.join('\n'), { noEscape: true }) };
    if (compiled.size > 500) compiled.clear();
    compiled.set(source, found);
  }
  return found;
}

const TABLE_MARK = '\u0000items\u0000';

/** The reminder letter of a follow-up level: the level's template, the items reminded of, totals, the responsible and the payment code. */
export function reminderDocument(subject: Subject, reminder: ReminderContent, payment: Block | null): DocumentModel {
  const s = subject.speech;
  const { t } = s;
  const total = reminder.items.reduce((sum, i) => sum + i.residual, 0n);
  const overdue = reminder.items.filter((i) => i.daysOverdue > 0).reduce((sum, i) => sum + i.residual, 0n);
  const oldest = reminder.items.reduce<string | null>((d, i) => (d === null || i.dueDate < d ? i.dueDate : d), null);
  const v = s.value;
  const named = reminder.contactName ?? subject.partner.contactName ?? subject.partner.name;
  const context = {
    company: v(subject.letterhead.name), partner: { name: v(subject.partner.name), ref: v(subject.partner.ref) },
    recipient: v(named), contactName: v(named),
    level: { name: reminder.level.name, delay: reminder.level.delay },
    date: v(s.date(reminder.date)), total: v(s.money(total)), overdueTotal: v(s.money(overdue)), count: reminder.items.length,
    oldestDueDate: oldest ? v(s.date(oldest)) : '',
    responsible: reminder.responsible,
  };
  const template = compile(letterSource(reminder.level.template, reminder.level.delay, s.lang, subject.settings.templates));
  const body = template.body(context, { helpers: { itemsTable: () => TABLE_MARK } });
  const table: Block = {
    kind: 'table',
    columns: [
      { header: t('open.col.document'), align: 'start', wrap: true },
      { header: t('open.col.due'), align: 'start', wrap: false },
      { header: t('open.col.late'), align: 'end', wrap: false },
      { header: t('open.col.residual'), align: 'end', wrap: false },
    ],
    rows: [
      ...reminder.items.map((i) => ({ cells: [i.label, s.date(i.dueDate), i.daysOverdue > 0 ? t('days', { n: i.daysOverdue }) : '', s.money(i.residual)] })),
      { cells: [t('open.total'), '', '', s.money(total)], bold: true },
      ...(overdue > 0n && overdue !== total ? [{ cells: [t('open.overdue'), '', '', s.money(overdue)], bold: true }] : []),
    ],
  };
  const blocks: Block[] = [{ kind: 'paragraph', text: `${t('letter.subject')}: ${template.subject(context).trim()}`, bold: true }];
  let placed = false;
  for (const paragraph of body.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean)) {
    if (paragraph.includes(TABLE_MARK)) {
      const [before, after] = paragraph.split(TABLE_MARK).map((p) => p.trim());
      if (before) blocks.push({ kind: 'paragraph', text: before });
      blocks.push(table);
      placed = true;
      if (after) blocks.push({ kind: 'paragraph', text: after });
    } else blocks.push({ kind: 'paragraph', text: paragraph });
  }
  if (!placed) blocks.splice(2, 0, table);
  if (reminder.responsible) {
    const { name, phone } = reminder.responsible;
    blocks.push({ kind: 'paragraph', text: phone ? t('letter.responsible_phone', { name: v(name), phone: v(phone) }) : t('letter.responsible', { name: v(name) }) });
  }
  if (payment) blocks.push(payment);
  blocks.push({ kind: 'signatures', left: '', right: t('letter.regards', { company: v(subject.letterhead.name) }) });
  return {
    lang: s.lang, title: `${template.subject(context).trim()} – ${subject.partner.name}`, letterhead: subject.letterhead, recipient: recipientOf(subject),
    dateLine: s.longDate(reminder.date), pageLabel: pageLabel(s), blocks,
  };
}

/** The VietQR of a payment to the company: its payload and the text that explains it; null without a receiving account or outside VND. */
export function paymentCode(settings: DocumentsSettings, currency: string, amount: bigint, reference: string): { payload: string; reference: string; amount: bigint } | null {
  const account = settings.bankAccount;
  if (!account || currency !== 'VND' || amount <= 0n) return null;
  return { payload: vietQrPayload({ bin: account.bin, accountNumber: account.accountNumber, amount, purpose: reference }), reference, amount };
}

/** The payment block of a document: the code and what a customer needs to pay without it. */
export function paymentBlock(subject: Subject, code: { payload: string; reference: string; amount: bigint }): Block {
  const { t, money } = subject.speech;
  const account = subject.settings.bankAccount!;
  const bank = bankOf(account.bin);
  const { value } = subject.speech;
  return {
    kind: 'payment', title: t('pay.title'), payload: code.payload, matrix: qrMatrix(code.payload),
    lines: [
      [t('pay.bank'), value(bank ? `${bank.shortName} (${bank.name})` : account.bin)],
      [t('pay.account'), value(account.accountNumber)],
      [t('pay.holder'), value(account.accountName)],
      [t('pay.amount'), value(money(code.amount))],
      [t('pay.reference'), value(code.reference)],
    ],
  };
}
