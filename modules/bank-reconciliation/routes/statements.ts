import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BankApi } from '../context.js';
import { FILE_TYPES, fileOf, withBank } from '../http.js';
import { listLines } from '../lines.js';
import { MAX_FILE_BYTES, parseStatement, toJson, type CsvOptions } from '../parsers/index.js';
import { importStatements } from '../statements.js';
import { IdParams, ImportOut, ImportQuery, LineOut, LinesQuery, ParseOut, ParseQuery, Problem } from '../http-schemas.js';
import { badRequest, notFound } from '../../../core/errors.js';

/** The balances a CSV or XLSX file without a balance column lacks, as the query gives them. */
function givenBalances(q: { opening?: string; openingDate?: string; closing?: string; closingDate?: string }): Pick<CsvOptions, 'opening' | 'closing'> {
  if (q.openingDate !== undefined && q.opening === undefined) throw badRequest('openingDate is the date of the opening balance: give opening too', 'openingDate');
  if (q.closingDate !== undefined && q.closing === undefined) throw badRequest('closingDate is the date of the closing balance: give closing too', 'closingDate');
  return {
    ...(q.opening !== undefined ? { opening: { amount: q.opening, date: q.openingDate } } : {}),
    ...(q.closing !== undefined ? { closing: { amount: q.closing, date: q.closingDate } } : {}),
  };
}

const WRITE = { roles: ['accountant', 'clerk'] as ('accountant' | 'clerk')[] };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const api = app.module as BankApi;
  const tags = ['bank-reconciliation: statements'];
  // Raw statement files in this scope only.
  app.addContentTypeParser(FILE_TYPES, { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_request, body, done) => done(null, body));

  app.post('/parse', {
    config: WRITE,
    schema: { tags, summary: 'Read a statement file and show what it holds; nothing is stored', consumes: FILE_TYPES, querystring: ParseQuery, response: { 200: ParseOut, 400: Problem, 413: Problem } },
  }, async (request) => {
    const parsed = await parseStatement(fileOf(request), request.query.format, { encoding: request.query.encoding, preset: request.query.preset, currency: request.query.currency, ...givenBalances(request.query) });
    return { ...toJson(parsed), warnings: [...parsed.warnings, ...parsed.statements.flatMap((s) => s.warnings)] };
  });

  app.post('/statements', {
    config: { ...WRITE, idempotent: true },
    schema: {
      tags, summary: 'Import a statement file: checked whole first, duplicates skipped, new lines auto-matched',
      consumes: FILE_TYPES, querystring: ImportQuery, response: { 201: ImportOut, 400: Problem, 413: Problem, 422: Problem },
    },
  }, async (request, reply) => {
    const { format, journal, force, encoding, preset } = request.query;
    const file = fileOf(request);
    return reply.status(201).send(await withBank(request, api, (b) => importStatements(b, file, format, { journal, force, encoding, preset, balances: givenBalances(request.query) })));
  });

  app.get('/statements/:id/lines', {
    schema: { tags, summary: "A statement's lines with their match state and what they matched", params: IdParams, querystring: LinesQuery, response: { 200: Type.Array(LineOut), 404: Problem } },
  }, async (request) => withBank(request, api, async (b) => {
    const found = await b.trx.selectFrom('bank_reconciliation_statement').select('id').where('tenant_id', '=', b.tenantId).where('id', '=', request.params.id).executeTakeFirst();
    if (!found) throw notFound(`No statement ${request.params.id}.`);
    return listLines(b, { statementId: request.params.id, ...request.query });
  }));
};

export default routes;
