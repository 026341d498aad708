import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import type { SmsApi } from '../context.js';
import { PartnerParams, PreviewOut, PreviewQuery, Problem } from '../http-schemas.js';
import { previewReminder } from '../service.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as SmsApi;

  app.get('/partners/:id/preview', {
    schema: {
      tags: ['sms'], summary: 'What a level\'s reminder would say by SMS or Zalo to the partner: the text, its encoding, parts and cost, and why it would not go',
      params: PartnerParams, querystring: PreviewQuery, response: { 200: PreviewOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => previewReminder(api, trx, tenant.id, request.actor, request.params.id, request.query, await visibleSalespeople(trx, tenant.id, request.auth)));
  });
};

export default routes;
