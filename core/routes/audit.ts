import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { readAudit } from '../audit.js';
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

/** The company's audit log, for its accountant: who changed what, when, before and after. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/audit', {
    config: { roles: ['accountant'] },
    schema: { tags: ['audit'], summary: 'The audit log, newest first: filter by object, user, module, action and days', querystring: AuditQuery, response: { 200: AuditPage, 400: Problem } },
  }, async (request) => {
    const tenant = tenantOf(request);
    return request.tx((trx) => readAudit(trx, tenant.id, tenant.timezone, request.query));
  });
};

export default auditRoutes;
