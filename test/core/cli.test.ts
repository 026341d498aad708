/**
 * The `congno` command against a database of its own (DATABASE_URL): exit codes, what it prints,
 * and what it leaves in the database. The main paths run it as a child process, the way an
 * integrator does; the many refusals run the same `run()` in this process (a process start costs
 * a second or two under tsx).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../config/index.js';
import { buildApp, PROJECT_ROOT } from '../../core/app.js';
import { hashToken } from '../../core/auth/tokens.js';
import { run } from '../../core/cli.js';
import { createDb, createPool } from '../../core/db/kysely.js';
import { createTestDatabase } from '../helpers/database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Run { code: number | null; stdout: string; stderr: string }

const database = await createTestDatabase('template0'); // empty: `migrate` has everything to do
const db = createDb(createPool(database.url, 2));
t.teardown(async () => {
  await db.destroy();
  await database.drop();
});

// A plain environment, as an integrator's shell: without tap's NODE_OPTIONS hooks, which make every run slow.
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|TAP|_TAPJS_|CONGNO_)/.test(k)));
Object.assign(env, { DATABASE_URL: database.url, CONGNO_MODULES: 'example', LOG_LEVEL: 'silent' });

/** In this process: the same command, same environment. */
async function here(...args: string[]): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const code = await run(args, { env, out: (text) => { output.stdout += text; }, err: (text) => { output.stderr += text; } });
  return { code, ...output };
}

/** As a child process: node --import tsx core/cli.ts … */
function congno(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'core/cli.ts', ...args], { cwd: PROJECT_ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

interface Asserts { equal(found: unknown, wanted: unknown, message: string): unknown; match(found: unknown, wanted: RegExp, message: string): unknown }

/** A refusal: exit code, and exactly one line on stderr that matches. */
function refused(t: Asserts, run: Run, code: number, line: RegExp, what: string): void {
  t.equal(run.code, code, `${what}: exit ${code}`);
  const lines = run.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `${what}: one line (${JSON.stringify(run.stderr)})`);
  t.match(lines[0], line, what);
  t.equal(run.stdout, '', `${what}: nothing on stdout`);
}

// These need no database: started now, they run while the database is migrated.
const helpRuns = Promise.all([congno('--help'), congno('frobnicate'), here('tenant', 'delete', 'acme')]);

t.test('migrate runs what is pending, then has nothing to do', async (t) => {
  const first = await congno('migrate');
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /^migration core\/0001_core: Success$/m);
  t.match(first.stdout, /^migration example\/0001_create_notes: Success$/m, 'the installed modules’ too');
  const recorded = await sql<{ name: string }>`select name from migrations_core`.execute(db);
  const files = readdirSync(path.join(PROJECT_ROOT, 'migrations')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  t.ok(files.length >= 2, 'core has migrations');
  t.same(recorded.rows.map((r) => r.name).sort(), files, 'every core migration recorded in the database');
  const second = await here('migrate');
  t.equal(second.code, 0);
  t.equal(second.stdout, '', 'nothing ran');
  t.match(second.stderr, /is up to date: core and 1 module\(s\): example/);
});

t.test('help, and a command it does not know', async (t) => {
  const [help, unknown, subcommand] = await helpRuns;
  t.equal(help.code, 0);
  t.match(help.stdout, /congno tenant create <slug> --name <name> --currency/);
  t.match(help.stdout, /congno token create <tenant-slug> --name <name> --role clerk\|accountant\|sales/);
  t.equal(unknown.code, 2, 'an unknown command exits 2');
  t.match(unknown.stderr, /^congno: unknown command 'frobnicate'\n/, 'names the command');
  t.match(unknown.stderr, /Usage:\n {2}congno migrate/, 'and shows the usage');
  t.equal(unknown.stdout, '');
  t.equal(subcommand.code, 2);
  t.match(subcommand.stderr, /^congno: tenant: unknown subcommand 'delete' \(create, list\)/);
});

