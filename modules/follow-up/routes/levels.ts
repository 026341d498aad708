import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { FollowUpApi } from '../context.js';
import { createLevel, deleteLevel, getLevel, listLevels, updateLevel } from '../levels.js';
import { IdParams, LevelBody, LevelOut, LevelQuery, Problem } from '../http-schemas.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as FollowUpApi;
  const tags = ['follow-up: levels'];

  app.get('/levels', {
    schema: { tags, summary: 'Follow-up levels, by plan then delay', querystring: LevelQuery, response: { 200: Type.Array(LevelOut) } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => listLevels(trx, tenant.id, request.query.plan));
  });

  app.post('/levels', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Add a follow-up level to a plan', body: LevelBody, response: { 201: LevelOut, 400: Problem, 409: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const level = await request.tx((trx) => createLevel(api, trx, tenant.id, request.actor, request.body));
    return reply.status(201).send(level);
  });

  app.get('/levels/:id', {
    schema: { tags, summary: 'One follow-up level', params: IdParams, response: { 200: LevelOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => getLevel(trx, tenant.id, request.params.id));
  });

  app.put('/levels/:id', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Change a follow-up level (the whole level)', params: IdParams, body: LevelBody, response: { 200: LevelOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => updateLevel(api, trx, tenant.id, request.actor, request.params.id, request.body));
  });

  app.delete('/levels/:id', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Delete a follow-up level (kept for the reminders that named it)', params: IdParams, response: { 200: LevelOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => deleteLevel(api, trx, tenant.id, request.actor, request.params.id));
  });
};

export default routes;
