import type { Trx } from '../../core/db/kysely.js';
import { isIsoDate } from '../../core/dates.js';
import { ProblemError, badRequest, conflict, notFound } from '../../core/errors.js';
import type { Actor } from '../../core/events/types.js';
import { formatAmount, isCurrency, MoneyError, parseAmount, type DecimalValue } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import type { PaymentTermsApi, Tenant } from './context.js';
import * as repo from './repository.js';
import { findSeededTermByName } from './seeds.js';
import { checkDefinition, computeSchedule, ScheduleError, type TermDefinition, type TermDefinitionInput } from './schedule.js';
import type { DelayType, LineValue } from './tables.js';
import type { InstallmentProvider, LedgerPartner } from '../ledger/public.js';


export interface TermInput extends TermDefinitionInput { name: string; note?: string }

export interface LineView { value: LineValue; amount?: string; delayType: DelayType; days: number; dayOfMonth?: number }
export interface TermView {
  id: string; name: string; version: number; currentVersion: number; archived: boolean; note: string | null;
  lines: LineView[]; earlyDiscount: { percent: string; days: number } | null;
  createdAt: string; updatedAt: string;
}
export interface TermRef { id: string; name: string; version: number }
export interface PreviewView {
  term: TermRef; date: string; currency: string; total: string;
  installments: Array<{ dueDate: string; amount: string }>;
  discount?: { until: string; amount: string };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw badRequest('name must not be blank', 'name');
  if (trimmed.length > 100) throw badRequest('name must be at most 100 characters', 'name');
  if (repo.isUuid(trimmed)) throw badRequest('name must not look like an id: invoices name a term by its id or its name', 'name');
  return trimmed;
}

function checkNote(note: string | undefined): string | null {
  if (note === undefined || !note.trim()) return null;
  if (note.length > 2000) throw badRequest('note must be at most 2000 characters', 'note');
  return note;
}

async function assertNameFree(trx: Trx, tenantId: string, name: string, exceptId: string | null): Promise<void> {
  if (await repo.activeNameTaken(trx, tenantId, name, exceptId)) {
    throw new ProblemError(409, 'term-name-taken', 'Conflict', `There is already a payment term named '${name}'; invoices may name a term, so names are unique.`, 'name');
  }
}

function lineView(line: TermDefinition['lines'][number]): LineView {
  return {
    value: line.value, ...(line.amount !== null ? { amount: line.amount } : {}), delayType: line.delayType, days: line.days,
    ...(line.dayOfMonth !== null ? { dayOfMonth: line.dayOfMonth } : {}),
  };
}

async function loadVersion(trx: Trx, tenantId: string, termId: string, version: number): Promise<repo.VersionRow> {
  const found = (await repo.versions(trx, tenantId, [{ termId, version }])).get(`${termId}/${version}`);
  if (!found) throw notFound(`Payment term ${termId} has no version ${version}.`);
  return found;
}

function view(term: repo.TermRow, v: repo.VersionRow): TermView {
  return {
    id: term.id, name: v.name, version: v.version, currentVersion: term.current_version, archived: term.archived_at !== null, note: v.note,
    lines: v.definition.lines.map(lineView), earlyDiscount: v.definition.earlyDiscount,
    createdAt: term.created_at.toISOString(), updatedAt: term.updated_at.toISOString(),
  };
}

async function termOr404(trx: Trx, tenantId: string, id: string, lock = false): Promise<repo.TermRow> {
  const term = repo.isUuid(id) ? await repo.findTerm(trx, tenantId, id, { lock }) : undefined;
  if (!term) throw notFound(`No payment term ${id}.`);
  return term;
}

/** A term's id from its id or its name, as invoices name a term; a 404 when neither is one. */
export async function termIdOf(trx: Trx, tenantId: string, idOrName: string): Promise<string> {
  if (repo.isUuid(idOrName)) return idOrName;
  const term = await repo.findTermByName(trx, tenantId, idOrName) ?? await findSeededTermByName(trx, tenantId, idOrName);
  if (!term) throw notFound(`No payment term '${idOrName}'.`);
  return term.id;
}

export async function getTerm(trx: Trx, tenantId: string, id: string, version?: number): Promise<TermView> {
  const term = await termOr404(trx, tenantId, id);
  return view(term, await loadVersion(trx, tenantId, id, version ?? term.current_version));
}

export async function listTerms(trx: Trx, tenantId: string, includeArchived: boolean): Promise<TermView[]> {
  const terms = await repo.listTerms(trx, tenantId, includeArchived);
  const found = await repo.versions(trx, tenantId, terms.map((t) => ({ termId: t.id, version: t.current_version })));
  return terms.map((t) => view(t, found.get(`${t.id}/${t.current_version}`)!));
}

