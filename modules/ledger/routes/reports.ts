import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { todayIn } from '../../../core/dates.js';
import { tenantOf } from '../../../core/plugins/auth.js';
import type { LedgerApi } from '../context.js';
import { sendBooksTable, withBooks } from '../http.js';
import { Problem } from '../http-schemas.js';
import { aging, exportAging } from '../reports/aging.js';
import { dso, exportDso } from '../reports/dso.js';
import { reportLang, tableResponse } from '../../../core/export.js';
import { exportOutstanding, exportStatement, outstanding, statement, type Outstanding, type Statement } from '../reports/statement.js';
import { exportSummary, summary } from '../reports/summary.js';
import {
  AgingOut, AgingQuery, DsoOut, DsoQuery, OutstandingOut, StatementOut, StatementParams, StatementQuery, SummaryOut, SummaryQuery,
} from '../reports/http-schemas.js';

/** Today in the company's time zone, for file names. */
const today = (request: Parameters<typeof tenantOf>[0]) => todayIn(tenantOf(request).timezone);

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as LedgerApi;
  const tags = ['ledger: reports'];
  const problems = { 400: Problem, 404: Problem };

  app.get('/reports/aging', {
    schema: {
      tags, summary: 'Aged receivables per partner as of a day, by due date or invoice date; JSON, CSV or XLSX',
      querystring: AgingQuery, response: { 200: tableResponse(AgingOut, 'The aging report'), ...problems },
    },
  }, async (request, reply) => {
    const { format = 'json', lang, ...q } = request.query;
    if (format === 'json') return withBooks(request, api, (b) => aging(b, q));
    return sendBooksTable(request, reply, api, { format, name: `aging-${q.asOf ?? today(request)}`, sheet: 'Aging', lang: reportLang(request, lang) },
      (b, start) => exportAging(b, q, reportLang(request, lang), start).then(() => undefined));
  });

  app.get('/reports/summary', {
    schema: {
      tags, summary: 'Period summary per partner: opening balance, debits, credits, closing balance',
      querystring: SummaryQuery, response: { 200: tableResponse(SummaryOut, 'The period summary'), ...problems },
    },
  }, async (request, reply) => {
    const { format = 'json', lang, ...q } = request.query;
    if (format === 'json') return withBooks(request, api, (b) => summary(b, q));
    return sendBooksTable(request, reply, api, { format, name: `summary-${q.to ?? today(request)}`, sheet: 'Summary', lang: reportLang(request, lang) },
      (b, start) => exportSummary(b, q, reportLang(request, lang), start).then(() => undefined));
  });

  app.get('/reports/dso', {
    schema: {
      tags, summary: 'Days sales outstanding for a period, for the company and per salesperson',
      querystring: DsoQuery, response: { 200: tableResponse(DsoOut, 'DSO and how it was computed'), ...problems },
    },
  }, async (request, reply) => {
    const { format = 'json', lang, ...q } = request.query;
    if (format === 'json') return withBooks(request, api, (b) => dso(b, q));
    return sendBooksTable(request, reply, api, { format, name: `dso-${q.to ?? today(request)}`, sheet: 'DSO', lang: reportLang(request, lang) },
      (b, start) => exportDso(b, q, reportLang(request, lang), start).then(() => undefined));
  });

  app.get('/partners/:id/statement', {
    schema: {
      tags, summary: 'Customer statement (sổ chi tiết công nợ): opening, movements with running balance, closing; or open items on a day',
      params: StatementParams, querystring: StatementQuery,
      response: { 200: tableResponse(Type.Union([StatementOut, OutstandingOut]), 'The statement (type=movements) or the open items (type=outstanding)'), ...problems },
    },
  }, async (request, reply) => {
    const { format = 'json', lang, ...q } = request.query;
    const id = request.params.id;
    const open = q.type === 'outstanding';
    if (format === 'json') return withBooks<Statement | Outstanding>(request, api, (b) => (open ? outstanding(b, id, q) : statement(b, id, q)));
    const name = open ? `outstanding-${q.asOf ?? today(request)}` : `statement-${q.to ?? today(request)}`;
    return sendBooksTable(request, reply, api, { format, name, sheet: open ? 'Outstanding' : 'Statement', lang: reportLang(request, lang) },
      (b, start) => (open ? exportOutstanding(b, id, q, reportLang(request, lang), start) : exportStatement(b, id, q, reportLang(request, lang), start)).then(() => undefined));
  });
};

export default routes;
