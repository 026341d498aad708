import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { matchLine, unmatchLine } from '../apply.js';
import type { BankApi } from '../context.js';
import { withBank } from '../http.js';
import { exportLines, getLine, lineList, lineTotals } from '../lines.js';
import { listFormat, reportLang, sendTable, tableResponse } from '../../../core/export.js';
import { todayIn } from '../../../core/dates.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import { IdParams, LineListOut, LineListQuery, LineOut, MatchBody, Problem } from '../http-schemas.js';

const WRITE = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[], idempotent: true };

/** The matched line, and what was asked but not done (e.g. no rule saved for a line without a payer account). */
const MatchedLineOut = Type.Object({ ...LineOut.properties, warnings: Type.Array(Type.String()) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as BankApi;
  const tags = ['bank-reconciliation: matching'];

  app.get('/lines', {
    schema: {
      tags, summary: 'The worklist: statement lines filtered (match state, account, partner, dates, amounts, text) and paged; suggested ones with their ranked candidates',
      querystring: LineListQuery, response: { 200: tableResponse(LineListOut, 'A page of the worklist'), 400: Problem },
    },
  }, async (request, reply) => {
    const { limit, cursor, format, lang, ...filter } = request.query;
    const as = listFormat(request, format);
    if (as === 'json') return withBank(request, api, async (b) => ({ ...(await lineList(b, filter, limit, cursor)), total: await lineTotals(b, filter) }));
    const file = { format: as, name: `bank-lines-${todayIn(tenantOf(request).timezone)}`, sheet: 'Bank lines', lang: reportLang(request, lang) };
    return sendTable(request, reply, file, (start) => withBank(request, api, (b) => exportLines(b, filter, file.lang, start)));
  });

  app.post('/lines/:id/match', {
    config: WRITE,
    schema: { tags, summary: 'Match a line to invoices (partially, with a write-off) or confirm a payment with it', params: IdParams, body: MatchBody, response: { 200: MatchedLineOut, 400: Problem, 404: Problem, 409: Problem } },
  }, async (request) => withBank(request, api, async (b) => {
    const { warnings } = await matchLine(b, request.params.id, request.body);
    return { ...(await getLine(b, request.params.id)), warnings };
  }));

  app.post('/lines/:id/unmatch', {
    config: WRITE,
    schema: { tags, summary: "Undo a line's match: payments it created are reversed, confirmed ones unconfirmed", params: IdParams, response: { 200: LineOut, 404: Problem, 409: Problem } },
  }, async (request) => withBank(request, api, async (b) => {
    await unmatchLine(b, request.params.id);
    return getLine(b, request.params.id);
  }));
};

export default routes;
