import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import path from 'node:path';

/** Server configuration: defaults, overridden by environment variables, validated at start. */
export const ConfigSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  /** External PostgreSQL; when absent the embedded server in `dataDir` is used. */
  databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
  dataDir: Type.String({ default: './data' }),
  embeddedPort: Type.Integer({ minimum: 1, maximum: 65535, default: 54329 }),
  adminToken: Type.Optional(Type.String({ minLength: 16 })),
  /**
   * The address customers reach this server at (`https://congno.example.vn`), for the links they
   * are sent (a balance confirmation). Unset: the address the clerk's request came to.
   */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$' })),
  /** Modules installed on this server (the catalogue). Empty = every module folder not starting with `_`. */
  modules: Type.Array(Type.String(), { default: [] }),
  logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')], { default: 'info' }),
  bodyLimit: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
  poolSize: Type.Integer({ minimum: 2, default: 20 }),
  relay: Type.Object({
    enabled: Type.Boolean({ default: true }),
    pollMs: Type.Integer({ minimum: 10, default: 1000 }),
    workers: Type.Integer({ minimum: 1, default: 2 }),
    /** First retry delay of a failed subscriber; doubles with each failure (tests set it tiny). */
    backoffMs: Type.Optional(Type.Integer({ minimum: 0 })),
  }, { default: {} }),
  scheduler: Type.Object({ enabled: Type.Boolean({ default: true }) }, { default: {} }),
  auth: Type.Object({
    /** Failed authentications allowed per client address per minute before 429. */
    maxFailuresPerMinute: Type.Integer({ minimum: 1, default: 20 }),
    /** How long a verified token stays cached in the process (revocation takes at most this long). */
    cacheMs: Type.Integer({ minimum: 0, default: 5000 }),
  }, { default: {} }),
  /**
   * How long an Idempotency-Key reservation lasts without renewal. A running request renews it;
   * after a crash a retry with the same key runs once this has passed.
   */
  idempotencyLeaseMs: Type.Integer({ minimum: 100, default: 20_000 }),
});
export type Config = Static<typeof ConfigSchema>;

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.HOST) out.host = env.HOST;
  if (env.PORT) out.port = Number(env.PORT);
  if (env.DATABASE_URL) out.databaseUrl = env.DATABASE_URL;
  if (env.CONGNO_DATA_DIR) out.dataDir = env.CONGNO_DATA_DIR;
  if (env.CONGNO_EMBEDDED_PG_PORT) out.embeddedPort = Number(env.CONGNO_EMBEDDED_PG_PORT);
  if (env.CONGNO_ADMIN_TOKEN) out.adminToken = env.CONGNO_ADMIN_TOKEN;
  if (env.CONGNO_PUBLIC_URL) out.publicUrl = env.CONGNO_PUBLIC_URL;
  if (env.CONGNO_MODULES) out.modules = env.CONGNO_MODULES.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  if (env.CONGNO_POOL_SIZE) out.poolSize = Number(env.CONGNO_POOL_SIZE);
  if (env.CONGNO_IDEMPOTENCY_LEASE_MS) out.idempotencyLeaseMs = Number(env.CONGNO_IDEMPOTENCY_LEASE_MS);
  return out;
}

/** Builds the configuration from defaults, the environment and explicit overrides (tests). */
export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = { ...fromEnv(env), ...overrides };
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw)) as Config;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const e = errors[0] as { instancePath?: string; message?: string };
    throw new Error(`Invalid configuration at '${e.instancePath || '/'}': ${e.message}`);
  }
  withDefaults.dataDir = path.resolve(withDefaults.dataDir);
  return withDefaults;
}
