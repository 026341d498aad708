import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';
import type { Static } from 'typebox';
import './tables.js';

export type BankApi = ModuleApi<typeof manifest>;
export type BankSettings = Static<NonNullable<typeof manifest.settings>>;

// The ledger's services, declared here by their shape: a module never imports another module's files.
/** The ledger's books handle for one tenant in one transaction; passed back to the ledger's services. */
export interface LedgerBooks { currency: string; settings: { invoiceSeries: string; paymentReferencePrefix: string; writeOffLimit: string } }
export interface LedgerPaymentInput {
  partner: string; date: string; amount: string; reference?: string; journal?: 'bank' | 'cash';
  allocations?: Array<{ invoice: string; amount: string }>;
}
export interface LedgerPayment { id: string; partner: { id: string }; amount: string; unallocated: string; bankMatched: boolean; reversedOn: string | null; allocations: Array<{ invoice: string | null; amount: string }> }
export interface LedgerServices {
  books: { open(trx: Trx, tenantId: string, actor: Actor): Promise<LedgerBooks> };
  payments: {
    register(books: LedgerBooks, input: LedgerPaymentInput): Promise<LedgerPayment>;
    registerInBulk(books: LedgerBooks, inputs: LedgerPaymentInput[], options?: { bankMatched?: boolean }): Promise<{ payments: Array<{ id: string }> }>;
    get(books: LedgerBooks, id: string): Promise<LedgerPayment>;
    setBankMatched(books: LedgerBooks, id: string, matched: boolean): Promise<void>;
    reverse(books: LedgerBooks, id: string, input: { date?: string; reason?: string }): Promise<LedgerPayment>;
    writeOff(books: LedgerBooks, invoiceId: string, input: { amount?: string; date?: string; reason?: string }): Promise<void>;
  };
  paymentReferences: { find(text: string, prefix: string): string[]; near(text: string, prefix: string): string[] };
}

/** One tenant's bank work inside one transaction. */
export interface Bank {
  api: BankApi;
  trx: Trx;
  tenantId: string;
  actor: Actor;
  settings: BankSettings;
  ledger: LedgerServices;
  books: LedgerBooks;
  /**
   * For a salesperson: the salespeople whose partners they see (core/scope.ts). Lines and rules
   * then show only what is matched to, suggested for or about those partners. null: everything.
   */
  visibleSalespeople: string[] | null;
}

export function ledgerServices(api: BankApi): LedgerServices {
  return {
    books: api.service('ledger', 'books'),
    payments: api.service('ledger', 'payments'),
    paymentReferences: api.service('ledger', 'paymentReferences'),
  };
}

export async function openBank(api: BankApi, trx: Trx, tenantId: string, actor: Actor): Promise<Bank> {
  const ledger = ledgerServices(api);
  return { api, trx, tenantId, actor, settings: await api.settings(trx, tenantId), ledger, books: await ledger.books.open(trx, tenantId, actor), visibleSalespeople: null };
}
