import { Type, type Static, type TObject, type TSchema } from 'typebox';

/** What a module declares about itself: pure data, read by core without running module code. */
export interface ModuleManifest<S extends TObject = TObject, N extends string = string> {
  /** kebab-case; the folder's name (an underscore-prefixed folder holds an opt-in module). */
  name: N;
  /** semver of the module itself; a change runs `onUpgrade(from)` for every enabled tenant. */
  version: string;
  summary: string;
  /** Hard dependencies: enabled together, services and foreign keys allowed towards them. */
  depends: string[];
  /**
   * Soft dependencies: used when installed and enabled for the tenant, never required. Set up
   * before this module when installed; their `public.ts` may be imported, their service asked
   * for with `api.optionalService`. Check `api.isEnabled(trx, tenantId, name)` before use.
   */
  optional?: string[];
  /** A link module: enabled by itself as soon as every module it depends on is enabled. */
  autoInstall?: boolean;
  /** Per-tenant settings: a TypeBox object schema whose defaults fill what a tenant has not set. */
  settings?: S;
  /** Event names this module owns and emits. */
  emits?: string[];
  /** Event names this module subscribes to or hooks. */
  consumes?: string[];
  /** semver range of core this module works with. */
  core: string;
}

export const ManifestSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' }),
  version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$' }),
  summary: Type.String({ minLength: 1 }),
  depends: Type.Array(Type.String()),
  optional: Type.Optional(Type.Array(Type.String())),
  autoInstall: Type.Optional(Type.Boolean()),
  settings: Type.Optional(Type.Unknown()),
  emits: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$' }))),
  consumes: Type.Optional(Type.Array(Type.String())),
  core: Type.String({ minLength: 1 }),
}, { additionalProperties: false });

export type ManifestData = Static<typeof ManifestSchema>;

/** Declares a module's manifest (identity function that keeps the settings schema's type and the name). */
export function defineModule<S extends TObject, const N extends string>(manifest: ModuleManifest<S, N>): ModuleManifest<S, N> {
  return manifest;
}

export type SettingsOf<M> = M extends ModuleManifest<infer S, string> ? Static<S> : Record<string, never>;
export type { TSchema };
