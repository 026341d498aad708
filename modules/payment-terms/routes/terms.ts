import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { PaymentTermsApi } from '../context.js';
import { archiveTerm, createTerm, getTerm, listTerms, previewTerm, updateTerm, termIdOf } from '../service.js';
import { ListQuery, NewTerm, PreviewBody, PreviewOut, Problem, TermOut, TermParams, VersionQuery } from '../http-schemas.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as PaymentTermsApi;
  const tags = ['payment-terms'];

  app.post('/terms', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Define a payment term', body: NewTerm, response: { 201: TermOut, 400: Problem, 409: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const term = await request.tx((trx) => createTerm(api, trx, tenant, request.actor, request.body));
    return reply.status(201).send(term);
  });

  app.get('/terms', {
    schema: { tags, summary: 'Payment terms (current versions)', querystring: ListQuery, response: { 200: Type.Array(TermOut) } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => listTerms(trx, tenant.id, request.query.archived ?? false));
  });

  app.get('/terms/:id', {
    schema: { tags, summary: 'A payment term (current version, or ?version=)', params: TermParams, querystring: VersionQuery, response: { 200: TermOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => getTerm(trx, tenant.id, await termIdOf(trx, tenant.id, request.params.id), request.query.version));
  });

  app.put('/terms/:id', {
    config: { roles: WRITERS },
    schema: {
      tags, summary: 'Edit a payment term: writes a new version; invoices already posted keep theirs',
      params: TermParams, body: NewTerm, response: { 200: TermOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => updateTerm(api, trx, tenant, request.actor, await termIdOf(trx, tenant.id, request.params.id), request.body));
  });

  app.delete('/terms/:id', {
    config: { roles: WRITERS },
    schema: { tags, summary: 'Archive a payment term (kept for the invoices that used it)', params: TermParams, response: { 200: TermOut, 404: Problem, 409: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => archiveTerm(api, trx, tenant.id, request.actor, await termIdOf(trx, tenant.id, request.params.id)));
  });

  app.post('/terms/:id/preview', {
    schema: {
      tags, summary: 'Instalments and early-payment discount the term gives for a date and an amount',
      params: TermParams, body: PreviewBody, response: { 200: PreviewOut, 400: Problem, 404: Problem },
    },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => previewTerm(trx, tenant, await termIdOf(trx, tenant.id, request.params.id), request.body));
  });
};

export default routes;
