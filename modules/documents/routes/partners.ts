import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { formatAmount, parseAmount } from '../../../core/money.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import { getTenant } from '../../../core/tenants.js';
import { BANKS } from '../banks.js';
import type { DocumentsApi } from '../context.js';
import { BankOut, Html, PartnerParams, Pdf, Problem, ReminderQuery, StatementQuery, VietQrOut, VietQrQuery } from '../http-schemas.js';
import type { DocumentRequest } from '../public.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as DocumentsApi;
  const tags = ['documents'];
  const problems = { 400: Problem, 404: Problem, 409: Problem };

  const send = async (request: FastifyRequest, reply: FastifyReply, document: DocumentRequest, as: 'pdf' | 'html') => {
    const tenant = tenantOf(request);
    const documents = api.ownService();
    if (as === 'html') {
      const page = await request.tx(async (trx) => documents.html(trx, tenant.id, document, { visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) }));
      return reply.type('text/html; charset=utf-8').send(page);
    }
    const pdf = await request.tx(async (trx) => documents.pdf(trx, tenant.id, document, { visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) }));
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${pdf.filename}"`).header('content-language', pdf.lang).send(pdf.content);
  };
  const statement = (id: string, q: { from?: string; to?: string; outstanding: boolean; asOf?: string; lang?: string }): DocumentRequest => (q.outstanding
    ? { kind: 'open-items', partner: id, asOf: q.asOf, lang: q.lang }
    : { kind: 'statement', partner: id, from: q.from, to: q.to, lang: q.lang });

  for (const as of ['pdf', 'html'] as const) {
    app.get(`/partners/:id/statement.${as}`, {
      schema: {
        tags, summary: as === 'pdf' ? 'The customer statement as a PDF: movements with running balance (the ledger\'s statement, line for line), or open items with ages' : 'The customer statement as an HTML page (a preview of the PDF)',
        params: PartnerParams, querystring: StatementQuery, response: { 200: as === 'pdf' ? Pdf : Html, ...problems },
      },
    }, async (request, reply) => send(request, reply, statement(request.params.id, request.query), as));

    app.get(`/partners/:id/reminder.${as}`, {
      schema: {
        tags, summary: as === 'pdf' ? 'The reminder letter of a follow-up level as a PDF, ready for a window envelope' : 'The reminder letter as an HTML page (a preview of the PDF)',
        description: '409 when the follow-up module is off, no level applies, or nothing would be reminded.',
        params: PartnerParams, querystring: ReminderQuery, response: { 200: as === 'pdf' ? Pdf : Html, ...problems },
      },
    }, async (request, reply) => send(request, reply, { kind: 'reminder', partner: request.params.id, ...request.query }, as));
  }

  app.get('/partners/:id/vietqr', {
    schema: {
      tags, summary: 'The VietQR payment of a partner: the payload the documents draw, its payment reference and amount',
      description: 'Without amount: the partner\'s overdue total, else its balance. 409 when the company has no receiving account (settings.bankAccount), does not keep its books in VND, or nothing is owed.',
      params: PartnerParams, querystring: VietQrQuery, response: { 200: VietQrOut, ...problems },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => {
      const { currency } = await getTenant(trx, tenant.id);
      const amount = request.query.amount === undefined ? undefined : parseAmount(request.query.amount, currency, { field: 'amount' });
      const code = await api.ownService().paymentCode(trx, tenant.id, request.params.id, amount, { visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) });
      return { payload: code.payload, reference: code.reference, amount: formatAmount(code.amount, currency) };
    });
  });

  app.get('/banks', {
    schema: { tags, summary: 'Vietnamese banks that take VietQR transfers, with the NAPAS BIN that settings.bankAccount.bin names', response: { 200: Type.Array(BankOut) } },
  }, async () => [...BANKS]);
};

export default routes;
