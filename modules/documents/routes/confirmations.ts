import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { publicUrl } from '../../../core/links.js';
import { formatAmount } from '../../../core/money.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { visibleSalespeople } from '../../../core/scope.js';
import { listFormat, reportLang, sendTable, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { confirmPath, createConfirmation, exportConfirmations, getConfirmation, listConfirmations, mailOf, sendConfirmation, type Confirmation } from '../confirmations.js';
import type { QueuedMail } from '../../follow-up/public.js';
import type { DocumentsApi } from '../context.js';
import { ConfirmationListOut, ConfirmationListQuery, ConfirmationOut, DocumentLangQuery, Html, IdParams, NewConfirmation, Pdf, Problem, SendConfirmation } from '../http-schemas.js';

function show(c: Confirmation, mail?: QueuedMail | null) {
  const money = (minor: bigint) => formatAmount(minor, c.currency);
  return {
    ...(mail !== undefined ? { mail: mail && { id: mail.id, to: mail.to, state: mail.state, message: typeof mail.result?.message === 'string' ? mail.result.message : null } } : {}),
    sent: c.sent && { to: c.sent.to, at: c.sent.at.toISOString() },
    id: c.id, url: c.url, partner: c.partner, asOf: c.asOf, currency: c.currency, balance: money(c.balance),
    items: c.items.map((i) => ({ ...i, amount: money(BigInt(i.amount)), residual: money(BigInt(i.residual)) })),
    lang: c.lang, state: c.state, expiresAt: c.expiresAt.toISOString(), createdAt: c.createdAt.toISOString(),
    answer: c.answer && { at: c.answer.at.toISOString(), by: c.answer.by, ip: c.answer.ip, amount: money(c.answer.amount), difference: money(c.answer.difference), note: c.answer.note },
  };
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as DocumentsApi;
  const tags = ['documents: balance confirmations'];

  app.post('/confirmations', {
    config: { idempotent: true },
    schema: {
      tags, summary: 'Ask a customer to confirm its balance on a day (biên bản đối chiếu công nợ): the balance and open items are frozen, a link is made for the customer\'s answer',
      body: NewConfirmation, response: { 201: ConfirmationOut, 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const created = await request.tx(async (trx) => createConfirmation(api, trx, tenant.id, request.actor, request.body,
      await visibleSalespeople(trx, tenant.id, request.auth), (token) => publicUrl(request, confirmPath(token))));
    return reply.status(201).header('location', `/api/documents/confirmations/${created.id}`).send(show(created));
  });

  app.get('/confirmations', {
    schema: {
      tags, summary: 'Balance confirmations, newest first: open, confirmed, disputed (with the customer\'s balance and note) or expired',
      querystring: ConfirmationListQuery, response: { 200: tableResponse(ConfirmationListOut, 'A page of the list'), 400: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as !== 'json') {
      const file = { format: as, name: `balance-confirmations-${todayIn(tenant.timezone)}`, sheet: 'Confirmations', lang: reportLang(request, lang) };
      return sendTable(request, reply, file, (start) => request.tx(async (trx) => exportConfirmations(trx, tenant.id, filter, await visibleSalespeople(trx, tenant.id, request.auth), file.lang, start)));
    }
    return request.tx(async (trx) => {
      const page = await listConfirmations(trx, tenant.id, filter, await visibleSalespeople(trx, tenant.id, request.auth), limit, cursor);
      return { ...page, items: page.items.map((c) => show(c)) };
    });
  });

  app.get('/confirmations/:id', {
    schema: { tags, summary: 'A balance confirmation and its answer', params: IdParams, response: { 200: ConfirmationOut, 404: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx(async (trx) => {
      const c = await getConfirmation(trx, tenant.id, request.params.id, await visibleSalespeople(trx, tenant.id, request.auth));
      return show(c, await mailOf(api, trx, tenant.id, c));
    });
  });

  app.post('/confirmations/:id/send', {
    config: { idempotent: true },
    schema: {
      tags, summary: 'Email the confirmation to the customer: the PDF attached and the link in the text, in its language, through the company\'s mail server',
      description: '202: queued; `mail.state` says what became of it (GET the confirmation again). 409 when it is answered or expired, the follow-up (which holds the mail server) is off or has no mail server, or the partner has no email address and no `to` is given.',
      params: IdParams, body: SendConfirmation, response: { 202: ConfirmationOut, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    const sent = await request.tx(async (trx) => sendConfirmation(api, api.ownService(), trx, tenant.id, request.actor, request.params.id, request.body.to, await visibleSalespeople(trx, tenant.id, request.auth)));
    return reply.status(202).send(show(sent.confirmation, sent.mail));
  });

  for (const as of ['pdf', 'html'] as const) {
    app.get(`/confirmations/:id.${as}`, {
      schema: {
        tags, summary: as === 'pdf' ? 'The confirmation to print, sign and send: both companies, the open items, the balance, the link, two signatures' : 'The confirmation as an HTML page',
        params: IdParams, querystring: DocumentLangQuery, response: { 200: as === 'pdf' ? Pdf : Html, 400: Problem, 404: Problem },
      },
    }, async (request, reply) => {
      const tenant = tenantOf(request);
      const documents = api.ownService();
      const document = { kind: 'confirmation' as const, confirmation: request.params.id, lang: request.query.lang };
      const out = reply as FastifyReply;
      if (as === 'html') {
        const page = await request.tx(async (trx) => documents.html(trx, tenant.id, document, { visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) }));
        return out.type('text/html; charset=utf-8').send(page);
      }
      const pdf = await request.tx(async (trx) => documents.pdf(trx, tenant.id, document, { visibleSalespeople: await visibleSalespeople(trx, tenant.id, request.auth) }));
      return out.type('application/pdf').header('content-disposition', `inline; filename="${pdf.filename}"`).header('content-language', pdf.lang).send(pdf.content);
    });
  }
};

export default routes;
