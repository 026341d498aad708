/**
 * The documents module's service (public.ts): builds a document's model from the books and hands
 * it to the renderer (a worker process) or to the HTML preview.
 */
import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate } from '../../core/dates.js';
import { ProblemError, badRequest } from '../../core/errors.js';
import { paymentBlock, paymentCode, openItemsDocument, reminderDocument, statementDocument, subjectOf, type Subject } from './content.js';
import type { DocumentsApi } from './context.js';
import { renderHtml } from './html.js';
import type { DocumentModel } from './model.js';
import type { DocumentRequest, DocumentsService, PaymentCode } from './public.js';
import type { Renderer } from './render.js';
import { confirmationDocument, getConfirmation } from './confirmations.js';
import { deleteLogo, getLogo, putLogo } from './logo.js';

const noCode = (detail: string, field?: string) => new ProblemError(409, 'no-payment-code', 'No payment code', detail, field);

/** The amount a payment code asks when none is given: what is overdue, else the balance. */
async function owed(api: DocumentsApi, subject: Subject): Promise<bigint> {
  const balances = await api.service('ledger').partners.balances(subject.books, [subject.partner.id]);
  const b = balances.get(subject.partner.id);
  return b ? (b.overdue > 0n ? b.overdue : b.balance) : 0n;
}

async function codeFor(api: DocumentsApi, subject: Subject, amount: bigint, invoiceIds: string[] = []): Promise<PaymentCode | null> {
  if (!subject.settings.bankAccount || subject.books.currency !== 'VND' || amount <= 0n) return null;
  // One invoice: its own reference settles it; several: the customer's, which settles the oldest first.
  const single = new Set(invoiceIds).size === 1 && !invoiceIds.includes('') ? invoiceIds[0] : null;
  const invoice = single
    ? await subject.books.trx.selectFrom('ledger_invoice').select('payment_reference').where('tenant_id', '=', subject.books.tenantId).where('id', '=', single).executeTakeFirst()
    : undefined;
  const reference = invoice?.payment_reference ?? await api.service('ledger').partners.paymentReference(subject.books, subject.partner.id);
  return paymentCode(subject.settings, subject.books.currency, amount, reference);
}

function checkDate(value: string | undefined, field: string): void {
  if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
}

const FILE_WORD = { statement: 'file.statement', 'open-items': 'file.open_items', reminder: 'file.reminder', confirmation: 'file.confirmation' } as const;

/** The PDF's file name: the document's word in the language, the partner's ref, the day. */
function filename(subject: Subject, request: DocumentRequest, day: string): string {
  return `${subject.speech.t(FILE_WORD[request.kind])}-${subject.partner.ref.replace(/[^A-Za-z0-9_-]/g, '_')}-${day}.pdf`;
}

/** The day a document speaks of, for its file name. */
function dayOf(request: DocumentRequest, model: { subject: Subject; asOf?: string }): string {
  switch (request.kind) {
    case 'statement': return request.to ?? model.subject.today;
    case 'open-items': return request.asOf ?? model.subject.today;
    case 'reminder': return request.date ?? model.subject.today;
    case 'confirmation': return model.asOf ?? model.subject.today;
  }
}

