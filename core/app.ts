import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sql } from 'kysely';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import type { Db } from './db/kysely.js';
import { EventBus } from './events/bus.js';
import { OutboxRelay } from './events/relay.js';
import { Scheduler, type JobDefinition } from './events/scheduler.js';
import { closeSpreadsheetWorkers } from './spreadsheet.js';
import { Enablement } from './modules/enablement.js';
import { registerModuleRoutes, setupModules } from './modules/loader.js';
import { loadRegistry, type InstalledModule } from './modules/registry.js';
import type { ModuleServices, ModuleWithService } from './modules/services.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './plugins/errors.js';
import idempotencyPlugin from './plugins/idempotency.js';
import textInputPlugin from './plugins/text-input.js';
import openapiPlugin from './plugins/openapi.js';
import tenancyPlugin from './plugins/tenancy.js';
import { installValidators } from './plugins/validation.js';
import adminRoutes from './routes/admin.js';
import auditRoutes from './routes/audit.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MODULES_DIR = path.join(PROJECT_ROOT, 'modules');

declare module 'fastify' {
  interface FastifyInstance {
    congno: Congno;
  }
}

/** The running server's parts, reachable as `app.congno` (CLI, tests, benchmarks). */
export interface Congno {
  config: Config;
  db: Db;
  modules: InstalledModule[];
  bus: EventBus;
  enablement: Enablement;
  relay: OutboxRelay;
  scheduler: Scheduler;
  /** An installed module's service (its public.ts), for the CLI, tests and benchmarks; throws when the module is not installed. */
  service<K extends ModuleWithService>(module: K): ModuleServices[K];
}

export interface BuildOptions {
  config: Config;
  db: Db;
  /** Connection string, for the relay's LISTEN connection. */
  databaseUrl: string;
  /** Start the outbox relay and the scheduler with the server (off in most tests). */
  background?: boolean;
  /** Pino logger options or false. */
  logger?: boolean | object;
  /** An existing pino logger (the server's). */
  loggerInstance?: FastifyBaseLogger;
  modulesDir?: string;
}

export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? { level: config.logLevel } }),
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    // Per-request log lines only at debug level: at thousands of requests a second they cost more than they tell.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    return503OnClosing: true,
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();
  installValidators(app);

  const modules = await loadRegistry(options.modulesDir ?? MODULES_DIR, config.modules);
  const bus = new EventBus(app.log);
  const jobs: JobDefinition[] = [];
  let enablement: Enablement | undefined;
  const runtimes = await setupModules(modules, { db, publicUrl: config.publicUrl, bus, jobs, enablement: () => enablement!, log: app.log });
  enablement = new Enablement(db, modules, runtimes, bus);
  const relay = new OutboxRelay(db, bus, options.databaseUrl, app.log.child({ component: 'relay' }), config.relay);
  const scheduler = new Scheduler(db, bus, app.log.child({ component: 'scheduler' }), jobs);
  const service = <K extends ModuleWithService>(module: K): ModuleServices[K] => {
    const provided = runtimes.get(module)?.service;
    if (provided === undefined) throw new Error(`Module '${module}' is not installed or provides no service`);
    return provided as ModuleServices[K];
  };
  app.decorate('congno', { config, db, modules, bus, enablement, relay, scheduler, service });

  await app.register(errorsPlugin);
  await app.register(textInputPlugin);
  await app.register(openapiPlugin);
  await app.register(authPlugin, { db, maxFailuresPerMinute: config.auth.maxFailuresPerMinute, cacheMs: config.auth.cacheMs });
  await app.register(tenancyPlugin, { db });
  await app.register(idempotencyPlugin, { db, leaseMs: config.idempotencyLeaseMs });

  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness and database reachability', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => {
    await sql`select 1`.execute(db);
    return { status: 'ok' as const };
  });
  await app.register(adminRoutes, { prefix: '/api/admin', db, modules, enablement });
  await app.register(auditRoutes, { prefix: '/api' });
  await registerModuleRoutes(app, db, modules, runtimes, enablement);

  app.addHook('onReady', async () => {
    await enablement!.upgradeAll();
    if (options.background) {
      if (config.relay.enabled) await relay.start();
      if (config.scheduler.enabled) await scheduler.start();
    }
  });
  app.addHook('onClose', async () => {
    await scheduler.stop();
    await relay.stop();
    for (const runtime of runtimes.values()) for (const close of runtime.onClose) await close();
    await closeSpreadsheetWorkers();
  });
  return app;
}
