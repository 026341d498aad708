import type { FastifyInstance } from 'fastify';
import { Type, type TObject, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { tenantOf } from '../plugins/auth.js';
import type { Enablement, ModuleState } from './enablement.js';
import type { ModuleManifest } from './manifest.js';

/*
 * A tenant's settings of a module, as both routes show and change them: the integrator's
 * `GET/PATCH /api/admin/tenants/{slug}/modules/{module}` and the tenant's own
 * `GET/PATCH /api/<module>/settings` (accountant). Secrets are masked here, validation and the
 * merge are Enablement.updateSettings: one code path for both audiences.
 */

/** What a secret setting reads as through the API. */
export const MASK = '***';

/** Setting names that hold secrets: masked in answers, never written to the audit log. */
const SECRET_KEY = /password|secret|token|apikey|api_key|privatekey/i;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Settings as an answer shows them: every non-empty secret replaced by '***' — also each value of
 * an object whose name says secret (`secretHeaders: {Authorization: …}`).
 */
export function maskSecrets(settings: Record<string, unknown>, secret = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    const hidden = secret || SECRET_KEY.test(k);
    if (hidden && typeof v === 'string' && v !== '') out[k] = MASK;
    else out[k] = isPlainObject(v) ? maskSecrets(v, hidden) : v;
  }
  return out;
}

/** A module state as an answer shows it (secrets masked). */
export function presentState(state: ModuleState): ModuleState {
  return { ...state, settings: maskSecrets(state.settings) };
}

/** Drops secrets sent back as the API shows them ('***'), so a read-modify-write keeps the stored ones. */
export function withoutMasks(patch: Record<string, unknown>, secret = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    const hidden = secret || SECRET_KEY.test(k);
    if (hidden && v === MASK) continue;
    out[k] = isPlainObject(v) ? withoutMasks(v, hidden) : v;
  }
  return out;
}

/** Secrets (passwords, tokens, keys) never go into the audit log. */
export function redact(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (SECRET_KEY.test(k)) out[k] = v === undefined || v === null || v === '' ? v : MASK;
    else out[k] = isPlainObject(v) ? redact(v) : v;
  }
  return out;
}

/** Who changes settings: the integrator (admin route) or the tenant's accountant (tenant route). */
export type SettingsEditor = 'integrator' | 'tenant';

/**
 * Settings a module marks `integratorOnly: true` (a schema option on a property of the settings
 * object or of an object nested in it), as field names (`settings.a.b`). The tenant sees them and
 * may send them back unchanged; changing them is the integrator's.
 */
function integratorOnlyFields(schema: TSchema, prefix = 'settings'): Array<{ field: string; path: string[] }> {
  const out: Array<{ field: string; path: string[] }> = [];
  const walk = (node: TSchema, path: string[]): void => {
    const props = (node as { properties?: Record<string, TSchema> }).properties;
    if (!props) return;
    for (const [k, sub] of Object.entries(props)) {
      if ((sub as { integratorOnly?: unknown }).integratorOnly === true) out.push({ field: [prefix, ...path, k].join('.'), path: [...path, k] });
      else walk(sub, [...path, k]);
    }
  };
  walk(schema, []);
  return out;
}

const at = (value: unknown, path: string[]): unknown => path.reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), value);

/** The first integrator-only setting that `merged` changes from `current`, or null. */
export function changedIntegratorOnlyField(schema: TSchema, current: Record<string, unknown>, merged: Record<string, unknown>): string | null {
  for (const { field, path } of integratorOnlyFields(schema)) if (!Value.Equal(at(current, path), at(merged, path))) return field;
  return null;
}

/** The body of both PATCH routes, as validated: `{settings: {...}}`, checked against the module's schema after the merge. */
export const SettingsPatchBody = Type.Object({ settings: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false });

/**
 * A module's settings schema as the tenant route documents it (a plain JSON copy): secrets say
 * they read as '***', integrator-only settings are read-only. For a PATCH body (`patch: true`)
 * nothing is required and there are no defaults: a client sends what changes and the rest is kept.
 */
export function documentedSettings(schema: TObject, patch: boolean): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  const walk = (node: Record<string, unknown>): void => {
    if (patch) delete node.required;
    const props = node.properties;
    if (!isPlainObject(props)) return;
    for (const [k, sub] of Object.entries(props)) {
      if (!isPlainObject(sub)) continue;
      if (patch) delete sub.default;
      const notes: string[] = typeof sub.description === 'string' ? [sub.description] : [];
      if (SECRET_KEY.test(k)) notes.push(`Secret: reads as '${MASK}'; sending '${MASK}' back (or leaving it out) keeps the stored value.`);
      if (sub.integratorOnly === true) {
        delete sub.integratorOnly;
        sub.readOnly = true;
        notes.push('Set by the integrator (PATCH /api/admin/tenants/{slug}/modules/{module}); sent back unchanged it is accepted, changed it is refused (403).');
      }
      if (notes.length > 0) sub.description = notes.join(' ');
      walk(sub);
    }
  };
  walk(copy);
  return copy;
}

const Problem = Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.Optional(Type.String()), field: Type.Optional(Type.String()) }, { additionalProperties: true });

/**
 * `GET/PATCH /settings` inside a module's route scope (so under `/api/<module>`, behind the guard
 * that answers 404 when the tenant has not enabled it), for the accountant. Registered by the
 * loader for every module whose manifest declares `settings`.
 *
 * The OpenAPI document shows the module's own schema; validation is deliberately not Fastify's
 * on that schema (it would fill defaults into a patch and name fields differently) but the admin
 * route's: the body is checked as `{settings: object}`, merged into the stored settings, and the
 * result validated against the module's schema by Enablement.updateSettings. Answers are plain
 * JSON, like the admin route's, so a stored value an older schema allowed is still shown.
 */
export function registerTenantSettingsRoutes(scope: FastifyInstance, manifest: ModuleManifest, enablement: Enablement): void {
  const schema = manifest.settings;
  if (!schema) return;
  const name = manifest.name;
  const tags = [`${name}: settings`];
  const State = (settings: Record<string, unknown>) => Type.Object({
    state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]), version: Type.String(), settings: Type.Unsafe(settings),
  });
  const config = { roles: ['accountant' as const] };
  const plainJson = () => (data: unknown) => JSON.stringify(data);

  scope.get('/settings', {
    config,
    serializerCompiler: plainJson,
    schema: {
      tags, summary: `This tenant's settings of ${name} (secrets read as '${MASK}')`,
      response: { 200: State(documentedSettings(schema, false)), 403: Problem, 404: Problem },
    },
  }, async (request) => presentState(await enablement.state(tenantOf(request).id, name)));

  const validate = scope.validatorCompiler;
  if (!validate) throw new Error('core: the validator compiler must be set before module routes are registered');
  scope.patch('/settings', {
    config,
    serializerCompiler: plainJson,
    validatorCompiler: (route) => validate(route.httpPart === 'body' ? { ...route, schema: SettingsPatchBody } : route),
    schema: {
      tags, summary: `Change this tenant's settings of ${name}: the fields sent are merged into the stored ones and the whole is validated`,
      body: Type.Object({ settings: Type.Unsafe(documentedSettings(schema, true)) }, { additionalProperties: false }),
      response: { 200: State(documentedSettings(schema, false)), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (request) => {
    const body = request.body as { settings: Record<string, unknown> };
    return presentState(await enablement.updateSettings(tenantOf(request).id, name, body.settings, request.actor, 'tenant'));
  });
}
