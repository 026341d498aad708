import pg from 'pg';
import crypto from 'node:crypto';

/** Connection string of the test cluster's maintenance database (set by test/run.ts). */
export function adminUrl(): string {
  const url = process.env.CONGNO_TEST_ADMIN_URL;
  if (!url) throw new Error('CONGNO_TEST_ADMIN_URL is not set: run the tests with `npm test` (test/run.ts sets up the database).');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database copied from the migrated template (or empty with `template: 'template0'`). */
export async function createTestDatabase(template = process.env.CONGNO_TEST_TEMPLATE ?? 'template0'): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `congno_t_${process.env.CONGNO_TEST_RUN_ID ?? process.pid}_${crypto.randomBytes(6).toString("hex")}`;
  await admin(async (c) => {
    // Copies of one template cannot start while another session is connected to it; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`create database "${name}" template "${template}"`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  return {
    name,
    url: withDatabase(adminUrl(), name),
    drop: () => admin(async (c) => { await c.query(`drop database if exists "${name}" with (force)`); }),
  };
}
