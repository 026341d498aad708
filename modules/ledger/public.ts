/**
 * The ledger's public surface: the only file of this module another module may import (when
 * `ledger` is in its manifest's `depends` or `optional`). What is here is kept: its service, the
 * payloads of its events, and the tables dependents may read with set-based SQL.
 *
 * Money crosses the service as bigint minor units. Event payloads are JSON (the outbox), so
 * their amounts are decimal strings in the tenant's currency.
 */
import type { Static } from 'typebox';
import type { Trx } from '../../core/db/kysely.js';
import type { Actor } from '../../core/events/types.js';
import type manifest from './manifest.js';
import type { Installment, PaymentState } from './tables.js';

export type {
  Address, Installment, PaymentState, Trust, MoveKind,
  LedgerPartnerTable, LedgerPartnerContactTable, LedgerMoveTable, LedgerMoveLineTable, LedgerInvoiceTable, LedgerPaymentTable, LedgerPartialTable,
} from './tables.js';

/**
 * Tables a dependent may read (never write) in its own SQL, with the columns their types above
 * name: a report over 5M invoices is a join, not a service call per row. Every other `ledger_*`
 * table is private. Open items are `ledger_move_line` rows with `receivable` and a non-zero
 * `amount_residual` (a partial index serves exactly that filter).
 */
export const publicTables = [
  'ledger_partner', 'ledger_partner_contact', 'ledger_invoice', 'ledger_move', 'ledger_move_line', 'ledger_partial', 'ledger_payment',
] as const;

export type { StatementMinor as LedgerStatement, OutstandingMinor as LedgerOpenItems } from './reports/statement.js';
import type { StatementMinor, OutstandingMinor } from './reports/statement.js';

export type LedgerSettings = Static<NonNullable<typeof manifest.settings>>;

/**
 * One tenant's receivable books inside one transaction, from `books.open`: handed back to the
 * other services, which work in that transaction. Do not build one yourself.
 */
export interface LedgerBooks {
  readonly trx: Trx;
  readonly tenantId: string;
  /** ISO 4217; the books keep one currency. */
  readonly currency: string;
  /** IANA time zone of the tenant: "today" is that zone's date. */
  readonly timezone: string;
  readonly actor: Actor;
  readonly settings: LedgerSettings;
  /** For a salesperson: the salespeople whose partners they see (core/scope.ts); null: all. */
  readonly visibleSalespeople: string[] | null;
}

export interface LedgerPartner {
  id: string; ref: string; name: string; email: string | null; phone: string | null; lang: string | null;
  /** The user responsible for the customer (the sales role's scope). */
  salespersonId: string | null;
  active: boolean;
}

export interface LedgerPaymentInput {
  /** Partner id or ref. */
  partner: string;
  date: string;
  amount: bigint;
  /** What the customer wrote (kept on the payment, shown on statements). */
  reference?: string;
  journal?: 'bank' | 'cash';
  /** Invoices (id or number) in the order to settle; none: oldest due first. */
  allocations?: Array<{ invoice: string; amount: bigint }>;
}

export interface LedgerPayment {
  id: string; partnerId: string; date: string; amount: bigint;
  /** What is not allocated to invoices: the customer's credit. */
  unallocated: bigint;
  /** Confirmed by a bank statement line: its invoices are `paid`, not `in_payment`. */
  bankMatched: boolean;
  reversedOn: string | null;
  allocations: Array<{ invoiceId: string | null; amount: bigint }>;
}

/** What a payment-terms module answers for a term, an invoice date and a total. */
export interface InstallmentPlan {
  installments: Array<{ dueDate: string; amount: bigint }>;
  term: { id: string; name: string; version?: number };
  /** Early-payment discount: `amount` off if paid in full by `until`. */
  discount?: { until: string; amount: bigint };
}

/** How instalments are computed when a module supplies payment terms (see `installments.register`). */
export interface InstallmentProvider {
  /** Instalments for a term (id or name); throw a 400 problem naming `paymentTerm` for an unknown term. */
  plan(books: LedgerBooks, term: string, date: string, total: bigint): Promise<InstallmentPlan>;
  /** The partner's default term, used when an invoice gives neither dueDate nor paymentTerm. */
  defaultTerm(books: LedgerBooks, partnerId: string): Promise<string | null>;
}

