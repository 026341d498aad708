import { defineModule } from '../../core/modules/manifest.js';

export default defineModule({
  name: 'payment-terms',
  version: '1.0.0',
  summary: 'Payment terms: instalments, end-of-month rules and early-payment discounts computed for each invoice',
  depends: ['ledger'],
  core: '^0.1.0',
  emits: [],
  consumes: [],
});
