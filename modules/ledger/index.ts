import type { LedgerApi } from './books.js';
import { seedChart } from './accounts.js';
import { registerInstallmentProvider } from './invoices.js';
import * as payments from './payments.js';
import * as partners from './partners.js';
import { findPaymentReferences } from './payment-reference.js';

export function setup(api: LedgerApi): void {
  api.onEnable(seedChart);

  // Services for modules that depend on the ledger.
  api.provide('installments', { register: registerInstallmentProvider });
  api.provide('payments', { register: payments.registerPayment, get: payments.getPayment, setBankMatched: payments.setBankMatched, allocateCredit: payments.allocateCredit });
  api.provide('partners', { resolve: partners.resolvePartner, get: partners.getPartner, balances: partners.balances });
  api.provide('paymentReferences', { find: findPaymentReferences });
}
