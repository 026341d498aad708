import { openBooks, type LedgerApi } from './books.js';
import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import { registerPaymentsInBulk } from './payments-bulk.js';
import { checkSettingsAccounts, seedChart } from './accounts.js';
import { registerInstallmentProvider } from './invoices.js';
import * as payments from './payments.js';
import * as partners from './partners.js';
import { findPaymentReferences, nearPaymentReferences } from './payment-reference.js';

export function setup(api: LedgerApi): void {
  api.onEnable(seedChart);
  api.onSettingsChange(checkSettingsAccounts);

  // Services for modules that depend on the ledger.
  api.provide('installments', { register: registerInstallmentProvider });
  api.provide('books', { open: (trx: Trx, tenantId: string, actor: Actor) => openBooks(api, trx, tenantId, actor) });
  api.provide('payments', { register: payments.registerPayment, registerInBulk: registerPaymentsInBulk, unallocate: payments.unallocatePayment, reverse: payments.reversePayment, writeOff: payments.writeOff, get: payments.getPayment, setBankMatched: payments.setBankMatched, allocateCredit: payments.allocateCredit });
  api.provide('partners', { resolve: partners.resolvePartner, get: partners.getPartner, balances: partners.balances });
  api.provide('paymentReferences', { find: findPaymentReferences, near: nearPaymentReferences });
}
