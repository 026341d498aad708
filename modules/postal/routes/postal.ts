import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { PassThrough } from 'node:stream';
import { badRequest, conflict, notFound } from '../../../core/errors.js';
import { isIsoDate, todayIn } from '../../../core/dates.js';
import { UUID } from '../../../core/ids.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { PostalApi } from '../context.js';
import { cutBatch, getBatch, listBatches, writeBatchFile } from '../batches.js';
import { accountBalance } from '../docsaway.js';
import { cancelLetter, costs, letterDelivered, resendLetter, getLetter, letterPdf, letterReturned, listLetters, markBatch } from '../service.js';
import type { Batch } from '../batches.js';
import { AccountOut, BatchList, BatchOut, BatchQuery, Cancel, CostOut, CostQuery, Delivered, IdParams, LetterList, LetterOut, LetterQuery, NewBatch, Pdf, BatchFile, Problem, Returned } from '../http-schemas.js';

const WRITERS: ('accountant' | 'clerk')[] = ['accountant', 'clerk'];
const showBatch = (b: Batch) => ({ ...b, bytes: b.bytes === null ? null : String(b.bytes) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as PostalApi;
  const tags = ['postal'];

  app.get('/letters', {
    schema: { tags, summary: 'Reminder letters, newest first, with their state (queued, submitted or batched, printed, posted, delivered, returned, cancelled)', querystring: LetterQuery, response: { 200: LetterList, 400: Problem } },
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query;
    const page = await request.tx((trx) => listLetters(trx, tenantOf(request).id, filter, limit, cursor));
    return page;
  });

  app.get('/letters/:id', {
    schema: { tags, summary: 'One letter', params: IdParams, response: { 200: LetterOut, 404: Problem } },
  }, async (request) => request.tx((trx) => getLetter(trx, tenantOf(request).id, request.params.id)));

  app.get('/letters/:id/pdf', {
    schema: { tags, summary: 'The letter as it was printed (or will be)', params: IdParams, response: { 200: Pdf, 404: Problem } },
  }, async (request, reply) => {
    const pdf = await request.tx((trx) => letterPdf(trx, tenantOf(request).id, request.params.id));
    return (reply as FastifyReply).type('application/pdf').header('content-disposition', `inline; filename="letter-${request.params.id}.pdf"`).send(pdf);
  });

  app.post('/letters/:id/cancel', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Cancel a letter not yet handed to the provider (its reminder is cancelled too)', params: IdParams, body: Cancel, response: { 200: LetterOut, 404: Problem, 409: Problem } },
  }, async (request) => request.tx((trx) => cancelLetter(api, trx, tenantOf(request).id, request.actor, request.params.id, request.body.reason)));

  app.post('/letters/:id/resend', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Send an uncertain letter again, after checking in Docsaway\'s account that it does not have it', params: IdParams, response: { 200: LetterOut, 404: Problem, 409: Problem } },
  }, async (request) => request.tx((trx) => resendLetter(api, trx, tenantOf(request).id, request.actor, request.params.id)));

  app.post('/letters/:id/delivered', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'The post says the letter arrived (a registered letter\'s receipt, the mail house\'s report)', params: IdParams, body: Delivered, response: { 200: LetterOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => request.tx((trx) => letterDelivered(trx, tenantOf(request).id, api, request.actor, request.params.id, request.body.date)));

  app.post('/letters/:id/returned', {
    config: { roles: WRITERS, idempotent: true },
    schema: {
      tags, summary: 'The letter came back: its address is marked unusable, the next letters to the partner wait for a corrected address',
      params: IdParams, body: Returned, response: { 200: LetterOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => request.tx((trx) => letterReturned(api, trx, tenantOf(request).id, request.actor, request.params.id, request.body)));

  app.get('/batches', {
    schema: { tags, summary: 'The daily batches (providers sftp-batch and print), newest first', querystring: BatchQuery, response: { 200: BatchList, 400: Problem } },
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query;
    for (const [field, value] of [['from', filter.from], ['to', filter.to]] as const) {
      if (value !== undefined && !isIsoDate(value)) throw badRequest(`${field} '${value}' is not a date (YYYY-MM-DD)`, field);
    }
    if (cursor !== undefined && !UUID.test(cursor)) throw badRequest('cursor is not one this list gave', 'cursor');
    const page = await request.tx((trx) => listBatches(trx, tenantOf(request).id, filter, limit, cursor));
    return { items: page.items.map(showBatch), next: page.next };
  });

  app.post('/batches', {
    config: { roles: WRITERS, idempotent: true },
    schema: {
      tags, summary: 'Make the day\'s batch now instead of at the cut-off (the existing one when it is made)',
      description: '201 with the new batch, 200 with the existing one; 409 when the provider is docsaway or nothing is queued.',
      body: NewBatch, response: { 200: BatchOut, 201: BatchOut, 400: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const date = request.body.date ?? todayIn(tenant.timezone);
    if (!isIsoDate(date)) throw badRequest(`date '${date}' is not a date (YYYY-MM-DD)`, 'date');
    const made = await request.tx((trx) => cutBatch(api, trx, tenant.id, date, request.actor));
    if (!made) throw conflict(`no letter is queued for a batch on ${date}`, 'nothing-queued');
    return reply.status(made.created ? 201 : 200).send(showBatch(made.batch));
  });

  app.get('/batches/:id', {
    schema: { tags, summary: 'One batch', params: IdParams, response: { 200: BatchOut, 404: Problem } },
  }, async (request) => {
    if (!UUID.test(request.params.id)) throw notFound(`No batch ${request.params.id}.`);
    return showBatch(await request.tx((trx) => getBatch(trx, tenantOf(request).id, request.params.id)));
  });

  app.get('/batches/:id/file', {
    schema: { tags, summary: 'The batch\'s file: the ZIP the mail house gets (sftp-batch), or the merged PDF to print (print); the same bytes every time', params: IdParams, response: { 200: BatchFile, 404: Problem } },
  }, async (request, reply) => {
    if (!UUID.test(request.params.id)) throw notFound(`No batch ${request.params.id}.`);
    const tenantId = tenantOf(request).id;
    const batch = await request.tx((trx) => getBatch(trx, tenantId, request.params.id));
    const out = new PassThrough();
    request.tx((trx) => writeBatchFile(trx, tenantId, batch, out)).catch((err: unknown) => {
      request.log.warn({ err }, 'batch file stopped while streaming');
      out.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return (reply as FastifyReply).type(batch.provider === 'print' ? 'application/pdf' : 'application/zip')
      .header('content-disposition', `attachment; filename="${batch.fileName}"`).send(out);
  });

  for (const step of ['printed', 'posted'] as const) {
    app.post(`/batches/:id/${step}`, {
      config: { roles: WRITERS, idempotent: true },
      schema: { tags, summary: step === 'printed' ? 'The batch is printed' : 'The batch is in the post (letter.posted per letter)', params: IdParams, response: { 200: BatchOut, 404: Problem } },
    }, async (request) => showBatch(await request.tx((trx) => markBatch(api, trx, tenantOf(request).id, request.actor, request.params.id, step))));
  }

  app.post('/batches/:id/upload', {
    config: { roles: WRITERS, idempotent: true },
    schema: { tags, summary: 'Upload the batch to the mail house again (after fixing the SFTP settings); the same bytes as before', params: IdParams, response: { 202: BatchOut, 404: Problem, 409: Problem } },
  }, async (request, reply) => {
    if (!UUID.test(request.params.id)) throw notFound(`No batch ${request.params.id}.`);
    const tenantId = tenantOf(request).id;
    const batch = await request.tx(async (trx) => {
      const b = await getBatch(trx, tenantId, request.params.id);
      if (b.provider !== 'sftp-batch') throw badRequest('only an sftp-batch batch is uploaded', 'id');
      await trx.updateTable('postal_batch').set({ upload_state: null }).where('tenant_id', '=', tenantId).where('id', '=', b.id).execute();
      await api.emit(trx, tenantId, 'postal.batch_created', { batchId: b.id }, { actor: request.actor });
      return getBatch(trx, tenantId, b.id);
    });
    return reply.status(202).send(showBatch(batch));
  });

  app.get('/costs', {
    schema: { tags, summary: 'What the post cost per month: letters, pages, sheets, and the providers\' prices', querystring: CostQuery, response: { 200: CostOut, 400: Problem } },
  }, async (request) => ({ items: await request.tx((trx) => costs(trx, tenantOf(request).id, request.query.from, request.query.to)) }));

  app.get('/account', {
    schema: { tags, summary: 'The Docsaway account\'s balance (provider docsaway)', response: { 200: AccountOut, 409: Problem, 502: Problem } },
  }, async (request) => request.tx((trx) => accountBalance(api, trx, tenantOf(request).id)));
};

export default routes;