export interface LedgerService {
  books: {
    /** The tenant's books in `trx`; `visibleSalespeople` narrows what the services find to a salesperson's partners. */
    open(trx: Trx, tenantId: string, actor: Actor, options?: { visibleSalespeople?: string[] | null }): Promise<LedgerBooks>;
  };
  partners: {
    /** A partner by id or ref among those the books see; a 404 problem, or a 400 naming `field` when given. */
    resolve(books: LedgerBooks, idOrRef: string, field?: string): Promise<LedgerPartner>;
    /**
     * The customer's own payment reference, given on first use: a transfer that carries it settles
     * the customer's oldest open invoices (the bank module). Per invoice, use the invoice's reference.
     */
    paymentReference(books: LedgerBooks, partnerId: string): Promise<string>;
    /** Balance (all open items) and overdue (open debits due before today) per partner. */
    balances(books: LedgerBooks, partnerIds: string[]): Promise<Map<string, { balance: bigint; overdue: bigint }>>;
  };
  payments: {
    register(books: LedgerBooks, input: LedgerPaymentInput): Promise<LedgerPayment>;
    /** Up to thousands in a few statements, all validated before any is written; `bankMatched`: confirmed by the bank at once. */
    registerInBulk(books: LedgerBooks, inputs: LedgerPaymentInput[], options?: { bankMatched?: boolean }): Promise<{ payments: Array<{ id: string; invoiceIds: string[] }> }>;
    get(books: LedgerBooks, id: string): Promise<LedgerPayment>;
    /** Matched to (or unmatched from) a bank statement line: its invoices move between `in_payment` and `paid`. */
    setBankMatched(books: LedgerBooks, id: string, matched: boolean): Promise<void>;
    reverse(books: LedgerBooks, id: string, input: { date?: string; reason?: string }): Promise<LedgerPayment>;
    /** Writes off what stays open on an invoice (all of it by default), within the `writeOffLimit` setting. */
    writeOff(books: LedgerBooks, invoiceId: string, input: { amount?: bigint; date?: string; reason?: string }): Promise<void>;
  };
  paymentReferences: {
    /** Valid payment references (check character right) in a bank line's text. */
    find(text: string, prefix: string): string[];
    /** Candidates one character off (a typo): suggestions, never automatic matches. */
    near(text: string, prefix: string): string[];
  };
  reports: {
    /**
     * The customer statement ("sổ chi tiết công nợ") from `from` (default: the first of `to`'s
     * month) to `to` (default: today): opening, every receivable movement with its running balance,
     * closing — the same as `GET /api/ledger/reports/partners/{id}/statement`, in minor units.
     * Bad dates are 400 problems naming `from` / `to`.
     */
    statement(books: LedgerBooks, partnerIdOrRef: string, period: { from?: string; to?: string }): Promise<StatementMinor>;
    /** What is open on `asOf` (default: today), item by item with days overdue, the total and the overdue part. */
    outstanding(books: LedgerBooks, partnerIdOrRef: string, on: { asOf?: string }): Promise<OutstandingMinor>;
  };
  installments: {
    /** Asked only for tenants that have `module` enabled; one provider per server. */
    register(module: string, provider: InstallmentProvider): void;
    /** The provider that plans these books' instalments: null when none is registered or its module is off for the tenant. */
    providerFor(books: LedgerBooks): Promise<InstallmentProvider | null>;
  };
}

declare module '../../core/modules/services.js' {
  interface ModuleServices { ledger: LedgerService }
}

/** `invoice.posted`: hook tier, the open items exist in the same transaction. */
export interface InvoicePosted { invoiceId: string; number: string; partnerId: string; kind: 'invoice' | 'credit_note'; date: string; total: string; installments: Installment[] }
export interface InvoiceReversed { invoiceId: string; creditNoteId: string; amount: string }
export interface InvoicePaymentStateChanged { invoiceId: string; partnerId: string; from: PaymentState; to: PaymentState; residual: string }
export interface PaymentRegistered { paymentId: string; partnerId: string; date: string; amount: string }
export interface PaymentAllocation { partnerId: string; debitLineId: string; creditLineId: string; invoiceId: string | null; amount: string; date: string }
/** A payment was matched to a bank statement line: its invoices can be `paid`. */
export interface PaymentReconciled { paymentId: string; partnerId: string; invoiceIds: string[] }
/**
 * An opening balance was imported (one event per entry): a receivable line `amount` (negative: a
 * credit) due on `dueDate`, outside any invoice, in the same transaction as the import.
 */
export interface OpeningBalanceImported { moveId: string; partnerId: string; date: string; dueDate: string; amount: string; document: string | null }
/** A payment was cancelled by a reversal entry; what it paid is open again. */
export interface PaymentReversed { paymentId: string; partnerId: string; date: string; amount: string; invoiceIds: string[] }

declare module '../../core/events/types.js' {
  interface EventMap {
    'invoice.posted': InvoicePosted;
    'invoice.reversed': InvoiceReversed;
    'invoice.payment_state_changed': InvoicePaymentStateChanged;
    'payment.registered': PaymentRegistered;
    'payment.allocated': PaymentAllocation;
    'payment.unallocated': PaymentAllocation;
    'payment.reconciled': PaymentReconciled;
    'payment.reversed': PaymentReversed;
    'opening_balance.imported': OpeningBalanceImported;
  }
}
