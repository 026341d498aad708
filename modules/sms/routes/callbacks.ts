/**
 * The providers' reports and the customers' replies. `GET /callbacks` (the company's) names the
 * addresses to give each provider; `/callbacks/{provider}/{secret}` is what they call, without an
 * account: the secret is the tenant's link token (core/links.ts), compared whole before anything
 * is read. A report already applied changes nothing (providers send again what they doubt).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { notFound, badRequest, ProblemError } from '../../../core/errors.js';
import { readLink, sameLink, publicUrl } from '../../../core/links.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { SmsApi } from '../context.js';
import { CallbackOut, CallbackParams, CallbacksOut, Problem } from '../http-schemas.js';
import { applyReport, optOutByReply } from '../messages.js';
import { esmsReport } from '../providers/esms.js';
import { httpReport } from '../providers/http.js';
import { speedsmsCallback } from '../providers/speedsms.js';
import type { Report } from '../providers/types.js';
import { zaloEvent } from '../providers/zalo.js';
import { callbackPath, callbackToken, rotateCallbackToken } from '../service.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as SmsApi;
  const tags = ['sms'];

  // The raw body: Zalo signs the bytes it sent; a gateway's form or JSON is read here, at most 64 KB.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  app.get('/callbacks', {
    config: { roles: ['accountant'] },
    schema: { tags, summary: 'The addresses the providers send their delivery reports (and replies) to', response: { 200: CallbacksOut } },
  }, async (request) => {
    const token = await request.tx((trx) => callbackToken(trx, tenantOf(request).id));
    const url = (p: string) => publicUrl(request, callbackPath(p, token));
    return { esms: url('esms'), speedsms: url('speedsms'), http: url('http'), zalo: url('zalo'), smpp: 'SMPP receipts arrive on the bound session: nothing to set' };
  });

  app.post('/callbacks/rotate', {
    config: { roles: ['accountant'] },
    schema: { tags, summary: 'New callback addresses: the old ones answer 404 from now on (give the new ones to the providers)', response: { 200: CallbacksOut } },
  }, async (request) => {
    const token = await request.tx((trx) => rotateCallbackToken(api, trx, tenantOf(request).id, request.actor));
    const url = (p: string) => publicUrl(request, callbackPath(p, token));
    return { esms: url('esms'), speedsms: url('speedsms'), http: url('http'), zalo: url('zalo'), smpp: 'SMPP receipts arrive on the bound session: nothing to set' };
  });

  const receive = async (request: FastifyRequest<{ Params: { provider: string; secret: string } }>) => {
    const link = readLink(request.params.secret);
    const provider = request.params.provider;
    if (!link || !(['esms', 'speedsms', 'http', 'zalo'] as const).includes(provider as never)) throw notFound('No such callback.');
    const raw = typeof request.body === 'string' ? request.body : '';
    const type = String(request.headers['content-type'] ?? '');
    const fields = (): Record<string, unknown> => {
      if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
      if (raw.trim() === '') return {};
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch { /* below */ }
      throw badRequest('the body is not a JSON object or a form', 'body');
    };
    const outcome = await request.linkTx(link.tenantId, async (trx) => {
      const stored = await trx.selectFrom('sms_callback').select('token').where('tenant_id', '=', link.tenantId).executeTakeFirst();
      if (!stored || !sameLink(link, stored.token)) return null;
      const reports: Report[] = [];
      const incoming: Array<{ from: string; text: string }> = [];
      if (provider === 'esms') {
        const r = esmsReport({ ...(request.query as Record<string, unknown>), ...fields() });
        if (r) reports.push(r);
      } else if (provider === 'speedsms') {
        const body = fields();
        const r = speedsmsCallback(body);
        if (r.report) reports.push(r.report);
        if (r.incoming) incoming.push(r.incoming);
      } else if (provider === 'http') {
        const body = fields();
        const r = httpReport(body);
        if (r) reports.push(r);
        if (typeof body.from === 'string' && typeof body.text === 'string') incoming.push({ from: body.from, text: body.text });
      } else {
        const settings = await api.settings(trx, link.tenantId);
        const sig = request.headers['x-zevent-signature'];
        const checked = zaloEvent(settings, raw, Array.isArray(sig) ? sig[0] : sig);
        if (!checked.ok) throw checked.status === 400 ? badRequest(checked.reason, 'body') : new ProblemError(401, 'bad-signature', 'Unauthorized', checked.reason);
        if (checked.report) reports.push(checked.report);
      }
      let applied = 0;
      for (const report of reports) {
        if ((await applyReport(api, trx, link.tenantId, provider as 'esms' | 'speedsms' | 'http' | 'zalo', report)) === 'applied') applied++;
      }
      for (const m of incoming) if (await optOutByReply(api, trx, link.tenantId, m.from, m.text)) applied++;
      return { received: reports.length + incoming.length, applied };
    });
    if (!outcome) throw notFound('No such callback.');
    return outcome;
  };

  const schema = { tags, summary: 'A provider\'s delivery report or a customer\'s reply (the secret is the company\'s callback token)', params: CallbackParams, response: { 200: CallbackOut, 400: Problem, 401: Problem, 404: Problem } };
  app.post('/callbacks/:provider/:secret', { config: { public: true }, schema: { ...schema, security: [] } }, async (request) => receive(request as never));
  app.get('/callbacks/:provider/:secret', { config: { public: true }, schema: { ...schema, summary: 'The same, for providers that report with GET (eSMS)', security: [] } }, async (request) => receive(request as never));
};

export default routes;
