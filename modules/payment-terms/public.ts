/**
 * The payment-terms module's public surface: the only file of it another module may import (with
 * `payment-terms` in its `depends` or `optional`). It offers no service of its own: it plugs into
 * the ledger as its instalment provider (ledger/public.ts `installments.register`), and emits no
 * events. No table is public.
 */
export const publicTables = [] as const;
