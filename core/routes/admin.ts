import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sql } from 'kysely';
import { createTenantToken, TENANT_ROLES } from '../auth/tokens.js';
import type { Db } from '../db/kysely.js';
import { badRequest, notFound } from '../errors.js';
import type { Enablement } from '../modules/enablement.js';
import type { InstalledModule } from '../modules/registry.js';
import { presentState, SettingsPatchBody } from '../modules/settings.js';
import { createTenant, tenantBySlug } from '../tenants.js';
import { readAudit } from '../audit.js';
import { withTenant } from '../db/kysely.js';
import { AuditPage, AuditQuery, answerAudit } from './audit.js';
import { tableResponse } from '../export.js';

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });
const SlugParams = Type.Object({ slug: Type.String() });
const ModuleParams = Type.Object({ slug: Type.String(), module: Type.String() });
const ModuleStateBody = Type.Object({
  state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  version: Type.String(),
  settings: Type.Record(Type.String(), Type.Unknown()),
});
const Delivery = Type.Object({
  id: Type.String(), tenant: Type.String(), event: Type.String(), eventId: Type.String(), subscriber: Type.String(),
  state: Type.String(), attempts: Type.Integer(), lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.String(), createdAt: Type.String(),
});

export interface AdminRoutesOptions { db: Db; modules: InstalledModule[]; enablement: Enablement }

