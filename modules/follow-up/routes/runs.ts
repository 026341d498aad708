import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { visibleSalespeople } from '../../../core/scope.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { FollowUpApi } from '../context.js';
import { getRun, runFollowUp } from '../runs.js';
import { IdParams, Problem, RunBody, RunDetailOut, RunOut } from '../http-schemas.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as FollowUpApi;
  const tags = ['follow-up: runs'];

  app.post('/runs', {
    config: { roles: ['accountant', 'clerk'], idempotent: true },
    schema: {
      tags, summary: 'Run the follow-up for a date: decide every partner\'s level, record one action per (partner, level, channel), send after commit',
      body: RunBody, response: { 200: RunOut, 400: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const run = await request.tx((trx) => runFollowUp(api, trx, tenant.id, request.actor, { date: request.body.date, dryRun: request.body.dryRun, incremental: request.body.incremental, trigger: 'manual' }));
    return reply.status(200).send(run);
  });

  app.get('/runs/:id', {
    schema: { tags, summary: 'A run and its actions with their delivery results', params: IdParams, response: { 200: RunDetailOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => getRun(trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth)));
  });
};

export default routes;
