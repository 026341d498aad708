import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

const AccountCode = (code: string, description: string) => Type.String({ pattern: '^[0-9A-Za-z.]{1,20}$', default: code, description });

export default defineModule({
  name: 'ledger',
  version: '1.0.0',
  summary: 'The receivable books: partners, invoices and credit notes, payments and allocations, statements, aging',
  depends: [],
  core: '^0.1.0',
  settings: Type.Object({
    accounts: Type.Object({
      receivable: AccountCode('131', 'Customer receivables'),
      revenue: AccountCode('511', 'Sales revenue'),
      outputTax: AccountCode('3331', 'Output VAT payable'),
      bank: AccountCode('112', 'Bank'),
      cash: AccountCode('111', 'Cash'),
      outstandingReceipts: AccountCode('1121', 'Receipts not yet matched to a bank statement line'),
      writeOff: AccountCode('811', 'Small differences written off'),
      paymentDiscount: AccountCode('635', 'Early-payment discounts granted'),
    }, { default: {}, additionalProperties: false }),
    /** Largest residual (decimal string, tenant currency) a clerk may write off as a small difference. */
    writeOffLimit: Type.String({ pattern: '^\\d+(\\.\\d+)?$', default: '0' }),
    invoiceSeries: Type.String({ pattern: '^[A-Z0-9]{1,10}$', default: 'INV' }),
    creditNoteSeries: Type.String({ pattern: '^[A-Z0-9]{1,10}$', default: 'RINV' }),
    /** Letters that start every payment reference (2–4 upper-case letters). */
    paymentReferencePrefix: Type.String({ pattern: '^[A-HJ-KMNP-TV-Z]{2,4}$', default: 'CN' }),
  }, { additionalProperties: false }),
  emits: ['invoice.posted', 'invoice.reversed', 'invoice.payment_state_changed', 'payment.registered', 'payment.allocated', 'payment.unallocated', 'payment.reconciled', 'payment.reversed', 'opening_balance.imported'],
  consumes: [],
});
