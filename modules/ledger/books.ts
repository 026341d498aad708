import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type { ModuleApi } from '../../core/modules/api.js';
import { formatAmount, parseAmount, type ParseAmountOptions } from '../../core/money.js';
import { todayIn } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import { getTenant } from '../../core/tenants.js';
import type manifest from './manifest.js';
import type { Static } from 'typebox';
import './tables.js';

export type LedgerApi = ModuleApi<typeof manifest>;
export type LedgerSettings = Static<NonNullable<typeof manifest.settings>>;

/**
 * One tenant's receivable books inside one transaction: what every ledger service works with.
 * `visibleSalespeople` is null unless the caller is a salesperson (then only their partners).
 */
export interface Books {
  api: LedgerApi;
  trx: Trx;
  tenantId: string;
  currency: string;
  timezone: string;
  actor: Actor;
  settings: LedgerSettings;
  visibleSalespeople: string[] | null;
}

export function today(books: Books): string {
  return todayIn(books.timezone);
}

/** Money in the tenant's currency from a request field; other currencies wait for multi-currency. */
export function money(books: Books, value: unknown, field: string, options: Omit<ParseAmountOptions, 'field'> = {}): bigint {
  return parseAmount(value, books.currency, { ...options, field });
}

export function assertCurrency(books: Books, currency: string | undefined, field = 'currency'): void {
  if (currency !== undefined && currency !== books.currency) {
    throw badRequest(`currency '${currency}' is not accepted: this company keeps its books in ${books.currency} (other currencies are not supported yet)`, field);
  }
}

export function show(books: Books, minor: bigint): string {
  return formatAmount(minor, books.currency);
}

/**
 * The books of a tenant inside the caller's transaction, for modules that depend on the ledger
 * (service `books`): they pass the result back to the ledger's other services.
 */
export async function openBooks(api: LedgerApi, trx: Trx, tenantId: string, actor: Actor): Promise<Books> {
  const tenant = await getTenant(trx, tenantId);
  return { api, trx, tenantId, currency: tenant.currency, timezone: tenant.timezone, actor, settings: await api.settings(trx, tenantId), visibleSalespeople: null };
}
