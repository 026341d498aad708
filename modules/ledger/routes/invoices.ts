import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { LedgerApi } from '../context.js';
import { withBooks } from '../http.js';
import { createInvoice, deleteDraft, getInvoice, postInvoice, reverseInvoice } from '../invoices.js';
import { writeOff } from '../payments.js';
import { postInvoicesInBulk } from '../invoices-bulk.js';
import { IdParams, InvoiceOut, NewInvoice, Problem, ReverseBody, WriteOffBody } from '../http-schemas.js';

const WRITE = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[], idempotent: true };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as LedgerApi;
  const tags = ['ledger: invoices'];

  app.post('/invoices', {
    config: WRITE,
    schema: { tags, summary: 'Create an invoice (draft, or posted with post: true)', body: NewInvoice, response: { 201: InvoiceOut, 400: Problem } },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => createInvoice(b, request.body))));

  app.post('/invoices/bulk', {
    config: WRITE,
    schema: {
      tags, summary: 'Post up to 500 invoices at once (all or none; due dates, no payment terms)',
      body: Type.Object({ invoices: Type.Array(NewInvoice, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ created: Type.Integer(), invoices: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), paymentReference: Type.String(), total: Type.String() })) }), 400: Problem },
    },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => postInvoicesInBulk(b, request.body.invoices))));

  app.get('/invoices/:id', {
    schema: { tags, summary: 'An invoice or credit note, current', params: IdParams, response: { 200: InvoiceOut, 404: Problem } },
  }, async (request) => withBooks(request, api, (b) => getInvoice(b, request.params.id)));

  app.post('/invoices/:id/post', {
    config: WRITE,
    schema: { tags, summary: 'Post a draft: number, payment reference, journal entry', params: IdParams, response: { 200: InvoiceOut, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, (b) => postInvoice(b, request.params.id)));

  app.post('/invoices/:id/reverse', {
    config: WRITE,
    schema: { tags, summary: 'Reverse by a credit note (whole or given lines)', params: IdParams, body: Type.Optional(ReverseBody), response: { 200: Type.Object({ invoice: InvoiceOut, creditNote: InvoiceOut }), 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, (b) => reverseInvoice(b, request.params.id, request.body ?? {})));

  app.post('/invoices/:id/write-off', {
    config: WRITE,
    schema: { tags, summary: 'Write off a small residual to the write-off account', params: IdParams, body: Type.Optional(WriteOffBody), response: { 200: InvoiceOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => {
    await writeOff(b, request.params.id, request.body ?? {});
    return getInvoice(b, request.params.id);
  }));

  app.delete('/invoices/:id', {
    config: { roles: WRITE.roles },
    schema: { tags, summary: 'Delete a draft', params: IdParams, response: { 200: Type.Object({ deleted: Type.Boolean() }), 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => {
    await deleteDraft(b, request.params.id);
    return { deleted: true };
  }));
};

export default routes;
