import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { LedgerApi } from '../context.js';
import { sendBooksTable, withBooks } from '../http.js';
import { createPartner, getPartner, updatePartner } from '../partners.js';
import { exportPartners, listPartnersPage, partnerTotals } from '../lists.js';
import { listFormat, reportLang, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { NewPartner, PartnerList, PartnerOut, PartnerParams, PartnerPatch, PartnerQuery, Problem } from '../http-schemas.js';

const WRITERS = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[] };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as LedgerApi;
  const tags = ['ledger: partners'];

  app.post('/partners', {
    config: WRITERS,
    schema: { tags, summary: 'Create a partner (customer)', body: NewPartner, response: { 201: PartnerOut, 400: Problem, 409: Problem } },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => createPartner(b, request.body))));

  app.get('/partners', {
    schema: { tags, summary: 'Partners with balance and overdue: filters, sorting, cursor paging, the count and sums of the filtered list', querystring: PartnerQuery, response: { 200: tableResponse(PartnerList, 'A page of the list'), 400: Problem } },
  }, async (request, reply) => {
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as !== 'json') {
      const file = { format: as, name: `partners-${todayIn(tenantOf(request).timezone)}`, sheet: 'Partners', lang: reportLang(request, lang) };
      return sendBooksTable(request, reply, api, file, (b, start) => exportPartners(b, filter, file.lang, start));
    }
    return withBooks(request, api, async (b) => ({ ...(await listPartnersPage(b, filter, limit, cursor)), total: await partnerTotals(b, filter) }));
  });

  app.get('/partners/:id', {
    schema: { tags, summary: 'One partner with balance and overdue (by id or ref)', params: PartnerParams, response: { 200: PartnerOut, 404: Problem } },
  }, async (request) => withBooks(request, api, (b) => getPartner(b, request.params.id)));

  app.patch('/partners/:id', {
    config: WRITERS,
    schema: { tags, summary: 'Change a partner', params: PartnerParams, body: PartnerPatch, response: { 200: PartnerOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => {
    const partner = await getPartner(b, request.params.id);
    return updatePartner(b, partner.id, request.body);
  }));
};

export default routes;