export async function createTerm(api: PaymentTermsApi, trx: Trx, tenant: Tenant, actor: Actor, input: TermInput): Promise<TermView> {
  const name = checkName(input.name);
  const note = checkNote(input.note);
  const definition = checkDefinition(input, tenant.currency);
  await assertNameFree(trx, tenant.id, name, null);
  const id = await repo.insertTerm(trx, tenant.id, name);
  await repo.insertVersion(trx, tenant.id, id, 1, name, note, definition, actor.userId);
  await api.audit(trx, tenant.id, { actor, action: 'payment_term.created', entity: 'payment_term', entityId: id, after: { version: 1, name, note, ...definition } });
  return getTerm(trx, tenant.id, id);
}

/**
 * Edits a term by writing a new version (versions are immutable): invoices already posted keep
 * the version they were posted with; invoices posted from now on use the new one. Sending the
 * current definition again changes nothing.
 */
export async function updateTerm(api: PaymentTermsApi, trx: Trx, tenant: Tenant, actor: Actor, id: string, input: TermInput): Promise<TermView> {
  const term = await termOr404(trx, tenant.id, id, true);
  if (term.archived_at) throw conflict(`Payment term '${term.name}' is archived; create a new term instead.`, 'term-archived');
  const name = checkName(input.name);
  const note = checkNote(input.note);
  const definition = checkDefinition(input, tenant.currency);
  await assertNameFree(trx, tenant.id, name, id);
  const current = await loadVersion(trx, tenant.id, id, term.current_version);
  if (JSON.stringify({ name, note, definition }) === JSON.stringify({ name: current.name, note: current.note, definition: current.definition })) {
    return view(term, current);
  }
  const version = term.current_version + 1;
  await repo.insertVersion(trx, tenant.id, id, version, name, note, definition, actor.userId);
  await repo.setCurrentVersion(trx, tenant.id, id, version, name);
  await api.audit(trx, tenant.id, {
    actor, action: 'payment_term.changed', entity: 'payment_term', entityId: id,
    before: { version: term.current_version, name: current.name, note: current.note, ...current.definition }, after: { version, name, note, ...definition },
  });
  return getTerm(trx, tenant.id, id);
}

/** Archives a term: kept for the invoices that used it, no longer offered for new ones. */
export async function archiveTerm(api: PaymentTermsApi, trx: Trx, tenantId: string, actor: Actor, id: string): Promise<TermView> {
  const term = await termOr404(trx, tenantId, id, true);
  if (!term.archived_at) {
    const partners = await repo.partnersDefaultingTo(trx, tenantId, id, 6);
    if (partners.length > 0) {
      const shown = partners.slice(0, 5).join(', ') + (partners.length > 5 ? ', …' : '');
      throw conflict(`Payment term '${term.name}' is the default term of partner(s) ${shown}; give them another default first.`, 'term-in-use');
    }
    await repo.archive(trx, tenantId, id);
    await api.audit(trx, tenantId, { actor, action: 'payment_term.archived', entity: 'payment_term', entityId: id, before: { name: term.name } });
  }
  return getTerm(trx, tenantId, id);
}

/** A term by id or (case-insensitive) name; a 400 naming `field` when there is none. */
async function resolveTerm(trx: Trx, tenantId: string, idOrName: string, field: string): Promise<repo.TermRow> {
  // A seeded term is found by its name in another language too (seeds.ts).
  const term = repo.isUuid(idOrName)
    ? await repo.findTerm(trx, tenantId, idOrName)
    : await repo.findTermByName(trx, tenantId, idOrName) ?? await findSeededTermByName(trx, tenantId, idOrName);
  if (!term) throw badRequest(`no payment term '${idOrName}' (give its id or name)`, field);
  return term;
}

function scheduleProblem(error: unknown, termName: string, field: string): unknown {
  if (error instanceof ScheduleError) return badRequest(`payment term '${termName}' cannot be applied: ${error.message}`, field);
  return error;
}

