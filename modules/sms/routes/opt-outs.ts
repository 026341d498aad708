import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { SmsApi } from '../context.js';
import { OptOutBody, OptOutOut, PhoneParams, Problem } from '../http-schemas.js';
import { listOptOuts, optIn, optOut } from '../service.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as SmsApi;
  const tags = ['sms'];

  app.get('/opt-outs', {
    schema: { tags, summary: 'Numbers that get no SMS or Zalo message: set by a clerk, or the customer replied STOP', response: { 200: Type.Object({ items: Type.Array(OptOutOut) }) } },
  }, async (request) => ({ items: await request.tx((trx) => listOptOuts(trx, tenantOf(request).id)) }));

  app.post('/opt-outs', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Opt a number out (given, or the partner\'s follow-up number)', body: OptOutBody, response: { 201: OptOutOut, 400: Problem, 404: Problem } },
  }, async (request, reply) => {
    const out = await request.tx((trx) => optOut(api, trx, tenantOf(request).id, request.actor, request.body));
    return reply.status(201).send(out);
  });

  app.delete('/opt-outs/:phone', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'The number may get messages again', params: PhoneParams, response: { 204: Type.Null(), 400: Problem, 404: Problem } },
  }, async (request, reply) => {
    await request.tx((trx) => optIn(api, trx, tenantOf(request).id, request.actor, request.params.phone));
    return reply.status(204).send(null);
  });
};

export default routes;
