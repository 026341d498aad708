import { sql, type Kysely } from 'kysely';
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely/migration';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './kysely.js';
import { APP_ROLE } from './kysely.js';

/** Anything that owns migrations: core (folder `migrations/`) or a module (`modules/<m>/migrations/`). */
export interface MigrationSource {
  name: string;
  folder: string;
}

const MIGRATION_LOCK = 7_212_031_577; // one advisory lock for the whole migration pass

/**
 * Brings core and every given module up to date, each with its own migration table
 * (`migrations_core`, `migrations_<module>`). Safe when several processes start at once: the
 * whole pass holds one advisory lock.
 */
export async function migrateAll(db: Db, sources: MigrationSource[], log: (msg: string) => void = () => {}): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      for (const source of sources) {
        const exists = await fs.stat(source.folder).then((s) => s.isDirectory(), () => false);
        if (!exists) continue;
        const table = `migrations_${source.name.replace(/-/g, '_')}`;
        const migrator = new Migrator({
          db: conn as Kysely<any>,
          provider: new FileMigrationProvider({ fs, path, migrationFolder: source.folder }),
          migrationTableName: table,
          migrationLockTableName: `${table}_lock`,
        });
        const result: MigrationResultSet = await migrator.migrateToLatest();
        for (const r of result.results ?? []) {
          log(`migration ${source.name}/${r.migrationName}: ${r.status}`);
        }
        if (result.error) {
          const failed = result.results?.find((r) => r.status === 'Error');
          const message = result.error instanceof Error ? result.error.message : String(result.error);
          throw new Error(`Migration ${source.name}/${failed?.migrationName ?? '?'} failed: ${message}`);
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

/**
 * Makes a table tenant-scoped for row-level security: the application role sees and writes
 * only rows whose `tenant_id` is the transaction's `app.tenant_id`. Call it in the migration
 * that creates the table.
 */
export async function isolateTenantTable(db: Kysely<any>, table: string): Promise<void> {
  const t = sql.table(table);
  const policy = sql.id(`${table}_tenant_isolation`);
  await sql`alter table ${t} enable row level security`.execute(db);
  await sql`create policy ${policy} on ${t} to ${sql.id(APP_ROLE)}
    using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)`.execute(db);
}
