/**
 * `npm test`: prepares a PostgreSQL for the suite, then runs tap.
 * - Without DATABASE_URL: starts a private embedded server in .tmp/test-pg-<pid> (removed afterwards).
 * - With DATABASE_URL: uses that server (its database is the maintenance connection).
 * Either way a template database is migrated once with core and every module; each test file
 * copies it into a database of its own, so files run in parallel without sharing state.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { MODULES_DIR, PROJECT_ROOT } from '../core/app.js';
import { migrate } from '../core/db/connect.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../core/db/embedded.js';
import { createDb, createPool } from '../core/db/kysely.js';
import { discoverModules, loadRegistry } from '../core/modules/registry.js';
import { withDatabase } from './helpers/database.js';
import { freePort } from './helpers/net.js';

/** `npm test -- modules/ledger` runs that folder's test files (tap itself would take a folder as a file). */
async function expandDirectories(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const isDirectory = !arg.startsWith('-') && (await fs.stat(arg).then((s) => s.isDirectory(), () => false));
    if (!isDirectory) { out.push(arg); continue; }
    const files = (await fs.readdir(arg, { recursive: true })).filter((f) => f.endsWith('.test.ts')).sort();
    if (files.length === 0) throw new Error(`${arg} holds no *.test.ts file`);
    out.push(...files.map((f) => path.join(arg, f)));
  }
  return out;
}

async function main(): Promise<number> {
  let embedded: EmbeddedServer | null = null;
  let embeddedDir: string | null = null;
  let adminUrl = process.env.DATABASE_URL;
  const kind = adminUrl ? 'external' : 'embedded';
  if (!adminUrl) {
    // A cluster of this run's own, so parallel runs never stop each other's server.
    embeddedDir = path.join(PROJECT_ROOT, '.tmp', `test-pg-${process.pid}`);
    embedded = await startEmbeddedPostgres(embeddedDir, await freePort());
    adminUrl = embedded.url();
  }
  const template = `congno_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let code = 1;
  try {
    const version = (await admin.query('show server_version')).rows[0].server_version as string;
    process.stdout.write(`# database: ${kind} PostgreSQL ${version}\n`);
    await admin.query(`create database "${template}"`);
    const pool = createPool(withDatabase(adminUrl, template), 4);
    const db = createDb(pool);
    const every = [...(await discoverModules(MODULES_DIR)).keys()];
    await migrate(db, await loadRegistry(MODULES_DIR, every), PROJECT_ROOT);
    await db.destroy();

    const args = await expandDirectories(process.argv.slice(2));
    let summary = '';
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...args], {
        stdio: ['inherit', 'pipe', 'inherit'],
        env: { ...process.env, CONGNO_TEST_ADMIN_URL: adminUrl, CONGNO_TEST_TEMPLATE: template, CONGNO_TEST_DB_KIND: kind, CONGNO_TEST_RUN_ID: String(process.pid) },
      });
      child.stdout.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk);
        const text = chunk.toString();
        const m = /^# \{ total: .*\}$/m.exec(text);
        if (m) summary = m[0];
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    // tap's summary, e.g. "# { total: 12, pass: 11, fail: 1 }", as the line CI reads.
    const count = (key: string): number => Number(new RegExp(`${key}: (\\d+)`).exec(summary)?.[1] ?? 0);
    const failed = count('fail') + (summary ? 0 : code === 0 ? 0 : 1);
    process.stdout.write(`tests (${kind}): ${count('pass')} passed, ${failed} failed\n`);
  } finally {
    const leftovers = await admin.query(`select datname from pg_database where datname like $1 or datname = $2`, [`congno_t_${process.pid}_%`, template]);
    for (const row of leftovers.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`).catch(() => {});
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) await fs.rm(embeddedDir, { recursive: true, force: true });
  }
  return code;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`test setup failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
