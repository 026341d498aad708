import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../config/index.js';
import { buildApp } from '../../core/app.js';
import { createAdminToken, createTenantToken, type TenantRole } from '../../core/auth/tokens.js';
import { createDb, createPool, type Db } from '../../core/db/kysely.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import { createTenant } from '../../core/tenants.js';
import { createTestDatabase } from './database.js';

interface Teardown { teardown(fn: () => unknown): void }

export interface TestAppOptions {
  /** Modules to install and enable for the test tenant (with their dependency closure). */
  modules?: string[];
  /** Start the outbox relay and scheduler. */
  background?: boolean;
  config?: Partial<Config>;
  tenant?: { slug?: string; currency?: string; timezone?: string; locale?: string };
  /** Where the modules are read from (default: the project's modules/). */
  modulesDir?: string;
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  databaseUrl: string;
  tenant: { id: string; slug: string };
  /** A clerk's token of the test tenant. */
  token: string;
  adminToken: string;
  /** A new user of the tenant with that role, and its token. */
  tokenFor(role: TenantRole, managerUserId?: string | null): Promise<{ token: string; userId: string }>;
  /** `app.inject` with the clerk's bearer token (or `token`). */
  request(method: InjectOptions['method'], url: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
}

/**
 * Boots core plus the given modules on a fresh database copied from the migrated template,
 * creates a tenant with those modules enabled and a clerk token, and closes it all at teardown.
 */
export async function buildTestApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const pool = createPool(database.url, 10);
  const db = createDb(pool);
  const config = loadConfig({
    databaseUrl: database.url, logLevel: 'silent', modules: options.modules ?? [],
    relay: { enabled: true, pollMs: 50, workers: 2 }, ...options.config,
  }, {});
  const app = await buildApp({ config, db, databaseUrl: database.url, background: options.background ?? false, logger: false, modulesDir: options.modulesDir });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await db.destroy();
    await database.drop();
  });

  const tenant = await createTenant(db, { slug: options.tenant?.slug ?? 'acme', name: 'ACME Trading Co., Ltd', currency: options.tenant?.currency ?? 'VND', timezone: options.tenant?.timezone, locale: options.tenant?.locale });
  for (const m of options.modules ?? []) await app.congno.enablement.enable(tenant.id, m, SYSTEM_ACTOR);
  const adminToken = await createAdminToken(db, 'test admin');
  const clerk = await createTenantToken(db, tenant.id, 'Test clerk', 'clerk');

  const request: TestApp['request'] = (method, url, body, opts = {}) => {
    const token = opts.token === undefined ? clerk.token : opts.token;
    return app.inject({
      method, url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  };
  return {
    app, db, databaseUrl: database.url, tenant, token: clerk.token, adminToken, request,
    tokenFor: async (role, manager = null) => {
      const created = await createTenantToken(db, tenant.id, `Test ${role}`, role, manager);
      return { token: created.token, userId: created.userId };
    },
  };
}