/** What the term gives for a date and an amount, before using it on an invoice. */
export async function previewTerm(trx: Trx, tenant: Tenant, id: string, input: { date: string; amount: DecimalValue; currency?: string; version?: number }): Promise<PreviewView> {
  const term = await termOr404(trx, tenant.id, id);
  const v = await loadVersion(trx, tenant.id, id, input.version ?? term.current_version);
  const currency = input.currency ?? tenant.currency;
  if (!isCurrency(currency)) throw badRequest(`currency '${currency}' is not an ISO 4217 currency code`, 'currency');
  if (!isIsoDate(input.date)) throw badRequest(`date '${input.date}' is not a date (YYYY-MM-DD)`, 'date');
  let total: bigint;
  try {
    total = parseAmount(input.amount, currency, { field: 'amount' });
  } catch (e) {
    throw e instanceof MoneyError ? badRequest(e.message, 'amount') : e;
  }
  let schedule;
  try {
    schedule = computeSchedule(v.definition, input.date, total, currency);
  } catch (e) {
    throw scheduleProblem(e, v.name, 'amount');
  }
  return {
    term: { id, name: v.name, version: v.version }, date: input.date, currency, total: formatAmount(total, currency),
    installments: schedule.installments.map((i) => ({ dueDate: i.dueDate, amount: formatAmount(i.amount, currency) })),
    ...(schedule.discount ? { discount: { until: schedule.discount.until, amount: formatAmount(schedule.discount.amount, currency) } } : {}),
  };
}

/**
 * The ledger asks this for tenants that enabled payment-terms: instalments for a term named on an
 * invoice (id or name), and a partner's default term.
 */
export const installmentProvider: InstallmentProvider = {
  async plan(books, termIdOrName, date, total) {
    const term = await resolveTerm(books.trx, books.tenantId, termIdOrName, 'paymentTerm');
    if (term.archived_at) throw badRequest(`payment term '${term.name}' is archived; choose another or give a dueDate`, 'paymentTerm');
    const v = await loadVersion(books.trx, books.tenantId, term.id, term.current_version);
    try {
      const schedule = computeSchedule(v.definition, date, total, books.currency);
      return {
        installments: schedule.installments,
        term: { id: term.id, name: v.name, version: v.version },
        ...(schedule.discount ? { discount: schedule.discount } : {}),
      };
    } catch (e) {
      throw scheduleProblem(e, v.name, 'paymentTerm');
    }
  },
  async defaultTerm(books, partnerId) {
    const term = await repo.partnerDefault(books.trx, books.tenantId, partnerId);
    return term && !term.archived_at ? term.id : null;
  },
};

export interface PartnerDefaultView { partner: { id: string; ref: string; name: string }; term: TermRef | null }

/** A partner by id or ref through the ledger's service, among the salespeople's partners when `visibleSalespeople` is set; 404 otherwise. */
async function partnerOr404(api: PaymentTermsApi, trx: Trx, tenantId: string, actor: Actor, idOrRef: string, visibleSalespeople: string[] | null): Promise<LedgerPartner> {
  const ledger = api.service('ledger');
  return ledger.partners.resolve(await ledger.books.open(trx, tenantId, actor, { visibleSalespeople }), idOrRef);
}

export async function getPartnerDefault(api: PaymentTermsApi, trx: Trx, tenantId: string, actor: Actor, partnerIdOrRef: string, visibleSalespeople: string[] | null): Promise<PartnerDefaultView> {
  const partner = await partnerOr404(api, trx, tenantId, actor, partnerIdOrRef, visibleSalespeople);
  const term = await repo.partnerDefault(trx, tenantId, partner.id);
  return {
    partner: { id: partner.id, ref: partner.ref, name: partner.name },
    term: term && !term.archived_at ? { id: term.id, name: term.name, version: term.current_version } : null,
  };
}

/** Sets (or with null clears) the term used for a partner's invoices that give neither dueDate nor paymentTerm. */
export async function setPartnerDefault(api: PaymentTermsApi, trx: Trx, tenantId: string, actor: Actor, partnerIdOrRef: string, termIdOrName: string | null): Promise<PartnerDefaultView> {
  const partner = await partnerOr404(api, trx, tenantId, actor, partnerIdOrRef, null);
  const before = await repo.partnerDefault(trx, tenantId, partner.id);
  let termId: string | null = null;
  if (termIdOrName !== null) {
    const term = await resolveTerm(trx, tenantId, termIdOrName, 'term');
    if (term.archived_at) throw badRequest(`payment term '${term.name}' is archived`, 'term');
    termId = term.id;
  }
  if ((before?.id ?? null) !== termId) {
    await repo.setPartnerDefault(trx, tenantId, partner.id, termId);
    await api.audit(trx, tenantId, { actor, action: 'partner.default_term_set', entity: 'partner', entityId: partner.id, before: { term: before?.id ?? null }, after: { term: termId } });
  }
  return getPartnerDefault(api, trx, tenantId, actor, partner.id, null);
}
