import type { BankApi } from './context.js';

export function setup(_api: BankApi): void {
  // Everything happens on request (import, match, unmatch); no hooks or jobs of its own yet.
}
