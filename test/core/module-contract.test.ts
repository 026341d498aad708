/**
 * The contract every module under modules/ keeps, checked for each folder automatically: a valid
 * manifest, migrations that run on an empty database, enable → disable → enable through the admin
 * API without side effects on repetition, and every route answering 404 while disabled.
 */
import t from 'tap';
import { sql } from 'kysely';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { MODULES_DIR, PROJECT_ROOT } from '../../core/app.js';
import { migrate } from '../../core/db/connect.js';
import { createDb, createPool, type Db } from '../../core/db/kysely.js';
import { discoverModules, loadRegistry, readManifest, type InstalledModule } from '../../core/modules/registry.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { createTestDatabase } from '../helpers/database.js';

const A_UUID = '0b4f6c2e-8d1a-4e7b-9c3f-5a2d1e6b7c80';

/**
 * Every route of the app, from the router's own listing (Fastify has no route list API; the
 * listing is cross-checked against the OpenAPI document below, so a format change cannot hide routes).
 */
function listRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const segments: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/.exec(line);
    if (!m) continue;
    segments.length = m[1].length / 4;
    segments.push(m[2] === '(empty root node)' ? '' : m[2]);
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, url: segments.join('') });
  }
  return routes;
}

function documentedRoutes(app: FastifyInstance, prefix: string): string[] {
  const doc = app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths ?? {})
    .filter(([url]) => url.startsWith(`${prefix}/`) || url === prefix)
    .flatMap(([url, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${url.replace(/\{([^}]+)\}/g, ':$1')}`));
}

/** Routes without an account (`security: []`: a provider's callback): they find their tenant in a link token, not in a bearer token. */
function publicRoutes(app: FastifyInstance, prefix: string): Set<string> {
  const doc = app.swagger() as { paths?: Record<string, Record<string, { security?: unknown[] }>> };
  return new Set(Object.entries(doc.paths ?? {})
    .filter(([url]) => url.startsWith(`${prefix}/`))
    .flatMap(([url, ops]) => Object.entries(ops).filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
      .flatMap(([method]) => [method.toUpperCase(), ...(method === 'get' ? ['HEAD'] : [])].map((m) => `${m} ${url.replace(/\{([^}]+)\}/g, ':$1')}`))));
}

async function tableNames(db: Db): Promise<Set<string>> {
  const r = await sql<{ relname: string }>`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition`.execute(db);
  return new Set(r.rows.map((row) => row.relname));
}

const modules = [...(await discoverModules(MODULES_DIR)).entries()].sort(([a], [b]) => a.localeCompare(b));
t.ok(modules.length > 0, 'there are modules to check');

for (const [name, dir] of modules) {
  t.test(`module '${name}' (modules/${path.basename(dir)})`, async (t) => {
    let closure: InstalledModule[] = [];

    t.test('its manifest is valid and its dependencies are installed', async (t) => {
      const manifest = await readManifest(dir);
      t.equal(manifest.name, name, 'the name is the folder’s (without a leading _)');
      t.match(manifest.version, /^\d+\.\d+\.\d+/);
      t.ok(manifest.summary.trim().length > 0, 'it has a summary');
      closure = await loadRegistry(MODULES_DIR, [name]);
      t.ok(closure.some((m) => m.manifest.name === name), 'the registry installs it');
      for (const dep of manifest.depends) t.ok(closure.some((m) => m.manifest.name === dep), `its dependency '${dep}' is installed with it`);
      for (const event of manifest.emits ?? []) t.match(event, /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, `emits '${event}': <aggregate>.<past_tense>`);
    });

    t.test('its migrations run up on an empty database', async (t) => {
      t.ok(closure.length > 0, 'the manifest loaded');
      const database = await createTestDatabase('template0');
      const db = createDb(createPool(database.url, 2));
      t.teardown(async () => {
        await db.destroy();
        await database.drop();
      });
      // Core and the dependencies first, then the module alone: what it adds is its own.
      await migrate(db, closure.filter((m) => m.manifest.name !== name), PROJECT_ROOT);
      const before = await tableNames(db);
      const ran: string[] = [];
      await migrate(db, closure, PROJECT_ROOT, (line) => ran.push(line));
      t.ok(ran.every((line) => line.startsWith(`migration ${name}/`) && line.endsWith(': Success')), 'only its own migrations ran, all successfully');
      const again: string[] = [];
      await migrate(db, closure, PROJECT_ROOT, (line) => again.push(line));
      t.same(again, [], 'a second run has nothing to do');

      const prefixes = [`${name.replace(/-/g, '_')}_`, `${name.replace(/-/g, '')}_`];
      const created = [...(await tableNames(db))].filter((table) => !before.has(table) && !table.startsWith('migrations_'));
      for (const table of created) {
        t.ok(prefixes.some((p) => table.startsWith(p)), `table ${table} is prefixed with the module name (${prefixes.join(' or ')})`);
        const isolation = await sql<{ rls: boolean; tenant_id: boolean }>`
          select c.relrowsecurity as rls,
                 exists (select 1 from information_schema.columns where table_schema = 'public' and table_name = ${table} and column_name = 'tenant_id') as tenant_id
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = ${table}`.execute(db);
        t.same(isolation.rows[0], { rls: true, tenant_id: true }, `table ${table} has tenant_id and row-level security (isolateTenantTable)`);
      }
    });

    t.test('through the admin API: enable → disable → enable, every step repeatable; routes 404 while disabled', async (t) => {
      const h = await buildTestApp(t, { config: { modules: [name] } }); // installed, enabled for no tenant
      const admin = { token: h.adminToken };
      const url = `/api/admin/tenants/${h.tenant.slug}/modules/${name}`;
      const prefix = `/api/${name}`;
      const tokens = { clerk: h.token, accountant: (await h.tokenFor('accountant')).token, sales: (await h.tokenFor('sales')).token };
      const notEnabled = `Module '${name}' is not enabled for this tenant.`;
      const enabledEvents = async (): Promise<number> => {
        const r = await sql<{ n: bigint }>`select count(*) as n from core_event_outbox
          where tenant_id = ${h.tenant.id} and name = 'tenant.module_enabled' and payload->>'module' = ${name}`.execute(h.db);
        return Number(r.rows[0].n);
      };

      const routes = listRoutes(h.app).filter((r) => r.url === prefix || r.url.startsWith(`${prefix}/`));
      const listed = new Set(routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`));
      t.same([...listed].sort(), documentedRoutes(h.app, prefix).sort(), 'every route of the module is in the OpenAPI document, and nothing else');
      const hasRoutes = await fs.stat(path.join(dir, 'routes')).then((s) => s.isDirectory(), () => false);
      if (hasRoutes) t.ok(routes.length > 0, 'its routes/ are mounted under ' + prefix);

      const open = publicRoutes(h.app, prefix);
      const everyRoute404 = async (when: string): Promise<void> => {
        for (const route of routes) {
          const target = route.url.replace(/:[^/]+/g, A_UUID).replace(/\*/g, 'anything');
          for (const [role, token] of Object.entries(tokens)) {
            const res = await h.request(route.method as 'GET', target, ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined, { token });
            t.equal(res.statusCode, 404, `${when}: ${route.method} ${route.url} as ${role} → 404`);
            // A public route cannot tell whose module it is from a bearer token: its link names no tenant with the module.
            if (route.method !== 'HEAD' && !open.has(`${route.method} ${route.url}`)) t.equal(res.json().detail, notEnabled, `${when}: ${route.method} ${route.url} says the module is not enabled`);
          }
        }
      };

      await everyRoute404('never enabled');
      t.equal((await h.request('GET', url, undefined, admin)).json().state, 'disabled');

      const first = await h.request('PUT', url, undefined, admin);
      t.equal(first.statusCode, 200, 'enable');
      const closureNames = (await loadRegistry(MODULES_DIR, [name])).map((m) => m.manifest.name);
      t.ok(first.json().enabled.includes(name), 'the module is enabled');
      for (const n of closureNames) t.ok(first.json().enabled.includes(n), `with '${n}' of its closure`);
      const enabledState = (await h.request('GET', url, undefined, admin)).json();
      t.equal(enabledState.state, 'enabled');
      t.equal(enabledState.version, (await readManifest(dir)).version, 'at the installed version');
      t.equal(await enabledEvents(), 1);

      const repeat = await h.request('PUT', url, undefined, admin);
      t.equal(repeat.statusCode, 200, 'enabling again is accepted');
      t.same((await h.request('GET', url, undefined, admin)).json(), enabledState, 'and changes nothing');
      t.equal(await enabledEvents(), 1, 'no second tenant.module_enabled event');

      const disabled = await h.request('DELETE', url, undefined, admin);
      t.equal(disabled.statusCode, 200, 'disable');
      t.ok(disabled.json().disabled.includes(name));
      t.equal((await h.request('GET', url, undefined, admin)).json().state, 'disabled');
      const disabledAgain = await h.request('DELETE', url, undefined, admin);
      t.equal(disabledAgain.statusCode, 200, 'disabling again is accepted');
      t.same(disabledAgain.json(), { disabled: [] }, 'and disables nothing');
      await everyRoute404('after disable');

      const again = await h.request('PUT', url, undefined, admin);
      t.equal(again.statusCode, 200, 'enable again');
      t.ok(again.json().enabled.includes(name));
      t.same((await h.request('GET', url, undefined, admin)).json(), enabledState, 'the same state, version and settings as the first time');
      t.equal(await enabledEvents(), 2);
    });
  });
}
