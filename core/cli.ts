/**
 * `congno`: the integrator's command line. It opens the database the way the server does
 * (embedded under CONGNO_DATA_DIR unless DATABASE_URL is set; a running server's embedded
 * cluster is shared) and goes through the same code as the admin API.
 *
 * What a script needs (an id, a token) goes to stdout alone; explanations go to stderr.
 * Exit codes: 0 done, 1 failed (database, refused change), 2 bad command line.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config/index.js';
import type { Congno } from './app.js';
import { createAdminToken, createTenantToken, TENANT_ROLES, type TenantRole } from './auth/tokens.js';
import type { Database } from './db/connect.js';
import type { Db } from './db/kysely.js';
import { ProblemError } from './errors.js';
import { SYSTEM_ACTOR } from './events/types.js';
import { loadRegistry, ModuleRegistryError } from './modules/registry.js';
import { createTenant, tenantBySlug } from './tenants.js';
import { CORE_VERSION } from './version.js';

// The server, the database driver and the embedded PostgreSQL are imported when a command needs
// them: help and command-line mistakes answer at once.
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODULES_DIR = path.join(PROJECT_ROOT, 'modules');

const USAGE: Record<string, string> = {
  migrate: `  congno migrate
      Run every pending migration (core, then each installed module).`,
  tenant: `  congno tenant create <slug> --name <name> --currency <ISO 4217> [--timezone <IANA>] [--locale <BCP 47>]
      Create a tenant (a customer company); prints its id. Defaults: Asia/Ho_Chi_Minh, vi-VN.
  congno tenant list
      The tenants, with the modules each has enabled.`,
  module: `  congno module list
      The module catalogue installed on this server.
  congno module enable <tenant-slug> <module>
      Enable a module for a tenant, with its dependencies and link modules; prints what is enabled.
  congno module disable <tenant-slug> <module>
      Disable a module for a tenant (its data is kept).`,
  token: `  congno token create <tenant-slug> --name <name> --role clerk|accountant|sales [--manager <user-id>]
      Create a user of the tenant with that role and a bearer token for it; prints the token once.
  congno token create-admin --name <name>
      Create a platform-admin token (tenants, modules, tokens); prints it once.`,
  serve: `  congno serve
      Start the server (as npm start).`,
};

function usage(command?: string): string {
  const sections = command && USAGE[command] ? [USAGE[command]] : Object.values(USAGE);
  return `Usage:\n${sections.join('\n')}\n${command && USAGE[command] ? '' : `
  congno --help | --version

Environment: DATABASE_URL (else the embedded PostgreSQL in CONGNO_DATA_DIR, default the project's data/),
CONGNO_EMBEDDED_PG_PORT, CONGNO_MODULES (installed modules, comma-separated), HOST, PORT, LOG_LEVEL.
`}`;
}

/** A mistake on the command line: one line on stderr, exit code 2. */
class UsageError extends Error {
  constructor(message: string, readonly showUsage?: string) {
    super(message);
  }
}

/** A refusal or failure while doing the work: exit code 1. */
class CommandError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments: exactly the positionals named, only the options given. */
function parse<O extends Options>(command: string, args: string[], positionals: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
      throw new UsageError(`${command}: unknown option '${option}'`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const option = /'(--?[\w-]+)/.exec(e.message)?.[1] ?? '?';
      throw new UsageError(`${command}: ${option} needs a value`);
    }
    throw new UsageError(`${command}: ${e.message.split('. ')[0]}`);
  }
  const values = parsed.values as { help?: boolean } & { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  if (values.help) return { help: true as const, values, args: {} as Record<string, string> };
  const named: Record<string, string> = {};
  positionals.forEach((name, i) => {
    const value = parsed.positionals[i];
    if (value === undefined || value === '') throw new UsageError(`${command}: missing ${name}`);
    named[name] = value;
  });
  const extra = parsed.positionals[positionals.length];
  if (extra !== undefined) throw new UsageError(`${command}: unexpected argument '${extra}'`);
  return { help: false as const, values, args: named };
}

