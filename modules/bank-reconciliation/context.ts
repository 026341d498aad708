import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';
import type { Static } from 'typebox';
import type { LedgerBooks, LedgerService } from '../ledger/public.js';
import './tables.js';

export type BankApi = ModuleApi<typeof manifest>;
export type BankSettings = Static<NonNullable<typeof manifest.settings>>;

/** One tenant's bank work inside one transaction. */
export interface Bank {
  api: BankApi;
  trx: Trx;
  tenantId: string;
  actor: Actor;
  settings: BankSettings;
  ledger: LedgerService;
  books: LedgerBooks;
  /**
   * For a salesperson: the salespeople whose partners they see (core/scope.ts). Lines and rules
   * then show only what is matched to, suggested for or about those partners. null: everything.
   */
  visibleSalespeople: string[] | null;
}

export async function openBank(api: BankApi, trx: Trx, tenantId: string, actor: Actor): Promise<Bank> {
  const ledger = api.service('ledger');
  return { api, trx, tenantId, actor, settings: await api.settings(trx, tenantId), ledger, books: await ledger.books.open(trx, tenantId, actor), visibleSalespeople: null };
}
