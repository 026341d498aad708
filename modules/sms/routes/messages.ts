import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { SmsApi } from '../context.js';
import { Cancel, IdParams, MessageList, MessageOut, MessageQuery, NewMessage, NewMessageOut, Problem } from '../http-schemas.js';
import { cancelMessage, getMessage, listMessages, resendMessage, sendOwnMessage } from '../service.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as SmsApi;
  const tags = ['sms'];

  app.get('/messages', {
    schema: { tags, summary: 'SMS and Zalo messages, newest first, with their state (queued, submitted, delivered, failed, expired, cancelled, unknown)', querystring: MessageQuery, response: { 200: MessageList, 400: Problem } },
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query;
    return request.tx((trx) => listMessages(trx, tenantOf(request).id, filter, limit, cursor));
  });

  app.get('/messages/:id', {
    schema: { tags, summary: 'One message', params: IdParams, response: { 200: MessageOut, 404: Problem } },
  }, async (request) => request.tx(async (trx) => {
    const { row: _, ...shown } = await getMessage(trx, tenantOf(request).id, request.params.id);
    return shown;
  }));

  app.post('/messages', {
    config: { roles: WRITERS, idempotent: true },
    schema: {
      tags, summary: 'A clerk\'s own SMS to a partner (its follow-up number), counted and priced first',
      description: '201 with the queued message and its estimate; with dryRun 200 and the estimate only. 400 naming text when it needs more parts than maxParts; 409 opted-out; 409 reminder-sent-recently within the follow-up\'s minIntervalDays unless force.',
      body: NewMessage, response: { 200: NewMessageOut, 201: NewMessageOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const out = await request.tx((trx) => sendOwnMessage(api, trx, tenantOf(request).id, request.actor, request.body));
    if (out.message) reply.status(201).header('location', `/api/sms/messages/${out.message.id}`);
    return out;
  });

  app.post('/messages/:id/resend', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Send again a message whose hand-over is unknown, after checking with the provider that it does not have it', params: IdParams, response: { 200: MessageOut, 404: Problem, 409: Problem } },
  }, async (request) => request.tx((trx) => resendMessage(api, trx, tenantOf(request).id, request.actor, request.params.id)));

  app.post('/messages/:id/cancel', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Stop a queued message, or leave an unknown one as it is (its reminder is cancelled with it)', params: IdParams, body: Cancel, response: { 200: MessageOut, 404: Problem, 409: Problem } },
  }, async (request) => request.tx((trx) => cancelMessage(api, trx, tenantOf(request).id, request.actor, request.params.id, request.body.reason)));
};

export default routes;
