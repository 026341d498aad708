import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import autoload from '@fastify/autoload';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withTenant, type Db, type Trx } from '../db/kysely.js';
import { notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { JobDefinition } from '../events/scheduler.js';
import { checkEventWiring, createModuleApi, type ModuleApi, type ModuleRuntime } from './api.js';
import type { Enablement } from './enablement.js';
import type { InstalledModule } from './registry.js';
import { registerTenantSettingsRoutes } from './settings.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Inside a module's route scope: that module's API (events, services, settings, audit).
     * Fastify cannot know which module a scope belongs to; a route file names its own type:
     * `const api = app.module as FollowUpApi`.
     */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    module: ModuleApi<any>;
  }
  interface FastifyRequest {
    /**
     * Inside a module's `pages/`, or a public route of its `routes/` (no account): runs
     * `fn` in one transaction scoped to the tenant the link names (core/links.ts); null when that
     * tenant does not have the module enabled (or does not exist), so the page says "unknown link".
     */
    linkTx<T>(tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T | null>;
  }
}

/** What a module's index.ts exports. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModuleSetup = (api: ModuleApi<any>) => void | Promise<void>;

/** Runs every module's `setup(api)` in dependency order. */
export async function setupModules(modules: InstalledModule[], deps: { db: Db; publicUrl?: string | null; bus: EventBus; jobs: JobDefinition[]; enablement: () => Enablement; log: FastifyBaseLogger }): Promise<Map<string, ModuleRuntime>> {
  const runtimes = new Map<string, ModuleRuntime>();
  for (const m of modules) {
    const runtime = createModuleApi(m.manifest, { ...deps, runtimes });
    runtimes.set(m.manifest.name, runtime);
    const indexFile = path.join(m.dir, 'index.ts');
    const hasIndex = await fs.stat(indexFile).then(() => true, () => false);
    if (!hasIndex) continue;
    const mod = (await import(indexFile)) as { setup?: ModuleSetup };
    if (typeof mod.setup !== 'function') throw new Error(`modules/${path.basename(m.dir)}/index.ts must export a function setup(api)`);
    await mod.setup(runtime.api);
  }
  checkEventWiring(runtimes, deps.log);
  return runtimes;
}

/**
 * Registers each module's `routes/**` in an encapsulated scope under `/api/<module>`, plus
 * `GET/PATCH /api/<module>/settings` (the accountant's) for a module with settings. Every
 * installed module is registered at boot; a guard answers 404 for a tenant that has not
 * enabled the module.
 */
export async function registerModuleRoutes(app: FastifyInstance, db: Db, modules: InstalledModule[], runtimes: Map<string, ModuleRuntime>, enablement: Enablement): Promise<void> {
  process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'; // route files are TypeScript run through tsx
  const isDir = (dir: string) => fs.stat(dir).then((s) => s.isDirectory(), () => false);
  for (const m of modules) {
    const routesDir = path.join(m.dir, 'routes');
    const hasRoutes = await isDir(routesDir);
    const pagesDir = path.join(m.dir, 'pages');
    if (await isDir(pagesDir)) await registerPages(app, db, m.manifest.name, pagesDir, runtimes.get(m.manifest.name)!.api, enablement);
    if (!hasRoutes && !m.manifest.settings) continue;
    const name = m.manifest.name;
    await app.register(async (scope) => {
      scope.decorate('module', runtimes.get(name)!.api);
      // A public route (`config.public`: a provider's callback) finds its tenant in a link token it carries (core/links.ts).
      scope.decorateRequest('linkTx', linkTx(db, name, enablement));
      scope.addHook('onRequest', async (request) => {
        if (request.routeOptions.config?.public) return;
        if (request.auth && !request.auth.tenant) return; // the platform admin: the role check answers 403
        const tenant = request.auth?.tenant;
        if (!tenant || !(await enablement.isEnabled(tenant.id, name))) {
          throw notFound(`Module '${name}' is not enabled for this tenant.`);
        }
        request.log = request.log.child({ module: name });
      });
      registerTenantSettingsRoutes(scope, m.manifest, enablement);
      if (hasRoutes) await scope.register(autoload, { dir: routesDir, dirNameRoutePrefix: true, ignorePattern: /\.test\.ts$/ });
    }, { prefix: `/api/${name}` });
  }
}

const PAGE_HEADERS = {
  // A page is text and a form posting to itself: no script, no frame, no third party, and the
  // link's token never leaves in a Referer header.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

function linkTx(db: Db, module: string, enablement: Enablement) {
  return async function inLinkedTenant<T>(tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T | null> {
    if (!(await enablement.isEnabled(tenantId, module))) return null;
    return withTenant(db, tenantId, fn);
  };
}

/**
 * A module's `pages/**`: server-rendered pages a customer opens from a link (core/links.ts),
 * under `/<module>/…`, without authentication and outside the API's description. A page finds
 * its tenant in the link and reads through `request.linkTx`. Forms post
 * `application/x-www-form-urlencoded`, at most 16 KB.
 */
async function registerPages(app: FastifyInstance, db: Db, name: string, dir: string, api: ModuleApi, enablement: Enablement): Promise<void> {
  await app.register(async (scope) => {
    scope.decorate('module', api);
    scope.decorateRequest('linkTx', linkTx(db, name, enablement));
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.addHook('onRoute', (route) => { route.schema = { ...route.schema, hide: true }; });
    scope.addHook('onRequest', async (request, reply) => {
      reply.headers(PAGE_HEADERS);
      request.log = request.log.child({ module: name, page: true });
    });
    await scope.register(autoload, { dir, dirNameRoutePrefix: true, ignorePattern: /\.test\.ts$/ });
  }, { prefix: `/${name}` });
}
