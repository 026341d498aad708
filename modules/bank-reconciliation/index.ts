import type { BankApi } from './context.js';
import { freshness } from './freshness.js';

export function setup(api: BankApi): void {
  // Imports, matches and unmatches happen on request; no hooks or jobs of its own yet.
  // The service (public.ts): what the follow-up asks before reminding anyone.
  api.provide({ freshness });
}
