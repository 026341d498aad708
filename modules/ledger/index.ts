import type { LedgerApi } from './context.js';
import { checkSettingsAccounts, seedChart } from './accounts.js';
import { createLedgerService } from './service.js';

export function setup(api: LedgerApi): void {
  api.onEnable(seedChart);
  api.onSettingsChange(checkSettingsAccounts);
  // The service (public.ts) for modules that depend on the ledger.
  api.provide(createLedgerService(api));
}
