import { openBooks, type Books, type LedgerApi } from './context.js';
import { registerPaymentsInBulk } from './payments-bulk.js';
import * as payments from './payments.js';
import { balances, partnerPaymentReference, resolvePartner } from './partners.js';
import { outstandingMinor, statementMinor } from './reports/statement.js';
import { findPaymentReferences, nearPaymentReferences } from './payment-reference.js';
import type { InstallmentProvider, LedgerBooks, LedgerPayment, LedgerService } from './public.js';

/** `LedgerBooks` come only from `books.open`, which makes `Books`: the services take them back as such. */
const own = (books: LedgerBooks): Books => books as Books;

function paymentOf(row: payments.PaymentRecord): LedgerPayment {
  return {
    id: row.id, partnerId: row.partner_id, date: row.date, amount: row.amount, unallocated: row.unallocated,
    bankMatched: row.bank_matched, reversedOn: row.reversed_on, allocations: row.allocations.map((a) => ({ invoiceId: a.invoice, amount: a.amount })),
  };
}

/** The ledger's service (public.ts), built once per server in `setup`. */
export function createLedgerService(api: LedgerApi): LedgerService {
  let installments: { module: string; provider: InstallmentProvider } | null = null;
  return {
    books: {
      open: (trx, tenantId, actor, options) => openBooks(api, trx, tenantId, actor, options?.visibleSalespeople ?? null),
    },
    partners: {
      resolve: async (books, idOrRef, field) => {
        const p = await resolvePartner(own(books), idOrRef, field);
        return { id: p.id, ref: p.ref, name: p.name, email: p.email, phone: p.phone, lang: p.lang, salespersonId: p.salesperson_id, active: p.active };
      },
      paymentReference: (books, partnerId) => partnerPaymentReference(own(books), partnerId),
      balances: (books, partnerIds) => balances(own(books), partnerIds),
    },
    payments: {
      register: async (books, input) => paymentOf(await payments.paymentRecord(own(books), (await payments.registerPayment(own(books), input)).id)),
      registerInBulk: async (books, inputs, options) => {
        const result = await registerPaymentsInBulk(own(books), inputs, options);
        return { payments: result.payments.map((p) => ({ id: p.id, invoiceIds: p.invoices })) };
      },
      get: async (books, id) => paymentOf(await payments.paymentRecord(own(books), id)),
      setBankMatched: (books, id, matched) => payments.setBankMatched(own(books), id, matched),
      reverse: async (books, id, input) => paymentOf(await payments.paymentRecord(own(books), (await payments.reversePayment(own(books), id, input)).id)),
      writeOff: (books, invoiceId, input) => payments.writeOff(own(books), invoiceId, input),
    },
    paymentReferences: { find: findPaymentReferences, near: nearPaymentReferences },
    reports: {
      statement: (books, partner, period) => statementMinor(own(books), partner, { from: period.from, to: period.to }),
      outstanding: (books, partner, on) => outstandingMinor(own(books), partner, { type: 'outstanding', asOf: on.asOf }),
    },
    installments: {
      register: (module, provider) => {
        if (installments && installments.module !== module) throw new Error(`Module '${installments.module}' already plans instalments; '${module}' cannot too`);
        installments = { module, provider };
      },
      providerFor: async (books) => {
        if (!installments || !(await api.isEnabled(books.trx, books.tenantId, installments.module))) return null;
        return installments.provider;
      },
    },
  };
}
