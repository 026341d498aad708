import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import path from 'node:path';
import type { Config } from '../../config/index.js';
import { startEmbeddedPostgres } from './embedded.js';
import { createDb, createPool, type Db } from './kysely.js';
import { migrateAll } from './migrate.js';
import type { InstalledModule } from '../modules/registry.js';

export interface Database {
  url: string;
  db: Db;
  embedded: boolean;
  close(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'congno';

/** The configured PostgreSQL (`DATABASE_URL`), or the embedded server under `dataDir`. */
export async function openDatabase(config: Config, log?: FastifyBaseLogger): Promise<Database> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const server = await startEmbeddedPostgres(config.dataDir, config.embeddedPort, (m) => log?.debug({ component: 'embedded-postgres' }, m));
    stopEmbedded = async () => {
      const what = await server.release();
      log?.info({ dataDir: config.dataDir }, what === 'stopped' ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL left running: another congno process uses it');
    };
    try {
      await ensureDatabase(server.url(), EMBEDDED_DATABASE);
    } catch (err) {
      await server.stop().catch(() => {});
      throw err;
    }
    url = server.url(EMBEDDED_DATABASE);
    const said = {
      started: 'embedded PostgreSQL started',
      adopted: 'embedded PostgreSQL adopted: it was left running by a congno process that ended (it stops with this one)',
      shared: 'embedded PostgreSQL shared with a running congno process (it stays running after this one)',
    }[server.how];
    log?.info({ dataDir: config.dataDir, port: server.port }, said);
  }
  const pool = createPool(url, config.poolSize);
  const db = createDb(pool);
  return {
    url,
    db,
    embedded: stopEmbedded !== null,
    close: async () => {
      await db.destroy();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}

export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`create database "${name}"${template ? ` template "${template}"` : ''}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/** Core's migrations, then each installed module's, in dependency order. */
export async function migrate(db: Db, modules: InstalledModule[], projectRoot: string, log?: (msg: string) => void): Promise<void> {
  await migrateAll(db, [
    { name: 'core', folder: path.join(projectRoot, 'migrations') },
    ...modules.map((m) => ({ name: m.manifest.name, folder: path.join(m.dir, 'migrations') })),
  ], log);
}