export async function documentModel(api: DocumentsApi, trx: Trx, tenantId: string, request: DocumentRequest, visible: string[] | null): Promise<{ model: DocumentModel; subject: Subject; asOf?: string }> {
  if (request.kind === 'confirmation') {
    const confirmation = await getConfirmation(trx, tenantId, request.confirmation, visible);
    const subject = await subjectOf(api, trx, tenantId, confirmation.partner.id, { lang: request.lang ?? confirmation.lang, visible });
    return { subject, model: confirmationDocument(subject, confirmation), asOf: confirmation.asOf };
  }
  const subject = await subjectOf(api, trx, tenantId, request.partner, { lang: request.lang, visible });
  switch (request.kind) {
    case 'statement': {
      checkDate(request.from, 'from');
      checkDate(request.to, 'to');
      const code = await codeFor(api, subject, await owed(api, subject));
      return { subject, model: await statementDocument(api, subject, { from: request.from, to: request.to }, code && paymentBlock(subject, code)) };
    }
    case 'open-items': {
      checkDate(request.asOf, 'asOf');
      const code = await codeFor(api, subject, await owed(api, subject));
      return { subject, model: await openItemsDocument(api, subject, request.asOf, code && paymentBlock(subject, code)) };
    }
    case 'reminder': {
      checkDate(request.date, 'date');
      const followUp = api.optionalService('follow-up');
      if (!followUp || !(await api.isEnabled(trx, tenantId, 'follow-up'))) {
        throw new ProblemError(409, 'no-follow-up', 'No follow-up levels', 'Reminder letters are the letters of follow-up levels: the follow-up module is not enabled for this company.');
      }
      const reminder = await followUp.reminders.content(trx, tenantId, subject.partner.id, { level: request.level, date: request.date ?? subject.today });
      const total = reminder.items.reduce((s, i) => s + i.residual, 0n);
      const code = await codeFor(api, subject, total, reminder.items.map((i) => i.invoiceId ?? ''));
      const letter = reminderDocument(subject, reminder, code && paymentBlock(subject, code));
      if (!(request.statement ?? reminder.level.attachStatement)) return { subject, model: letter };
      // The statement behind the letter: its own pages, no second address block or payment code.
      const statement = await openItemsDocument(api, subject, reminder.date, null);
      return { subject, model: { ...letter, blocks: [...letter.blocks, { kind: 'page-break' }, ...statement.blocks] } };
    }
  }
}

/** The payment code a reminder of these items carries (null without a receiving account, outside VND, or when nothing is asked). */
export async function reminderCode(api: DocumentsApi, trx: Trx, tenantId: string, partnerId: string, amount: bigint, invoiceIds: Array<string | null>): Promise<PaymentCode | null> {
  const subject = await subjectOf(api, trx, tenantId, partnerId, {});
  return codeFor(api, subject, amount, invoiceIds.map((i) => i ?? ''));
}

export function createDocumentsService(api: DocumentsApi, renderer: Renderer): DocumentsService {
  return {
    async pdf(trx, tenantId, request, options) {
      const built = await documentModel(api, trx, tenantId, request, options?.visibleSalespeople ?? null);
      const { model, subject } = built;
      const { pdf, pages } = await renderer.pdf(model, { envelope: subject.settings.window.envelope, side: subject.settings.window.side, date: subject.today });
      return { filename: filename(subject, request, dayOf(request, built)), content: pdf, pages, lang: subject.speech.lang };
    },
    async html(trx, tenantId, request, options) {
      const { model, subject } = await documentModel(api, trx, tenantId, request, options?.visibleSalespeople ?? null);
      return renderHtml(model, subject.settings.window);
    },
    async paymentCode(trx, tenantId, partner, amount, options) {
      const subject = await subjectOf(api, trx, tenantId, partner, { visible: options?.visibleSalespeople ?? null });
      if (!subject.settings.bankAccount) throw noCode('The company has no receiving account for VietQR: set bankAccount {bin, accountNumber, accountName} in the documents settings.', 'settings.bankAccount');
      if (subject.books.currency !== 'VND') throw noCode(`VietQR pays in đồng; this company keeps its books in ${subject.books.currency}.`);
      const wanted = amount ?? await owed(api, subject);
      if (wanted <= 0n) throw noCode(`${subject.partner.ref} owes nothing: give the amount to ask for with ?amount=.`, 'amount');
      return (await codeFor(api, subject, wanted))!;
    },
    logo: {
      put: (trx, tenantId, actor, data, mediaType) => putLogo(api, renderer, trx, tenantId, actor, data, mediaType),
      get: getLogo,
      delete: (trx, tenantId, actor) => deleteLogo(api, trx, tenantId, actor),
    },
  };
}
