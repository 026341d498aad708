import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { LedgerApi } from '../context.js';
import { sendBooksTable, withBooks } from '../http.js';
import { exportPayments, listPayments, paymentTotals } from '../lists.js';
import { listFormat, reportLang, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { registerPaymentsInBulk } from '../payments-bulk.js';
import { allocateCredit, getPayment, registerPayment, reversePayment, unallocatePayment } from '../payments.js';
import { AllocationBody, IdParams, NewPayment, PaymentListOut, PaymentListQuery, PaymentOut, Problem, ReversePaymentBody, UnallocateBody } from '../http-schemas.js';

const WRITE = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[], idempotent: true };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as LedgerApi;
  const tags = ['ledger: payments'];

  app.post('/payments', {
    config: WRITE,
    schema: { tags, summary: 'Register a payment; allocate it as given or oldest due first', body: NewPayment, response: { 201: PaymentOut, 400: Problem } },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => registerPayment(b, request.body))));

  app.post('/payments/bulk', {
    config: WRITE,
    schema: {
      tags, summary: 'Register up to 1,000 payments at once, each allocated as given or oldest due first (all or none)',
      body: Type.Object({ payments: Type.Array(NewPayment, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
      response: {
        201: Type.Object({ created: Type.Integer(), payments: Type.Array(Type.Object({ id: Type.String(), partner: Type.String(), amount: Type.String(), allocated: Type.String(), unallocated: Type.String() })) }),
        400: Problem,
      },
    },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => registerPaymentsInBulk(b, request.body.payments))));

  app.get('/payments', {
    schema: {
      tags, summary: 'Payments received: filters, sorting, cursor paging, the count and sums of the filtered list; CSV or XLSX of every row',
      querystring: PaymentListQuery, response: { 200: tableResponse(PaymentListOut, 'A page of the list'), 400: Problem },
    },
  }, async (request, reply) => {
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as === 'json') {
      return withBooks(request, api, async (b) => ({ ...(await listPayments(b, filter, limit, cursor)), total: await paymentTotals(b, filter) }));
    }
    const name = `payments-${todayIn(tenantOf(request).timezone)}`;
    return sendBooksTable(request, reply, api, { format: as, name, sheet: 'Payments', lang: reportLang(request, lang) }, (b, start) => exportPayments(b, filter, reportLang(request, lang), start));
  });

  app.get('/payments/:id', {
    schema: { tags, summary: 'A payment and where it is allocated', params: IdParams, response: { 200: PaymentOut, 404: Problem } },
  }, async (request) => withBooks(request, api, (b) => getPayment(b, request.params.id)));

  app.post('/payments/:id/unallocate', {
    config: WRITE,
    schema: { tags, summary: "Undo a payment's allocations (all, or one invoice's)", params: IdParams, body: Type.Optional(UnallocateBody), response: { 200: PaymentOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, (b) => unallocatePayment(b, request.params.id, request.body ?? {})));

  app.post('/payments/:id/reverse', {
    config: WRITE,
    schema: { tags, summary: 'Cancel a payment by a reversal entry; what it paid is open again', params: IdParams, body: Type.Optional(ReversePaymentBody), response: { 200: PaymentOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, (b) => reversePayment(b, request.params.id, request.body ?? {})));

  app.post('/allocations', {
    config: WRITE,
    schema: { tags, summary: 'Apply unallocated credit (payment or credit note) to an invoice', body: AllocationBody, response: { 201: Type.Object({ allocated: Type.String(), invoice: Type.String() }), 400: Problem, 409: Problem } },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => allocateCredit(b, request.body))));
};

export default routes;
