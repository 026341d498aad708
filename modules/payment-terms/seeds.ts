/**
 * The usual payment terms, seeded when a company enables the module (once: a company that already
 * has terms keeps its own), named in the company's language (catalogue.ts). A seeded term is found
 * by its name in any of the catalogue's languages too (`paymentTerm: "30 days"` in a vi-VN company
 * is its "Thanh toán trong 30 ngày"), so integrators' scripts work whatever the company's language.
 */
import type { Trx } from '../../core/db/kysely.js';
import { getTenant } from '../../core/tenants.js';
import { CATALOGUE, languageOf, seededTermNames, type SeededTerm } from './catalogue.js';
import * as repo from './repository.js';
import { checkDefinition, type TermDefinitionInput } from './schedule.js';

/** The seeded terms' lines and discounts (their names and notes are in the catalogue). */
export const DEFAULT_TERMS: Array<{ key: SeededTerm } & TermDefinitionInput> = [
  { key: 'immediate', lines: [{ value: 'balance', delayType: 'days_after', days: 0 }] },
  { key: 'days_15', lines: [{ value: 'balance', delayType: 'days_after', days: 15 }] },
  { key: 'days_30', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }] },
  { key: 'days_30_end_of_month', lines: [{ value: 'balance', delayType: 'days_end_of_month_on_the', days: 30, dayOfMonth: 0 }] },
  { key: 'advance_30_balance_60', lines: [{ value: 'percent', amount: '30', delayType: 'days_after', days: 0 }, { value: 'balance', delayType: 'days_after', days: 60 }] },
  { key: 'discount_2_10_net_30', lines: [{ value: 'balance', delayType: 'days_after', days: 30 }], earlyDiscount: { percent: '2', days: 10 } },
];

/** onEnable: the usual terms, once, in the company's language. */
export async function seedDefaultTerms(trx: Trx, tenantId: string): Promise<void> {
  if (await repo.countTerms(trx, tenantId) > 0) return;
  const { currency, locale } = await getTenant(trx, tenantId);
  const words = CATALOGUE[languageOf(locale)];
  for (const { key, ...input } of DEFAULT_TERMS) {
    const definition = checkDefinition(input, currency);
    const { name, note } = words[key];
    const id = await repo.insertTerm(trx, tenantId, name);
    await repo.insertVersion(trx, tenantId, id, 1, name, note ?? null, definition, null);
  }
}

/** A seeded term named in another language than the company's (its name there, as the company still has it). */
export async function findSeededTermByName(trx: Trx, tenantId: string, name: string): Promise<repo.TermRow | undefined> {
  for (const other of seededTermNames(name)) {
    if (other.toLowerCase() === name.trim().toLowerCase()) continue;
    const term = await repo.findTermByName(trx, tenantId, other);
    if (term) return term;
  }
  return undefined;
}
