import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { visibleSalespeople } from '../../../core/scope.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { actionTotals, exportActions, listActions } from '../actions.js';
import { listFormat, reportLang, sendTable, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { ActionListOut, ActionListQuery, Problem } from '../http-schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/actions', {
    schema: {
      tags: ['follow-up: runs'], summary: 'Reminders decided by the runs — sent, pending, refused, cancelled, missing contact data — filtered and paged',
      querystring: ActionListQuery, response: { 200: tableResponse(ActionListOut, 'A page of the list'), 400: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as !== 'json') {
      const file = { format: as, name: `reminders-${todayIn(tenant.timezone)}`, sheet: 'Reminders', lang: reportLang(request, lang) };
      return sendTable(request, reply, file, (start) => request.tx(async (trx) => exportActions(trx, tenant.id, filter, await visibleSalespeople(trx, tenant.id, request.auth), file.lang, start)));
    }
    return request.tx(async (trx) => {
      const visible = await visibleSalespeople(trx, tenant.id, request.auth);
      return { ...(await listActions(trx, tenant.id, filter, visible, limit, cursor)), total: await actionTotals(trx, tenant.id, filter, visible) };
    });
  });
};

export default routes;
