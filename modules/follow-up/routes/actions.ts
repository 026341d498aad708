import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { visibleSalespeople } from '../../../core/scope.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { actionTotals, listActions } from '../actions.js';
import { ActionListOut, ActionListQuery, Problem } from '../http-schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/actions', {
    schema: {
      tags: ['follow-up: runs'], summary: 'Reminders decided by the runs — sent, pending, refused, cancelled, missing contact data — filtered and paged',
      querystring: ActionListQuery, response: { 200: ActionListOut, 400: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    const { limit, cursor, ...filter } = request.query;
    return request.tx(async (trx) => {
      const visible = await visibleSalespeople(trx, tenant.id, request.auth);
      return { ...(await listActions(trx, tenant.id, filter, visible, limit, cursor)), total: await actionTotals(trx, tenant.id, filter, visible) };
    });
  });
};

export default routes;
