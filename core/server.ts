import pino from 'pino';
import pretty from 'pino-pretty';
import { loadConfig, type Config } from '../config/index.js';
import { buildApp, MODULES_DIR, PROJECT_ROOT } from './app.js';
import { createAdminToken, hasAdminToken } from './auth/tokens.js';
import { migrate, openDatabase } from './db/connect.js';
import { loadRegistry } from './modules/registry.js';

/**
 * `npm start`: opens the database (embedded unless DATABASE_URL), runs every migration, makes
 * sure a platform-admin token exists, serves the API with the outbox relay and the scheduler,
 * and shuts down gracefully on SIGINT/SIGTERM (requests under way finish first).
 */
export async function startServer(config: Config = loadConfig()): Promise<void> {
  // People at a terminal read lines; a service manager or log collector gets JSON lines.
  const log = process.stdout.isTTY
    ? pino({ level: config.logLevel }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }))
    : pino({ level: config.logLevel });
  const database = await openDatabase(config, log);
  try {
    const modules = await loadRegistry(MODULES_DIR, config.modules);
    await migrate(database.db, modules, PROJECT_ROOT, (m) => log.info(m));
    if (config.adminToken) {
      await createAdminToken(database.db, 'admin (CONGNO_ADMIN_TOKEN)', config.adminToken);
    } else if (!(await hasAdminToken(database.db))) {
      const token = await createAdminToken(database.db, 'admin (generated at first start)');
      process.stdout.write(`\nPlatform-admin token (shown once, keep it safe):\n  ${token}\n\n`);
    }
    const app = await buildApp({ config, db: database.db, databaseUrl: database.url, background: true, logger: false, loggerInstance: log });
    await app.listen({ host: config.host, port: config.port });
    const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${(app.server.address() as { port: number }).port}`;
    log.info({ modules: modules.map((m) => m.manifest.name), database: database.embedded ? `embedded (${config.dataDir})` : 'external' }, `congno listening on ${base}; API reference at ${base}/docs, OpenAPI at ${base}/openapi.json`);

    let closing = false;
    const shutdown = async (signal: string): Promise<void> => {
      if (closing) return;
      closing = true;
      log.info({ signal }, 'shutting down: finishing requests under way');
      const force = setTimeout(() => { log.error('shutdown took over 20 s; exiting'); process.exit(1); }, 20_000);
      force.unref();
      try {
        await app.close();
        await database.close(); // stops the embedded PostgreSQL unless another congno process uses it
        log.info('stopped');
        process.exit(0);
      } catch (err) {
        log.error({ err }, 'shutdown failed');
        process.exit(1); // the exit hook still tells an embedded PostgreSQL no one else uses to stop
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  startServer().catch((err: unknown) => {
    process.stderr.write(`congno could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