t.test('tenants: create prints the id; bad input names the argument', async (t) => {
  const created = await congno('tenant', 'create', 'acme', '--name', 'Công ty TNHH ACME', '--currency', 'VND', '--timezone', 'Asia/Bangkok');
  t.equal(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  t.match(id, UUID, 'stdout is the id alone');
  const row = await db.selectFrom('core_tenant').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  t.same({ slug: row.slug, name: row.name, currency: row.currency.trim(), timezone: row.timezone, locale: row.locale },
    { slug: 'acme', name: 'Công ty TNHH ACME', currency: 'VND', timezone: 'Asia/Bangkok', locale: 'vi-VN' });

  const [currency, lowerCase, noName, noCurrency, missingValue, slug, timezone, option, extra, duplicate] = await Promise.all([
    congno('tenant', 'create', 'binh-minh', '--name', 'Bình Minh', '--currency', 'XYZ'),
    here('tenant', 'create', 'binh-minh', '--name', 'Bình Minh', '--currency', 'vnd'),
    here('tenant', 'create', 'binh-minh', '--currency', 'VND'),
    here('tenant', 'create', 'binh-minh', '--name', 'Bình Minh'),
    here('tenant', 'create', 'binh-minh', '--currency', 'VND', '--name'),
    here('tenant', 'create', 'Bình_Minh', '--name', 'Bình Minh', '--currency', 'VND'),
    here('tenant', 'create', 'binh-minh', '--name', 'Bình Minh', '--currency', 'VND', '--timezone', 'Asia/Hanoi'),
    here('tenant', 'create', 'binh-minh', '--name', 'Bình Minh', '--currency', 'VND', '--colour', 'blue'),
    here('tenant', 'create', 'binh-minh', 'binh-minh-2', '--name', 'Bình Minh', '--currency', 'VND'),
    here('tenant', 'create', 'acme', '--name', 'ACME again', '--currency', 'USD'),
  ]);
  refused(t, currency, 2, /^congno: tenant create: --currency: currency 'XYZ' is not an ISO 4217 code such as VND or USD$/, 'an unknown currency (child process)');
  refused(t, lowerCase, 2, /^congno: tenant create: --currency: currency 'vnd' is not an ISO 4217 code/, 'a lower-case currency');
  refused(t, noName, 2, /^congno: tenant create: missing --name$/, 'no --name');
  refused(t, noCurrency, 2, /^congno: tenant create: missing --currency$/, 'no --currency');
  refused(t, missingValue, 2, /^congno: tenant create: --name needs a value$/, 'an option without its value');
  refused(t, slug, 2, /^congno: tenant create: <slug>: slug 'Bình_Minh' must be/, 'a bad slug');
  refused(t, timezone, 2, /^congno: tenant create: --timezone: timezone 'Asia\/Hanoi' is not an IANA time zone/, 'an unknown time zone');
  refused(t, option, 2, /^congno: tenant create: unknown option '--colour'$/, 'an unknown option');
  refused(t, extra, 2, /^congno: tenant create: unexpected argument 'binh-minh-2'$/, 'an extra argument');
  refused(t, duplicate, 1, /^congno: tenant create: A tenant with slug 'acme' already exists$/, 'a slug taken');
  const slugs = (await db.selectFrom('core_tenant').select('slug').execute()).map((r) => r.slug);
  t.same(slugs, ['acme'], 'nothing else was created');

  const list = await here('tenant', 'list');
  t.equal(list.code, 0);
  t.match(list.stdout, /^SLUG\s+ID\s+CURRENCY\s+TIMEZONE\s+LOCALE\s+MODULES\s+NAME\n/);
  t.match(list.stdout, new RegExp(`^acme\\s+${id}\\s+VND\\s+Asia/Bangkok\\s+vi-VN\\s+-\\s+Công ty TNHH ACME$`, 'm'));
});

const moduleState = async () => (await db.selectFrom('core_tenant_module as m').innerJoin('core_tenant as t', 't.id', 'm.tenant_id')
  .select(['m.module', 'm.state', 'm.version']).where('t.slug', '=', 'acme').execute());

t.test('modules: list, and enable prints the closure', async (t) => {
  const [list, enabled] = await Promise.all([here('module', 'list'), congno('module', 'enable', 'acme', 'example')]);
  t.equal(list.code, 0);
  t.match(list.stdout, /^MODULE\s+VERSION\s+DEPENDS\s+SUMMARY\nexample\s+1\.1\.0\s+-\s+Notes on a tenant/);

  t.equal(enabled.code, 0, enabled.stderr);
  t.equal(enabled.stdout, 'example\n', 'the enabled closure, one module a line');
  t.same(await moduleState(), [{ module: 'example', state: 'enabled', version: '1.1.0' }]);
  const audit = await db.selectFrom('core_audit').select(['action', 'entity_id', 'actor_user_id']).execute();
  t.same(audit, [{ action: 'module.enabled', entity_id: 'example', actor_user_id: null }], 'audited, as the system');

  const [noTenant, noModule] = await Promise.all([
    here('module', 'enable', 'nobody', 'example'),
    here('module', 'enable', 'acme', 'ledgers'),
  ]);
  refused(t, noTenant, 1, /^congno: module enable: <tenant-slug>: no tenant 'nobody'/, 'an unknown tenant');
  refused(t, noModule, 1, /^congno: module enable: <module>: no module 'ledgers' is installed on this server/, 'an unknown module');
});

t.test('tokens: printed once, stored hashed, and they authenticate', async (t) => {
  const created = await congno('token', 'create', 'acme', '--name', 'Chị Lan', '--role', 'accountant');
  t.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  t.match(token, /^cng_[A-Za-z0-9_-]{43}$/, 'stdout is the token alone');
  t.notMatch(created.stderr, token, 'printed once');
  const stored = await db.selectFrom('core_token').select(['role', 'name', 'token_hash', 'user_id']).where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
  t.equal(stored.role, 'accountant');
  t.equal(stored.name, 'Chị Lan');
  t.ok(stored.user_id, 'bound to a new user of the tenant');
  const leaked = await db.selectFrom('core_token').select('id').where('token_hash', '=', token).execute();
  t.same(leaked, [], 'the token itself is nowhere in the database');

  const admin = await here('token', 'create-admin', '--name', 'ops');
  t.equal(admin.code, 0, admin.stderr);
  const adminToken = admin.stdout.trim();
  t.match(adminToken, /^cng_/);

  const [role, noRole, noTenant, manager] = await Promise.all([
    here('token', 'create', 'acme', '--name', 'X', '--role', 'boss'),
    here('token', 'create', 'acme', '--name', 'X'),
    here('token', 'create', 'nobody', '--name', 'X', '--role', 'clerk'),
    here('token', 'create', 'acme', '--name', 'X', '--role', 'sales', '--manager', 'Minh'),
  ]);
  refused(t, role, 2, /^congno: token create: --role must be one of accountant, clerk, sales \(not 'boss'\)$/, 'an unknown role');
  refused(t, noRole, 2, /^congno: token create: missing --role$/, 'no role');
  refused(t, noTenant, 1, /^congno: token create: <tenant-slug>: no tenant 'nobody'/, 'an unknown tenant');
  refused(t, manager, 2, /^congno: token create: --manager must be a user id \(uuid\), not 'Minh'$/, 'a manager that is not a user id');

  const config = loadConfig({ databaseUrl: database.url, logLevel: 'silent', modules: ['example'] }, {});
  const app = await buildApp({ config, db, databaseUrl: database.url, logger: false });
  t.teardown(() => app.close());
  const notes = await app.inject({ method: 'POST', url: '/api/example/notes', headers: { authorization: `Bearer ${token}` }, payload: { text: 'Đã đối chiếu công nợ quý 3' } });
  t.equal(notes.statusCode, 201, 'the accountant’s token works on the enabled module');
  const tenants = await app.inject({ method: 'GET', url: '/api/admin/tenants', headers: { authorization: `Bearer ${adminToken}` } });
  t.equal(tenants.statusCode, 200, 'the admin token works on the admin API');
  t.same(tenants.json().map((x: { slug: string; modules: string[] }) => [x.slug, x.modules]), [['acme', ['example']]]);
  t.equal((await app.inject({ method: 'GET', url: '/api/admin/tenants', headers: { authorization: `Bearer ${token}` } })).statusCode, 403, 'a tenant token is no admin');
});

t.test('modules: disable keeps the data, and says when there is nothing to do', async (t) => {
  const disabled = await here('module', 'disable', 'acme', 'example');
  t.equal(disabled.code, 0, disabled.stderr);
  t.equal(disabled.stdout, 'example\n');
  t.same(await moduleState(), [{ module: 'example', state: 'disabled', version: '1.1.0' }], 'disabled, its row kept');
  const notes = await sql<{ n: bigint }>`select count(*) as n from example_note`.execute(db);
  t.equal(notes.rows[0].n, 1n, 'the note written before is kept');
  const again = await here('module', 'disable', 'acme', 'example');
  t.equal(again.code, 0);
  t.equal(again.stdout, '');
  t.match(again.stderr, /was not enabled for 'acme'; nothing changed/);
});
