import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { visibleSalespeople } from '../../../core/scope.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { FollowUpApi } from '../context.js';
import { clearExclusion, clearPromise, getItem, setExclusion, setPromise } from '../items.js';
import { ExclusionBody, ItemOut, ItemParams, Problem, PromiseBody } from '../http-schemas.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as FollowUpApi;
  const tags = ['follow-up: open items'];

  app.get('/items/:id', {
    schema: { tags, summary: "An open item's exclusion and promise to pay", params: ItemParams, response: { 200: ItemOut, 400: Problem, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => getItem(trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth)));
  });

  app.put('/items/:id/exclusion', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Exclude an open item from follow-up (dispute, litigation, agreed delay)', params: ItemParams, body: ExclusionBody, response: { 200: ItemOut, 400: Problem, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => setExclusion(api, trx, tenant.id, request.actor, request.params.id, request.body));
  });

  app.delete('/items/:id/exclusion', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Follow an excluded item up again', params: ItemParams, response: { 200: ItemOut, 400: Problem, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => clearExclusion(api, trx, tenant.id, request.actor, request.params.id));
  });

  app.put('/items/:id/promise', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Record a promise to pay: reminders about the item wait until its date passes unpaid', params: ItemParams, body: PromiseBody, response: { 200: ItemOut, 400: Problem, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => setPromise(api, trx, tenant.id, request.actor, request.params.id, request.body as never));
  });

  app.delete('/items/:id/promise', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Withdraw a promise to pay', params: ItemParams, response: { 200: ItemOut, 400: Problem, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => clearPromise(api, trx, tenant.id, request.actor, request.params.id));
  });
};

export default routes;
