import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { conflict } from '../../../core/errors.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import { partnerOr404, type FollowUpApi } from '../context.js';
import { partnerTimeline } from '../runs.js';
import { pickLanguage } from '../i18n/index.js';
import { previewReminder } from '../preview.js';
import { PartnerBody, PartnerParams, PartnerStatusOut, PreviewOut, PreviewQuery, Problem, StatusQuery, TimelineOut } from '../http-schemas.js';
import { partnerStatus, setPartnerFollowUp } from '../status.js';
import { localeOf } from '../templates.js';
import { todayIn } from '../../../core/dates.js';
import { Type } from 'typebox';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as FollowUpApi;
  const tags = ['follow-up: partners'];

  app.get('/partners/:id', {
    schema: {
      tags, summary: "A partner's follow-up status, level, next action date and the reasons, in words",
      description: 'The reasons are in the language asked for with Accept-Language (vi, en, zh, ar), else the company\'s (its locale), else English; Content-Language says which.',
      params: PartnerParams, querystring: StatusQuery, response: { 200: PartnerStatusOut, 404: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const lang = pickLanguage(request.headers['accept-language'], tenant.locale);
    const status = await request.tx(async (trx) => partnerStatus(api, trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth), request.query.date, lang));
    return reply.header('content-language', lang).send(status);
  });

  app.put('/partners/:id', {
    config: { roles: ['accountant', 'clerk'] },
    schema: { tags, summary: "Set a partner's follow-up plan and responsible", params: PartnerParams, body: PartnerBody, response: { 200: PartnerStatusOut, 400: Problem, 404: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const lang = pickLanguage(request.headers['accept-language'], tenant.locale);
    const status = await request.tx((trx) => setPartnerFollowUp(api, trx, tenant.id, request.actor, request.params.id, request.body, lang));
    return reply.header('content-language', lang).send(status);
  });

  app.get('/partners/:id/preview', {
    schema: {
      tags, summary: 'A reminder before it goes: the email a level would send the partner, rendered as the sender renders it',
      description: 'level: an id or name of a level of the partner\'s plan (default: the level due today, else the one the partner is at). 409 when no level applies or nothing would be reminded (the reminder would be cancelled). warnings say what would stop it from going out now (email not configured, no address).',
      params: PartnerParams, querystring: PreviewQuery, response: { 200: PreviewOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => previewReminder(api, trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth), request.query));
  });

  app.get('/partners/:id/statement', {
    schema: {
      tags, summary: "The partner's statement of open items as a PDF (the attachment of levels with attachStatement)",
      description: 'Made by the documents module (GET /api/documents/partners/{id}/statement.pdf?outstanding=true): 409 when the tenant has not enabled it.',
      params: PartnerParams, querystring: StatusQuery,
      response: { 200: { description: 'PDF', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } }, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const pdf = await request.tx(async (trx) => {
      const partner = await partnerOr404(api, trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth));
      const documents = await api.ownService().documents.providerFor(trx, tenant.id);
      if (!documents) throw conflict('Statements are made by the documents module, which this company has not enabled: ask the integrator to enable it.');
      const contact = await trx.selectFrom('ledger_partner_contact').select('lang').where('tenant_id', '=', tenant.id).where('partner_id', '=', partner.id).where('kind', '=', 'followup').where('lang', 'is not', null).executeTakeFirst();
      return documents.statement(trx, tenant.id, partner.id, request.query.date ?? todayIn(tenant.timezone), contact?.lang ?? partner.lang);
    });
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="${pdf.filename}"`).send(pdf.content as never);
  });

  app.get('/partners/:id/timeline', {
    schema: { tags, summary: 'Every reminder sent (or not, and why) to a partner and the activities, newest first', params: PartnerParams, response: { 200: TimelineOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => {
      const partner = await partnerOr404(api, trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth));
      return partnerTimeline(trx, tenant.id, partner.id);
    });
  });
};

export default routes;
