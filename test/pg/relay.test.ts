import t from 'tap';
import { sql } from 'kysely';
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { MODULES_DIR, PROJECT_ROOT } from '../../core/app.js';
import { migrate } from '../../core/db/connect.js';
import { createDb, createPool, withTenant, type Db } from '../../core/db/kysely.js';
import { migrateAll } from '../../core/db/migrate.js';
import { EventBus } from '../../core/events/bus.js';
import { OutboxRelay } from '../../core/events/relay.js';
import { discoverModules, loadRegistry } from '../../core/modules/registry.js';
import { createTenant } from '../../core/tenants.js';
import { createTestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';
import { JOURNAL_MIGRATIONS } from '../fixtures/event-modules/app.js';

const log = pino({ level: 'silent' });
const DELIVERIES = 200;

/** One server process's share of the relay: its own pool, bus and relay, and what its subscriber ran. */
function server(url: string, name: string) {
  const db = createDb(createPool(url, 6));
  const bus = new EventBus(log);
  const ran: string[] = [];
  bus.subscribe('journal', 'journal.posted', 'record', async (ctx, event) => {
    ran.push(event.id);
    await ctx.trx.insertInto('journal_effect').values({ tenant_id: ctx.tenantId, kind: `posted by ${name}`, ref: event.payload.ref, attempt: ctx.attempt }).execute();
    // Holds the claimed delivery a moment so the two relays really run side by side.
    await sql`select pg_sleep(0.002)`.execute(ctx.trx);
  }, 3);
  const relay = new OutboxRelay(db, bus, url, log, { workers: 4, pollMs: 20, backoffMs: 0 });
  return { db, bus, relay, ran };
}

t.test(`two relays draining the same ${DELIVERIES} deliveries deliver each exactly once`, async (t) => {
  const database = await createTestDatabase();
  const first = server(database.url, 'first');
  const second = server(database.url, 'second');
  t.teardown(async () => {
    await first.relay.stop();
    await second.relay.stop();
    await first.db.destroy();
    await second.db.destroy();
    await database.drop();
  });
  const db: Db = first.db;
  await migrateAll(db, [{ name: 'journal', folder: JOURNAL_MIGRATIONS }]);
  const tenant = await createTenant(db, { slug: 'acme', name: 'ACME Trading', currency: 'VND' });
  await db.insertInto('core_tenant_module').values({ tenant_id: tenant.id, module: 'journal', state: 'enabled', version: '1.0.0', settings: '{}', enabled_at: new Date() }).execute();

  await first.relay.start();
  await second.relay.start();
  // One commit makes all deliveries due at once; its NOTIFY wakes both relays together.
  await withTenant(db, tenant.id, async (trx) => {
    for (let i = 1; i <= DELIVERIES; i++) {
      await first.bus.emit(trx, tenant.id, 'journal.posted', { ref: `JE-${String(i).padStart(4, '0')}` }, 'journal');
    }
  });
  await waitFor(async () => {
    const row = await db.selectFrom('core_event_delivery').select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('tenant_id', '=', tenant.id).where('state', '=', 'pending').executeTakeFirstOrThrow();
    return row.n === 0n;
  }, 60_000);
  await first.relay.stop();
  await second.relay.stop();

  const effects = await db.selectFrom('journal_effect').select(['ref', 'attempt']).where('tenant_id', '=', tenant.id).execute();
  t.equal(effects.length, DELIVERIES, 'one side-effect row per delivery');
  t.equal(new Set(effects.map((e) => e.ref)).size, DELIVERIES, 'no entry was posted twice');
  t.ok(effects.every((e) => e.attempt === 1), 'each on its first attempt');

  const states = await db.selectFrom('core_event_delivery').select(['state', 'attempts', (eb) => eb.fn.countAll<bigint>().as('n')])
    .where('tenant_id', '=', tenant.id).groupBy(['state', 'attempts']).execute();
  t.same(states, [{ state: 'done', attempts: 1, n: BigInt(DELIVERIES) }], 'every delivery done, once');

  const ran = [...first.ran, ...second.ran];
  t.equal(ran.length, DELIVERIES, 'the subscriber ran 200 times in all');
  t.equal(new Set(ran).size, DELIVERIES, 'never twice for one event');
  t.ok(first.ran.length > 0 && second.ran.length > 0, `both relays took part (${first.ran.length} + ${second.ran.length})`);
});

t.test('two servers migrating an empty database at once both succeed and leave one set of tables', async (t) => {
  const database = await createTestDatabase('template0');
  const one = createDb(createPool(database.url, 2));
  const two = createDb(createPool(database.url, 2));
  t.teardown(async () => {
    await one.destroy();
    await two.destroy();
    await database.drop();
  });
  const modules = await loadRegistry(MODULES_DIR, [...(await discoverModules(MODULES_DIR)).keys()]);

  const results = await Promise.allSettled([migrate(one, modules, PROJECT_ROOT), migrate(two, modules, PROJECT_ROOT)]);
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled']);

  const sources = [{ table: 'migrations_core', folder: path.join(PROJECT_ROOT, 'migrations') },
    ...modules.map((m) => ({ table: `migrations_${m.manifest.name.replace(/-/g, '_')}`, folder: path.join(m.dir, 'migrations') }))];
  for (const source of sources) {
    const files = await fs.readdir(source.folder).catch(() => [] as string[]);
    if (files.length === 0) continue;
    const applied = await sql<{ name: string }>`select name from ${sql.table(source.table)} order by name`.execute(one);
    t.same(applied.rows.map((r) => r.name), files.filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort(), `${source.table}: each migration applied once`);
  }
  const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' and tablename like 'core\\_%' order by tablename`.execute(one);
  t.same(tables.rows.map((r) => r.tablename), ['core_audit', 'core_event_delivery', 'core_event_outbox', 'core_idempotency', 'core_tenant', 'core_tenant_module', 'core_token', 'core_user']);

  const secured = await sql<{ relname: string }>`select relname from pg_class where relrowsecurity and relname like 'core\\_%' order by relname`.execute(one);
  t.same(secured.rows.map((r) => r.relname), ['core_audit', 'core_event_delivery', 'core_event_outbox', 'core_idempotency', 'core_tenant_module', 'core_user'], 'row-level security set up once, on every tenant table');
  await t.resolves(migrate(two, modules, PROJECT_ROOT), 'a later pass finds nothing to do');
});
