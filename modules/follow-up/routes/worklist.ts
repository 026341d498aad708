import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import type { FollowUpApi } from '../context.js';
import { CallBody, CallOut, PartnerParams, Problem, SendBody, SendOut, WorklistOut, WorklistQuery } from '../http-schemas.js';
import { logCall, sendNow, worklist } from '../worklist.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as FollowUpApi;
  const tags = ['follow-up: worklist'];

  app.get('/worklist', {
    schema: { tags, summary: 'Partners in need of action (manual levels, calls due), ranked by overdue × days × trust', querystring: WorklistQuery, response: { 200: WorklistOut } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => worklist(api, trx, tenant.id, request.query.date, await visibleSalespeople(trx, tenant.id, request.auth), request.query.limit));
  });

  app.post('/partners/:id/calls', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Log a call: outcome, notes, an optional promise and new date', params: PartnerParams, body: CallBody, response: { 201: CallOut, 400: Problem, 404: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const call = await request.tx((trx) => logCall(api, trx, tenant.id, request.actor, request.params.id, request.body as never));
    return reply.status(201).send(call);
  });

  app.post('/partners/:id/reminders', {
    config: { roles: WRITERS, idempotent: true },
    schema: {
      tags, summary: 'Send a level now, by hand (409 when a reminder went out less than minIntervalDays ago, unless force)',
      params: PartnerParams, body: SendBody, response: { 201: SendOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const sent = await request.tx((trx) => sendNow(api, trx, tenant.id, request.actor, request.params.id, request.body));
    return reply.status(201).send(sent);
  });
};

export default routes;
