import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { LedgerApi } from '../context.js';
import { notFound } from '../../../core/errors.js';
import { sendBooksTable, withBooks } from '../http.js';
import { exportInvoices, invoiceTotals, listInvoices } from '../lists.js';
import { listFormat, reportLang, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { createInvoice, deleteDraft, getInvoice, invoiceIdOf, postInvoice, reverseInvoice } from '../invoices.js';
import { writeOff } from '../payments.js';
import { postInvoicesInBulk } from '../invoices-bulk.js';
import { InvoiceListOut, InvoiceParams, InvoiceListQuery, InvoiceOut, NewInvoice, Problem, ReverseBody, WriteOffBody } from '../http-schemas.js';

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
      tags, summary: 'Post up to 500 invoices at once (all or none; a due date, a payment term, or the partner default term)',
      body: Type.Object({ invoices: Type.Array(NewInvoice, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ created: Type.Integer(), invoices: Type.Array(Type.Object({ id: Type.String(), number: Type.String(), paymentReference: Type.String(), total: Type.String() })) }), 400: Problem },
    },
  }, async (request, reply) => reply.status(201).send(await withBooks(request, api, (b) => postInvoicesInBulk(b, request.body.invoices))));

  app.get('/invoices', {
    schema: {
      tags, summary: 'Invoices and credit notes: filters, sorting, cursor paging, the count and sums of the filtered list; CSV or XLSX of every row',
      querystring: InvoiceListQuery, response: { 200: tableResponse(InvoiceListOut, 'A page of the list'), 400: Problem },
    },
  }, async (request, reply) => {
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as === 'json') {
      return withBooks(request, api, async (b) => ({ ...(await listInvoices(b, filter, limit, cursor)), total: await invoiceTotals(b, filter) }));
    }
    const name = `invoices-${todayIn(tenantOf(request).timezone)}`;
    return sendBooksTable(request, reply, api, { format: as, name, sheet: 'Invoices', lang: reportLang(request, lang) }, (b, start) => exportInvoices(b, filter, reportLang(request, lang), start));
  });

  app.get('/invoices/:id', {
    schema: { tags, summary: 'An invoice or credit note, current', params: InvoiceParams, response: { 200: InvoiceOut, 404: Problem } },
  }, async (request) => withBooks(request, api, async (b) => getInvoice(b, await invoiceIdOf(b, request.params.id))));

  app.get('/invoices/:id/einvoice', {
    schema: {
      tags, summary: 'The e-invoice XML an imported invoice came from, as it was signed',
      params: InvoiceParams, response: { 200: { description: 'The XML', content: { 'application/xml': { schema: Type.String() } } }, 404: Problem },
    },
  }, async (request, reply) => {
    const doc = await withBooks(request, api, async (b) => {
      const invoice = await getInvoice(b, await invoiceIdOf(b, request.params.id));
      return b.trx.selectFrom('ledger_einvoice_document').select(['xml', 'file_name']).where('tenant_id', '=', b.tenantId).where('invoice_id', '=', invoice.id).executeTakeFirst();
    });
    if (!doc) throw notFound(`Invoice ${request.params.id} was not imported from an e-invoice.`);
    return reply.type('application/xml; charset=utf-8').header('content-disposition', `inline; filename="${doc.file_name.replace(/[^\w.-]/g, '_')}"`).send(doc.xml);
  });

  app.post('/invoices/:id/post', {
    config: WRITE,
    schema: { tags, summary: 'Post a draft: number, payment reference, journal entry', params: InvoiceParams, response: { 200: InvoiceOut, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => postInvoice(b, await invoiceIdOf(b, request.params.id))));

  app.post('/invoices/:id/reverse', {
    config: WRITE,
    schema: { tags, summary: 'Reverse by a credit note (whole or given lines)', params: InvoiceParams, body: Type.Optional(ReverseBody), response: { 200: Type.Object({ invoice: InvoiceOut, creditNote: InvoiceOut }), 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => reverseInvoice(b, await invoiceIdOf(b, request.params.id), request.body ?? {})));

  app.post('/invoices/:id/write-off', {
    config: WRITE,
    schema: { tags, summary: 'Write off a small residual to the write-off account', params: InvoiceParams, body: Type.Optional(WriteOffBody), response: { 200: InvoiceOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => {
    const id = await invoiceIdOf(b, request.params.id);
    await writeOff(b, id, request.body ?? {});
    return getInvoice(b, id);
  }));

  app.delete('/invoices/:id', {
    config: { roles: WRITE.roles },
    schema: { tags, summary: 'Delete a draft', params: InvoiceParams, response: { 200: Type.Object({ deleted: Type.Boolean() }), 404: Problem, 409: Problem } },
  }, async (request) => withBooks(request, api, async (b) => {
    await deleteDraft(b, await invoiceIdOf(b, request.params.id));
    return { deleted: true };
  }));
};

export default routes;