function required(command: string, option: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${command}: missing --${option}`);
  return value;
}

/** Runs `fn` against the database, closing it (and an embedded server this process started) after. */
async function withDatabase<T>(config: Config, fn: (database: Database) => Promise<T>): Promise<T> {
  const { openDatabase } = await import('./db/connect.js');
  const database = await openDatabase(config);
  try {
    return await fn(database);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') {
      throw new CommandError(`the database is not migrated (${(err as Error).message}): run 'congno migrate' first`);
    }
    throw err;
  } finally {
    await database.close();
  }
}

/** Core with its modules set up (their enable/disable callbacks and hooks run as in the server), without listening. */
async function withCore<T>(config: Config, fn: (core: Congno, db: Db) => Promise<T>): Promise<T> {
  const { buildApp } = await import('./app.js');
  return withDatabase(config, async (database) => {
    const app = await buildApp({ config, db: database.db, databaseUrl: database.url, background: false, logger: false });
    try {
      return await fn(app.congno, database.db);
    } finally {
      await app.close();
    }
  });
}

async function tenantOrFail(db: Db, argument: string, slug: string) {
  const tenant = await tenantBySlug(db, slug);
  if (!tenant) throw new CommandError(`${argument}: no tenant '${slug}' (see 'congno tenant list')`);
  return tenant;
}

/** A problem raised by core, with its field turned into the command-line argument that carried it. */
function asCommandError(err: unknown, command: string, fields: Record<string, string>): unknown {
  if (!(err instanceof ProblemError)) return err;
  const argument = err.field ? fields[err.field] ?? err.field : undefined;
  const message = `${command}: ${argument ? `${argument}: ` : ''}${err.detail ?? err.title}`;
  return err.status === 400 ? new UsageError(message) : new CommandError(message);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h';

/** Where a run reads its environment and writes: the process's own, or a test's. */
export interface Io {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

async function main(argv: string[], io: Io): Promise<number> {
  const out = (text: string): void => io.out(text);
  const note = (text: string): void => io.err(text);
  const showHelp = (command: string): number => { out(usage(command)); return 0; };
  const [command, sub, ...rest] = argv;
  if (command === undefined) {
    note(usage());
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') return showHelp(command === 'help' ? sub ?? '' : '');
  if (command === '--version' || command === '-v') {
    out(`congno ${CORE_VERSION}\n`);
    return 0;
  }
  if (!(command in USAGE)) throw new UsageError(`unknown command '${command}'`, usage());
  // The embedded database lives in the project's data/ (as with `npm start`), from whatever folder the command runs in.
  const config = loadConfig(io.env.CONGNO_DATA_DIR ? {} : { dataDir: path.join(PROJECT_ROOT, 'data') }, io.env);

  switch (command) {
    case 'migrate': {
      const { help } = parse('migrate', [sub, ...rest].filter((a) => a !== undefined), [], {});
      if (help) return showHelp('migrate');
      const modules = await loadRegistry(MODULES_DIR, config.modules);
      const { migrate } = await import('./db/connect.js');
      await withDatabase(config, async (database) => {
        const ran: string[] = [];
        await migrate(database.db, modules, PROJECT_ROOT, (line) => { ran.push(line); out(`${line}\n`); });
        const where = database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL';
        note(ran.length === 0
          ? `The database (${where}) is up to date: core and ${modules.length} module(s): ${modules.map((m) => m.manifest.name).join(', ') || 'none'}.\n`
          : `${ran.length} migration(s) run on the database (${where}).\n`);
      });
      return 0;
    }

    case 'tenant': {
      if (sub === 'create') {
        const { help, values, args } = parse('tenant create', rest, ['<slug>'], {
          name: { type: 'string' }, currency: { type: 'string' }, timezone: { type: 'string' }, locale: { type: 'string' },
        });
        if (help) return showHelp('tenant');
        const name = required('tenant create', 'name', values.name);
        const currency = required('tenant create', 'currency', values.currency);
        const tenant = await withDatabase(config, (database) => createTenant(database.db, { slug: args['<slug>'], name, currency, timezone: values.timezone, locale: values.locale }))
          .catch((err: unknown) => { throw asCommandError(err, 'tenant create', { slug: '<slug>', name: '--name', currency: '--currency', timezone: '--timezone', locale: '--locale' }); });
        note(`Tenant '${tenant.slug}' created. Enable modules with: congno module enable ${tenant.slug} <module>\n`);
        out(`${tenant.id}\n`);
        return 0;
      }
      if (sub === 'list') {
        const { help } = parse('tenant list', rest, [], {});
        if (help) return showHelp('tenant');
        const rows = await withDatabase(config, async (database) => {
          const tenants = await database.db.selectFrom('core_tenant').selectAll().orderBy('slug').execute();
          const enabled = await database.db.selectFrom('core_tenant_module').select(['tenant_id', 'module'])
            .where('state', '=', 'enabled').orderBy('module').execute();
          return tenants.map((t) => [t.slug, t.id, t.currency.trim(), t.timezone, t.locale,
            enabled.filter((m) => m.tenant_id === t.id).map((m) => m.module).join(',') || '-', t.name]);
        });
        if (rows.length === 0) note("No tenants yet: congno tenant create <slug> --name <name> --currency VND\n");
        else out(table([['SLUG', 'ID', 'CURRENCY', 'TIMEZONE', 'LOCALE', 'MODULES', 'NAME'], ...rows]));
        return 0;
      }
      if (isHelp(sub)) return showHelp('tenant');
      return usageError(sub === undefined ? 'tenant: missing subcommand (create, list)' : `tenant: unknown subcommand '${sub}' (create, list)`, 'tenant');
    }

    case 'module': {
      if (sub === 'list') {
        const { help } = parse('module list', rest, [], {});
        if (help) return showHelp('module');
        const modules = await loadRegistry(MODULES_DIR, config.modules);
        if (modules.length === 0) {
          note('No module is installed (modules/ has none, or CONGNO_MODULES lists none).\n');
          return 0;
        }
        out(table([['MODULE', 'VERSION', 'DEPENDS', 'SUMMARY'], ...modules.map((m) => [
          m.manifest.name + (m.manifest.autoInstall ? ' (link)' : ''), m.manifest.version, m.manifest.depends.join(',') || '-', m.manifest.summary,
        ])]));
        return 0;
      }
      if (sub === 'enable' || sub === 'disable') {
        const command = `module ${sub}`;
        const { help, args } = parse(command, rest, ['<tenant-slug>', '<module>'], {});
        if (help) return showHelp('module');
        const changed = await withCore(config, async (core, db) => {
          const tenant = await tenantOrFail(db, `${command}: <tenant-slug>`, args['<tenant-slug>']);
          if (!core.modules.some((m) => m.manifest.name === args['<module>'])) {
            throw new CommandError(`${command}: <module>: no module '${args['<module>']}' is installed on this server (see 'congno module list')`);
          }
          return sub === 'enable'
            ? core.enablement.enable(tenant.id, args['<module>'], SYSTEM_ACTOR)
            : core.enablement.disable(tenant.id, args['<module>'], SYSTEM_ACTOR);
        }).catch((err: unknown) => { throw asCommandError(err, command, {}); });
        if (sub === 'disable' && changed.length === 0) {
          note(`Module '${args['<module>']}' was not enabled for '${args['<tenant-slug>']}'; nothing changed.\n`);
          return 0;
        }
        note(`${sub === 'enable' ? 'Enabled' : 'Disabled'} for '${args['<tenant-slug>']}' (a running server sees it within seconds):\n`);
        out(changed.map((m) => `${m}\n`).join(''));
        return 0;
      }
      if (isHelp(sub)) return showHelp('module');
      return usageError(sub === undefined ? 'module: missing subcommand (list, enable, disable)' : `module: unknown subcommand '${sub}' (list, enable, disable)`, 'module');
    }

    case 'token': {
      if (sub === 'create') {
        const { help, values, args } = parse('token create', rest, ['<tenant-slug>'], { name: { type: 'string' }, role: { type: 'string' }, manager: { type: 'string' } });
        if (help) return showHelp('token');
        const name = required('token create', 'name', values.name);
        const role = required('token create', 'role', values.role);
        if (!TENANT_ROLES.includes(role as TenantRole)) throw new UsageError(`token create: --role must be one of ${TENANT_ROLES.join(', ')} (not '${role}')`);
        if (values.manager !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.manager)) {
          throw new UsageError(`token create: --manager must be a user id (uuid), not '${values.manager}'`);
        }
        const created = await withDatabase(config, async (database) => {
          const tenant = await tenantOrFail(database.db, 'token create: <tenant-slug>', args['<tenant-slug>']);
          if (values.manager) {
            const manager = await database.db.selectFrom('core_user').select('id').where('tenant_id', '=', tenant.id).where('id', '=', values.manager).executeTakeFirst();
            if (!manager) throw new CommandError(`token create: --manager: no user ${values.manager} in tenant '${tenant.slug}'`);
          }
          return createTenantToken(database.db, tenant.id, name, role as TenantRole, values.manager ?? null);
        });
        note(`Token of ${role} '${name}' (user ${created.userId}, token id ${created.tokenId}) for '${args['<tenant-slug>']}'; shown once, keep it safe:\n`);
        out(`${created.token}\n`);
        return 0;
      }
      if (sub === 'create-admin') {
        const { help, values } = parse('token create-admin', rest, [], { name: { type: 'string' } });
        if (help) return showHelp('token');
        const name = required('token create-admin', 'name', values.name);
        const token = await withDatabase(config, (database) => createAdminToken(database.db, name));
        note(`Platform-admin token '${name}'; shown once, keep it safe:\n`);
        out(`${token}\n`);
        return 0;
      }
      if (isHelp(sub)) return showHelp('token');
      return usageError(sub === undefined ? 'token: missing subcommand (create, create-admin)' : `token: unknown subcommand '${sub}' (create, create-admin)`, 'token');
    }

    case 'serve': {
      const { help } = parse('serve', [sub, ...rest].filter((a) => a !== undefined), [], {});
      if (help) return showHelp('serve');
      const { startServer } = await import('./server.js');
      await startServer(config);
      return -1; // keeps running until a signal
    }
  }
  return 2;
}

function usageError(message: string, command: string): never {
  throw new UsageError(message, usage(command));
}

/** Runs one command; resolves to its exit code (-1 for `serve`, which runs until a signal). */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    return await main(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`congno: ${err.message}\n${err.showUsage ? `\n${err.showUsage}` : ''}`);
      return 2;
    }
    const message = err instanceof CommandError || err instanceof ModuleRegistryError ? err.message
      : err instanceof Error ? err.message.split('\n')[0] : String(err);
    io.err(`congno: ${message}\n`);
    return 1;
  }
}

/** The command itself (core/bin.mjs, `npm run congno`): the process's arguments, output and exit code. */
export async function cli(): Promise<void> {
  const code = await run(process.argv.slice(2), {
    env: process.env,
    out: (text) => { process.stdout.write(text); },
    err: (text) => { process.stderr.write(text); },
  });
  if (code >= 0) process.exitCode = code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli();
