import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import type { PaymentTermsApi } from '../context.js';
import { getPartnerDefault, setPartnerDefault } from '../service.js';
import { DefaultTermBody, DefaultTermOut, PartnerParams, Problem } from '../http-schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as PaymentTermsApi;
  const tags = ['payment-terms'];

  app.get('/partners/:partnerId/default-term', {
    schema: { tags, summary: "A partner's default payment term", params: PartnerParams, response: { 200: DefaultTermOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => getPartnerDefault(api, trx, tenant.id, request.actor, request.params.partnerId, await visibleSalespeople(trx, tenant.id, request.auth)));
  });

  app.put('/partners/:partnerId/default-term', {
    config: { roles: ['accountant', 'clerk'] },
    schema: {
      tags, summary: "Set a partner's default payment term (used when an invoice gives neither dueDate nor paymentTerm)",
      params: PartnerParams, body: DefaultTermBody, response: { 200: DefaultTermOut, 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => setPartnerDefault(api, trx, tenant.id, request.actor, request.params.partnerId, request.body.term));
  });
};

export default routes;
