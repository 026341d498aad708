import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { exportAudit, readAudit } from '../audit.js';
import type { Trx } from '../db/kysely.js';
import { listFormat, reportLang, sendTable, tableResponse } from '../export.js';
import { tenantOf } from '../plugins/auth.js';

export const AuditQuery = Type.Object({
  object: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The changed object: `type:id` (invoice:3f…), a type (invoice) or an id' })),
  user: Type.Optional(Type.String({ maxLength: 36, description: 'Changes made by this user (id)' })),
  module: Type.Optional(Type.String({ maxLength: 50 })),
  action: Type.Optional(Type.String({ maxLength: 100, description: 'e.g. payment.registered' })),
  from: Type.Optional(Type.String({ maxLength: 10, description: "From this day (YYYY-MM-DD, the company's time zone)" })),
  to: Type.Optional(Type.String({ maxLength: 10, description: 'To this day, included' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 20, description: '`next` of the page before' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')], { description: 'csv or xlsx: every entry the filters select (limit and cursor aside), as a file; also asked by Accept' })),
  lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')], { description: "Column headers of a file (default: the company's language)" })),
}, { additionalProperties: false });
export type AuditQueryInput = Static<typeof AuditQuery>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
export const AuditPage = Type.Object({
  items: Type.Array(Type.Object({
    id: Type.String(), at: Type.String({ format: 'date-time' }),
    actor: Type.Object({ user: Nullable(Type.String()), name: Nullable(Type.String()), token: Nullable(Type.String()), requestId: Nullable(Type.String()) }),
    module: Type.String(), action: Type.String(), object: Type.Object({ type: Type.String(), id: Type.String() }),
    before: Type.Unknown(), after: Type.Unknown(),
  })),
  next: Nullable(Type.String({ description: 'Cursor of the next page; null on the last' })),
});
const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });

/**
 * A page of the log as JSON, or every entry the filters select as a CSV or XLSX file (`format`
 * or `Accept`), read in `inTenant`'s transaction: the accountant's route and the integrator's
 * answer alike.
 */
export async function answerAudit(
  request: FastifyRequest, query: AuditQueryInput, reply: FastifyReply, tenant: { id: string; slug: string; timezone: string; currency: string },
  inTenant: <T>(work: (trx: Trx) => Promise<T>) => Promise<T>,
): Promise<unknown> {
  const { format, lang, ...q } = query;
  const as = listFormat(request, format);
  if (as === 'json') return inTenant((trx) => readAudit(trx, tenant.id, tenant.timezone, q));
  const language = reportLang(request, lang);
  const file = { format: as, name: `audit-${tenant.slug}`, sheet: 'Audit', lang: language, currency: tenant.currency };
  return sendTable(request, reply, file, (start) => inTenant((trx) => exportAudit(trx, tenant.id, tenant.timezone, q, language, start)));
}

/** The company's audit log, for its accountant: who changed what, when, before and after. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/audit', {
    config: { roles: ['accountant'] },
    schema: { tags: ['audit'], summary: 'The audit log, newest first: filter by object, user, module, action and days', querystring: AuditQuery, response: { 200: tableResponse(AuditPage, 'A page of the log'), 400: Problem } },
  }, async (request, reply) => {
    const tenant = tenantOf(request);
    return answerAudit(request, request.query, reply, tenant, (work) => request.tx(work));
  });
};

export default auditRoutes;
