import type { DocumentsApi } from './context.js';
import { qrPng } from './qr.js';
import { createRenderer } from './render.js';
import { createDocumentsService, reminderCode } from './service.js';
import { msg, languageOf } from './i18n/index.js';
import { vietQrProblem } from './vietqr.js';
import { badRequest } from '../../core/errors.js';

export function setup(api: DocumentsApi): void {
  const documents = createDocumentsService(api, createRenderer());
  api.provide(documents);

  api.onSettingsChange(async (_trx, _tenantId, settings) => {
    const account = settings.bankAccount;
    const problem = account && vietQrProblem({ bin: account.bin, accountNumber: account.accountNumber });
    if (problem) throw badRequest(problem.message, `settings.bankAccount.${problem.field}`);
  });

  // The follow-up's reminder emails attach the statement and show the payment code made here.
  api.optionalService('follow-up')?.documents.register(api.name, {
    async statement(trx, tenantId, partnerId, date, lang) {
      const doc = await documents.pdf(trx, tenantId, { kind: 'open-items', partner: partnerId, asOf: date, ...(lang ? { lang: languageOf(lang, 'vi').locale } : {}) });
      return { filename: doc.filename, content: doc.content };
    },
    async paymentCode(trx, tenantId, partnerId, amount, lang, invoiceIds) {
      const code = await reminderCode(api, trx, tenantId, partnerId, amount, invoiceIds);
      if (!code) return null;
      const { lang: language } = languageOf(lang, 'vi');
      return { png: await qrPng(code.payload), payload: code.payload, reference: code.reference, caption: `${msg(language, 'pay.scan')} — ${msg(language, 'pay.reference')}: ${code.reference}` };
    },
  });
}
