import type { PaymentTermsApi, InstallmentProvider } from './service.js';
import { installmentProvider, seedDefaultTerms } from './service.js';

export function setup(api: PaymentTermsApi): void {
  api.onEnable(seedDefaultTerms);
  // The ledger asks us for instalments and partner defaults, only for tenants that enabled us.
  api.service<{ register(module: string, provider: InstallmentProvider): void }>('ledger', 'installments').register(api.name, installmentProvider);
}