/** The integrator's routes: module catalogue, tenants, per-tenant modules and settings, tokens, dead letters. */
const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { db, modules, enablement }) => {
  const tags = ['admin'];
  const tenantOr404 = async (slug: string) => {
    const tenant = await tenantBySlug(db, slug);
    if (!tenant) throw notFound(`No tenant '${slug}'.`);
    return tenant;
  };

  app.get('/modules', {
    schema: {
      tags, summary: 'The module catalogue installed on this server',
      response: { 200: Type.Array(Type.Object({ name: Type.String(), version: Type.String(), summary: Type.String(), depends: Type.Array(Type.String()), autoInstall: Type.Boolean() })) },
    },
  }, async () => modules.map((m) => ({ name: m.manifest.name, version: m.manifest.version, summary: m.manifest.summary, depends: m.manifest.depends, autoInstall: !!m.manifest.autoInstall })));

  app.post('/tenants', {
    schema: {
      tags, summary: 'Create a tenant (a customer company)',
      body: Type.Object({
        slug: Type.String({ minLength: 2, maxLength: 63 }), name: Type.String({ minLength: 1, maxLength: 200 }),
        currency: Type.String({ minLength: 3, maxLength: 3 }), timezone: Type.Optional(Type.String()), locale: Type.Optional(Type.String()),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ id: Type.String(), slug: Type.String() }), 400: Problem, 409: Problem },
    },
  }, async (request, reply) => {
    const tenant = await createTenant(db, request.body);
    request.log.info({ tenantId: tenant.id, slug: tenant.slug }, 'tenant created');
    return reply.status(201).send(tenant);
  });

  app.get('/tenants', {
    schema: {
      tags, summary: 'List tenants',
      response: { 200: Type.Array(Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), currency: Type.String(), timezone: Type.String(), locale: Type.String(), modules: Type.Array(Type.String()) })) },
    },
  }, async () => {
    const rows = await sql<{ id: string; slug: string; name: string; currency: string; timezone: string; locale: string; modules: string[] }>`
      select t.id, t.slug, t.name, t.currency, t.timezone, t.locale,
             coalesce(array_agg(m.module order by m.module) filter (where m.state = 'enabled'), '{}') as modules
      from core_tenant t left join core_tenant_module m on m.tenant_id = t.id
      group by t.id order by t.slug`.execute(db);
    return rows.rows.map((r) => ({ ...r, currency: r.currency.trim() }));
  });

  app.put('/tenants/:slug/modules/:module', {
    schema: {
      tags, summary: 'Enable a module for a tenant, with its dependency closure',
      params: ModuleParams,
      response: { 200: Type.Object({ enabled: Type.Array(Type.String()) }), 404: Problem },
    },
  }, async (request) => {
    const tenant = await tenantOr404(request.params.slug);
    const enabled = await enablement.enable(tenant.id, request.params.module, request.actor);
    return { enabled };
  });

  app.delete('/tenants/:slug/modules/:module', {
    schema: {
      tags, summary: 'Disable a module for a tenant (its data is kept)',
      params: ModuleParams,
      response: { 200: Type.Object({ disabled: Type.Array(Type.String()) }), 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const tenant = await tenantOr404(request.params.slug);
    const disabled = await enablement.disable(tenant.id, request.params.module, request.actor);
    return { disabled };
  });

  app.get('/tenants/:slug/modules/:module', {
    schema: { tags, summary: "A tenant's state, version and settings of a module", params: ModuleParams, response: { 200: ModuleStateBody, 404: Problem } },
  }, async (request) => {
    const tenant = await tenantOr404(request.params.slug);
    return presentState(await enablement.state(tenant.id, request.params.module));
  });

  app.patch('/tenants/:slug/modules/:module', {
    schema: {
      tags, summary: "Change a tenant's settings of a module (validated against the module's schema)",
      params: ModuleParams,
      body: SettingsPatchBody,
      response: { 200: ModuleStateBody, 400: Problem, 404: Problem, 409: Problem },
    },
  }, async (request) => {
    const tenant = await tenantOr404(request.params.slug);
    return presentState(await enablement.updateSettings(tenant.id, request.params.module, request.body.settings, request.actor, 'integrator'));
  });

  app.post('/tenants/:slug/tokens', {
    schema: {
      tags, summary: 'Create a user with a role and a bearer token for it (the token is shown once)',
      params: SlugParams,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        role: Type.Union(TENANT_ROLES.map((r) => Type.Literal(r))),
        manager: Type.Optional(Type.String({ format: 'uuid', description: "For a sales user: the user id of the sales manager, who then sees this user's partners too" })),
        email: Type.Optional(Type.String({ format: 'email', maxLength: 200, description: 'Where replies to the reminders of the partners this user is responsible for go' })),
        phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 .()-]{6,20}$', description: 'Printed on reminder letters as the number to call' })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ token: Type.String(), id: Type.String(), userId: Type.String() }), 400: Problem, 404: Problem },
    },
  }, async (request, reply) => {
    const tenant = await tenantOr404(request.params.slug);
    if (request.body.manager) {
      const manager = await db.selectFrom('core_user').select('id').where('tenant_id', '=', tenant.id).where('id', '=', request.body.manager).executeTakeFirst();
      if (!manager) throw badRequest(`No user ${request.body.manager} in tenant '${tenant.slug}'`, 'manager');
    }
    const created = await createTenantToken(db, tenant.id, request.body.name, request.body.role, request.body.manager ?? null, { email: request.body.email, phone: request.body.phone });
    return reply.status(201).send({ token: created.token, id: created.tokenId, userId: created.userId });
  });

  app.delete('/tokens/:id', {
    schema: { tags, summary: 'Revoke a token', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Type.Object({ revoked: Type.Boolean() }), 404: Problem } },
  }, async (request) => {
    const row = await db.updateTable('core_token').set({ revoked_at: new Date() }).where('id', '=', request.params.id).where('revoked_at', 'is', null)
      .returning('token_hash').executeTakeFirst();
    if (!row) throw notFound(`No active token ${request.params.id}.`);
    app.forgetToken(row.token_hash);
    return { revoked: true };
  });

  app.get('/tenants/:slug/audit', {
    schema: { tags, summary: "A tenant's audit log, newest first (the same as its accountant's GET /api/audit)", params: SlugParams, querystring: AuditQuery, response: { 200: tableResponse(AuditPage, 'A page of the log'), 400: Problem, 404: Problem } },
  }, async (request, reply) => {
    const tenant = await tenantOr404(request.params.slug);
    return answerAudit(request, request.query, reply, tenant, (work) => withTenant(db, tenant.id, work));
  });

  app.get('/events/deliveries', {
    schema: {
      tags, summary: 'Event deliveries (dead letters by default)',
      querystring: Type.Object({
        state: Type.Union([Type.Literal('dead'), Type.Literal('pending'), Type.Literal('done'), Type.Literal('skipped')], { default: 'dead' }),
        tenant: Type.Optional(Type.String()), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
      }),
      response: { 200: Type.Array(Delivery) },
    },
  }, async (request) => {
    let q = db.selectFrom('core_event_delivery as d')
      .innerJoin('core_event_outbox as o', (j) => j.onRef('o.tenant_id', '=', 'd.tenant_id').onRef('o.id', '=', 'd.event_id'))
      .innerJoin('core_tenant as t', 't.id', 'd.tenant_id')
      .select(['d.id', 't.slug', 'o.name', 'd.event_id', 'd.subscriber', 'd.state', 'd.attempts', 'd.last_error', 'd.next_attempt_at', 'd.created_at'])
      .where('d.state', '=', request.query.state);
    if (request.query.tenant) q = q.where('t.slug', '=', request.query.tenant);
    const rows = await q.orderBy('d.id', 'desc').limit(request.query.limit).execute();
    return rows.map((r) => ({
      id: String(r.id), tenant: r.slug, event: r.name, eventId: String(r.event_id), subscriber: r.subscriber, state: r.state,
      attempts: r.attempts, lastError: r.last_error, nextAttemptAt: r.next_attempt_at.toISOString(), createdAt: r.created_at.toISOString(),
    }));
  });

  app.post('/events/deliveries/:id/retry', {
    schema: { tags, summary: 'Retry a dead letter (its attempts start again)', params: Type.Object({ id: Type.String({ pattern: '^\\d+$' }) }), response: { 200: Type.Object({ id: Type.String(), state: Type.String() }), 404: Problem } },
  }, async (request) => {
    const row = await db.updateTable('core_event_delivery').set({ state: 'pending', attempts: 0, next_attempt_at: new Date() })
      .where('id', '=', BigInt(request.params.id)).where('state', '=', 'dead').returning(['id', 'state']).executeTakeFirst();
    if (!row) throw notFound(`No dead delivery ${request.params.id}.`);
    await sql`select pg_notify('congno_outbox', '')`.execute(db);
    return { id: String(row.id), state: row.state };
  });
};

export default adminRoutes;
