import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { readLink, sameLink } from '../../../core/links.js';
import { answerConfirmation, findConfirmation, type Confirmation } from '../confirmations.js';
import { answerPage, browserLanguage, notice, readAnswer, thanksPage, type AnswerForm } from '../confirm-page.js';
import { subjectOf, type Subject } from '../content.js';
import type { DocumentsApi } from '../context.js';
import { languageOf, type Lang } from '../i18n/index.js';

/**
 * `/documents/confirm/{token}`: the customer opens the link of a balance confirmation, without an
 * account, and confirms the balance or disputes it. Nothing of any books is shown unless the
 * whole token matches an open confirmation of an enabled tenant.
 */
const pages: FastifyPluginAsync = async (app) => {
  const api = app.module as DocumentsApi;

  type Found = { kind: 'open'; confirmation: Confirmation; subject: Subject } | { kind: 'used' | 'expired'; lang: Lang } | { kind: 'unknown' };

  const open = async (request: FastifyRequest<{ Params: { token: string } }>, then: (found: Found, tenantId: string, trx: Parameters<Parameters<FastifyRequest['linkTx']>[1]>[0]) => Promise<string | { status: number; html: string }>) => {
    const link = readLink(request.params.token);
    const unknown = { status: 404, html: notice(browserLanguage(request.headers['accept-language']), 'page.unknown') };
    if (!link) return unknown;
    const result = await request.linkTx(link.tenantId, async (trx) => {
      const c = await findConfirmation(trx, link.tenantId, link.recordId, null);
      if (!c || !sameLink(link, c.token)) return then({ kind: 'unknown' }, link.tenantId, trx);
      if (c.state !== 'open') return then({ kind: c.state === 'expired' ? 'expired' : 'used', lang: languageOf(c.lang, 'vi').lang }, link.tenantId, trx);
      const subject = await subjectOf(api, trx, link.tenantId, c.partner.id, { lang: c.lang });
      return then({ kind: 'open', confirmation: c, subject }, link.tenantId, trx);
    });
    return result ?? unknown;
  };

  const answer = (reply: FastifyReply, result: string | { status: number; html: string }) => {
    const { status, html } = typeof result === 'string' ? { status: 200, html: result } : result;
    return reply.status(status).type('text/html; charset=utf-8').send(html);
  };

  const closed = (request: FastifyRequest, found: Exclude<Found, { kind: 'open' }>) => (found.kind === 'unknown'
    ? { status: 404, html: notice(browserLanguage(request.headers['accept-language']), 'page.unknown') }
    : found.kind === 'used' ? { status: 409, html: notice(found.lang, 'page.used') }
      : { status: 410, html: notice(found.lang, 'page.expired') });

  app.get<{ Params: { token: string } }>('/confirm/:token', async (request, reply) => answer(reply, await open(request, async (found) => {
    if (found.kind !== 'open') return closed(request, found);
    return answerPage(found.subject.speech, found.subject.letterhead.name, found.subject.books.timezone, found.confirmation);
  })));

  app.post<{ Params: { token: string }; Body: unknown }>('/confirm/:token', async (request, reply) => answer(reply, await open(request, async (found, tenantId, trx) => {
    if (found.kind !== 'open') return closed(request, found);
    const { confirmation: c, subject } = found;
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 4000) : undefined);
    const form: AnswerForm = { choice: field('choice'), amount: field('amount'), note: field('note'), name: field('name') };
    const read = readAnswer(subject.speech, c.currency, form);
    if ('errors' in read) return { status: 400, html: answerPage(subject.speech, subject.letterhead.name, subject.books.timezone, c, form, read.errors) };
    const recorded = await answerConfirmation(api, trx, tenantId, c, read.answer, { ip: request.ip, agent: request.headers['user-agent'] ?? null });
    if (!recorded) return { status: 409, html: notice(subject.speech.lang, 'page.used') };
    return thanksPage(subject.speech, subject.letterhead.name, c, read.answer.choice, read.answer.choice === 'confirmed' ? c.balance : read.answer.amount);
  })));
};

export default pages;
