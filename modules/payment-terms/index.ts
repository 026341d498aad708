import type { PaymentTermsApi } from './context.js';
import { installmentProvider } from './service.js';
import { seedDefaultTerms } from './seeds.js';

export function setup(api: PaymentTermsApi): void {
  // The usual terms, named in the company's language (catalogue.ts).
  api.onEnable(seedDefaultTerms);
  // The ledger asks us for instalments and partner defaults, only for tenants that enabled us.
  api.service('ledger').installments.register(api.name, installmentProvider);
}
