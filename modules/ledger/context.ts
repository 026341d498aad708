import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type { ModuleApi } from '../../core/modules/api.js';
import { formatAmount, MoneyError, parseAmount, type DecimalValue, type ParseAmountOptions } from '../../core/money.js';
import { todayIn } from '../../core/dates.js';
import { badRequest } from '../../core/errors.js';
import { getTenant } from '../../core/tenants.js';
import type manifest from './manifest.js';
import type { LedgerBooks, LedgerSettings } from './public.js';
import './tables.js';

export type LedgerApi = ModuleApi<typeof manifest>;
export type { LedgerSettings };

/**
 * One tenant's receivable books inside one transaction: what every ledger service works with.
 * `visibleSalespeople` is null unless the caller is a salesperson (then only their partners).
 * Other modules see it as `LedgerBooks` (public.ts); the ledger adds its api.
 */
export interface Books extends LedgerBooks {
  api: LedgerApi;
}

export function today(books: Books): string {
  return todayIn(books.timezone);
}

/**
 * An amount given to the ledger: a decimal in major units from a request ("1500000.00"), or
 * bigint minor units from another module's service (public.ts: money crosses services as bigint).
 */
export type AmountInput = DecimalValue | bigint;

/** Money in the tenant's currency from a request field or a service; other currencies wait for multi-currency. */
export function money(books: Books, value: unknown, field: string, options: Omit<ParseAmountOptions, 'field'> = {}): bigint {
  if (typeof value !== 'bigint') return parseAmount(value, books.currency, { ...options, field });
  if (value < 0n && !options.allowNegative) throw new MoneyError(`${field} must not be negative`, field);
  if (value === 0n && !options.allowZero) throw new MoneyError(`${field} must not be zero`, field);
  return value;
}

/** An amount as the caller gave it, for a message: a request's own text, a service's bigint formatted. */
export function given(books: Books, value: AmountInput): string {
  return typeof value === 'bigint' ? show(books, value) : String(value);
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
export async function openBooks(api: LedgerApi, trx: Trx, tenantId: string, actor: Actor, visibleSalespeople: string[] | null = null): Promise<Books> {
  const tenant = await getTenant(trx, tenantId);
  return { api, trx, tenantId, currency: tenant.currency, timezone: tenant.timezone, actor, settings: await api.settings(trx, tenantId), visibleSalespeople };
}
