import { sql } from 'kysely';
import type { Trx } from '../../core/db/kysely.js';
import type { TermDefinition } from './schedule.js';
import './tables.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

export type TermRow = { id: string; name: string; current_version: number; archived_at: Date | null; created_at: Date; updated_at: Date };
export interface VersionRow { version: number; name: string; note: string | null; definition: TermDefinition; created_at: Date }

export async function findTerm(trx: Trx, tenantId: string, id: string, options: { lock?: boolean } = {}): Promise<TermRow | undefined> {
  let q = trx.selectFrom('payment_terms_term').select(['id', 'name', 'current_version', 'archived_at', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** The term with that name (case-insensitive): the active one, else the most recently archived. */
export async function findTermByName(trx: Trx, tenantId: string, name: string): Promise<TermRow | undefined> {
  return trx.selectFrom('payment_terms_term').select(['id', 'name', 'current_version', 'archived_at', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId).where((eb) => eb(eb.fn('lower', ['name']), '=', name.trim().toLowerCase()))
    .orderBy((eb) => eb('archived_at', 'is', null), 'desc').orderBy('archived_at', 'desc').limit(1).executeTakeFirst();
}

export async function activeNameTaken(trx: Trx, tenantId: string, name: string, exceptId: string | null): Promise<boolean> {
  let q = trx.selectFrom('payment_terms_term').select('id').where('tenant_id', '=', tenantId).where('archived_at', 'is', null)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (exceptId) q = q.where('id', '<>', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function listTerms(trx: Trx, tenantId: string, includeArchived: boolean): Promise<TermRow[]> {
  let q = trx.selectFrom('payment_terms_term').select(['id', 'name', 'current_version', 'archived_at', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId);
  if (!includeArchived) q = q.where('archived_at', 'is', null);
  return q.orderBy('seq').execute();
}

export async function countTerms(trx: Trx, tenantId: string): Promise<number> {
  const row = await trx.selectFrom('payment_terms_term').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Versions with their lines, for the given (term, version) pairs. */
export async function versions(trx: Trx, tenantId: string, keys: Array<{ termId: string; version: number }>): Promise<Map<string, VersionRow>> {
  const out = new Map<string, VersionRow>();
  if (keys.length === 0) return out;
  const wanted = sql<boolean>`(term_id, version) in (${sql.join(keys.map((k) => sql`(${k.termId}::uuid, ${k.version}::integer)`))})`;
  const heads = await trx.selectFrom('payment_terms_version').selectAll().where('tenant_id', '=', tenantId).where(wanted).execute();
  const lines = await trx.selectFrom('payment_terms_line').selectAll().where('tenant_id', '=', tenantId).where(wanted).orderBy('position').execute();
  for (const h of heads) {
    out.set(`${h.term_id}/${h.version}`, {
      version: h.version, name: h.name, note: h.note, created_at: h.created_at,
      definition: {
        lines: lines.filter((l) => l.term_id === h.term_id && l.version === h.version).map((l) => ({
          value: l.value, amount: l.amount, delayType: l.delay_type, days: l.days, dayOfMonth: l.day_of_month,
        })),
        earlyDiscount: h.discount_percent !== null ? { percent: h.discount_percent, days: h.discount_days! } : null,
      },
    });
  }
  return out;
}

export async function insertTerm(trx: Trx, tenantId: string, name: string): Promise<string> {
  const row = await trx.insertInto('payment_terms_term').values({ tenant_id: tenantId, name, current_version: 1, archived_at: null })
    .returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function insertVersion(trx: Trx, tenantId: string, termId: string, version: number, name: string, note: string | null, definition: TermDefinition, createdBy: string | null): Promise<void> {
  await trx.insertInto('payment_terms_version').values({
    tenant_id: tenantId, term_id: termId, version, name, note, created_by: createdBy,
    discount_percent: definition.earlyDiscount?.percent ?? null, discount_days: definition.earlyDiscount?.days ?? null,
  }).execute();
  await trx.insertInto('payment_terms_line').values(definition.lines.map((l, i) => ({
    tenant_id: tenantId, term_id: termId, version, position: i + 1, value: l.value, amount: l.amount,
    delay_type: l.delayType, days: l.days, day_of_month: l.dayOfMonth,
  }))).execute();
}

export async function setCurrentVersion(trx: Trx, tenantId: string, termId: string, version: number, name: string): Promise<void> {
  await trx.updateTable('payment_terms_term').set({ current_version: version, name, updated_at: new Date() })
    .where('tenant_id', '=', tenantId).where('id', '=', termId).execute();
}

export async function archive(trx: Trx, tenantId: string, termId: string): Promise<void> {
  await trx.updateTable('payment_terms_term').set({ archived_at: new Date(), updated_at: new Date() })
    .where('tenant_id', '=', tenantId).where('id', '=', termId).where('archived_at', 'is', null).execute();
}

export async function partnersDefaultingTo(trx: Trx, tenantId: string, termId: string, limit: number): Promise<string[]> {
  const rows = await trx.selectFrom('payment_terms_partner_default as d')
    .innerJoin('ledger_partner as p', (j) => j.onRef('p.tenant_id', '=', 'd.tenant_id').onRef('p.id', '=', 'd.partner_id'))
    .select('p.ref').where('d.tenant_id', '=', tenantId).where('d.term_id', '=', termId).orderBy('p.ref').limit(limit).execute();
  return rows.map((r) => r.ref);
}

export async function partnerDefault(trx: Trx, tenantId: string, partnerId: string): Promise<TermRow | undefined> {
  return trx.selectFrom('payment_terms_partner_default as d')
    .innerJoin('payment_terms_term as t', (j) => j.onRef('t.tenant_id', '=', 'd.tenant_id').onRef('t.id', '=', 'd.term_id'))
    .select(['t.id', 't.name', 't.current_version', 't.archived_at', 't.created_at', 't.updated_at'])
    .where('d.tenant_id', '=', tenantId).where('d.partner_id', '=', partnerId).executeTakeFirst();
}

export async function setPartnerDefault(trx: Trx, tenantId: string, partnerId: string, termId: string | null): Promise<void> {
  if (termId === null) {
    await trx.deleteFrom('payment_terms_partner_default').where('tenant_id', '=', tenantId).where('partner_id', '=', partnerId).execute();
    return;
  }
  await trx.insertInto('payment_terms_partner_default').values({ tenant_id: tenantId, partner_id: partnerId, term_id: termId })
    .onConflict((oc) => oc.columns(['tenant_id', 'partner_id']).doUpdateSet({ term_id: termId, updated_at: new Date() })).execute();
}
