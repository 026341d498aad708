import type { TObject } from 'typebox';
import { Value } from 'typebox/value';
import { sql } from 'kysely';
import { withTenant, type Db, type Trx } from '../db/kysely.js';
import { ProblemError, badRequest, conflict, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { forgetTenantModules, tenantModules } from './snapshot.js';
import type { Actor } from '../events/types.js';
import { audit } from '../audit.js';
import type { InstalledModule } from './registry.js';
import type { ModuleRuntime } from './api.js';
import { changedIntegratorOnlyField, redact, withoutMasks, type SettingsEditor } from './settings.js';

export interface ModuleState { state: 'enabled' | 'disabled'; version: string; settings: Record<string, unknown> }

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * Per-tenant module enablement, as data: a row per (tenant, module) with state, version and
 * settings. Enabling takes the dependency closure and any link module that becomes complete;
 * disabling keeps the data and is refused while an enabled module depends on the module.
 */
export class Enablement {
  private byName: Map<string, InstalledModule>;
  private cache = new Map<string, { modules: Set<string>; until: number }>();

  constructor(private db: Db, private modules: InstalledModule[], private runtimes: Map<string, ModuleRuntime>, private bus: EventBus, private cacheMs = 5000) {
    this.byName = new Map(modules.map((m) => [m.manifest.name, m]));
  }

  installed(name: string): InstalledModule {
    const m = this.byName.get(name);
    if (!m) throw notFound(`No module '${name}' is installed on this server.`);
    return m;
  }

  /** Fast check for the request guard; cached for a few seconds, dropped on every change made here. */
  async isEnabled(tenantId: string, name: string): Promise<boolean> {
    const now = Date.now();
    let entry = this.cache.get(tenantId);
    if (!entry || entry.until <= now) {
      const rows = await withTenant(this.db, tenantId, (trx) => trx.selectFrom('core_tenant_module').select('module')
        .where('tenant_id', '=', tenantId).where('state', '=', 'enabled').execute());
      entry = { modules: new Set(rows.map((r) => r.module)), until: now + this.cacheMs };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(tenantId, entry);
    }
    return entry.modules.has(name);
  }

  async enable(tenantId: string, name: string, actor: Actor): Promise<string[]> {
    this.installed(name);
    const result = await withTenant(this.db, tenantId, async (trx) => {
      await lockTenantModules(trx, tenantId);
      const enabled = await this.enabledSet(trx, tenantId);
      const wanted = new Set<string>();
      const add = (n: string): void => {
        if (wanted.has(n)) return;
        wanted.add(n);
        this.installed(n).manifest.depends.forEach(add);
      };
      add(name);
      // Link modules that become complete come along (repeat: one link can complete another).
      let grew = true;
      while (grew) {
        grew = false;
        for (const m of this.modules) {
          const n = m.manifest.name;
          if (m.manifest.autoInstall && !wanted.has(n) && !enabled.has(n)
            && m.manifest.depends.every((d) => wanted.has(d) || enabled.has(d))
            && m.manifest.depends.some((d) => wanted.has(d))) {
            wanted.add(n); // its dependencies are all wanted or enabled already
            grew = true;
          }
        }
      }
      const order = this.modules.map((m) => m.manifest.name).filter((n) => wanted.has(n));
      for (const n of order) {
        if (enabled.has(n)) continue;
        const m = this.installed(n);
        const existing = await trx.selectFrom('core_tenant_module').select(['settings']).where('tenant_id', '=', tenantId).where('module', '=', n).executeTakeFirst();
        const settings = this.withDefaults(n, existing?.settings ?? {});
        await trx.insertInto('core_tenant_module').values({
          tenant_id: tenantId, module: n, state: 'enabled', version: m.manifest.version, settings: JSON.stringify(settings), enabled_at: sql`now()` as never,
        }).onConflict((oc) => oc.columns(['tenant_id', 'module']).doUpdateSet({
          state: 'enabled', version: m.manifest.version, settings: JSON.stringify(settings), enabled_at: sql`now()` as never, updated_at: sql`now()` as never,
        })).execute();
        forgetTenantModules(trx);
        for (const handler of this.runtimes.get(n)?.onEnable ?? []) await handler(trx, tenantId);
        await audit(trx, tenantId, { actor, module: 'core', action: 'module.enabled', entity: 'module', entityId: n, after: { version: m.manifest.version } });
        await this.bus.emit(trx, tenantId, 'tenant.module_enabled', { module: n, version: m.manifest.version }, 'core', { actor });
        enabled.add(n);
      }
      return order;
    });
    this.cache.delete(tenantId);
    return result;
  }

  async disable(tenantId: string, name: string, actor: Actor): Promise<string[]> {
    this.installed(name);
    const result = await withTenant(this.db, tenantId, async (trx) => {
      await lockTenantModules(trx, tenantId);
      const enabled = await this.enabledSet(trx, tenantId);
      if (!enabled.has(name)) return [];
      // Link modules built on this one go with it; any other dependent blocks the disable.
      const links = this.modules.filter((m) => m.manifest.autoInstall && enabled.has(m.manifest.name) && m.manifest.depends.includes(name));
      const blockers = this.modules.filter((m) => enabled.has(m.manifest.name) && !links.includes(m)
        && m.manifest.depends.includes(name));
      if (blockers.length > 0) {
        throw conflict(`Module '${name}' cannot be disabled: ${blockers.map((b) => `'${b.manifest.name}'`).join(', ')} depend${blockers.length === 1 ? 's' : ''} on it and ${blockers.length === 1 ? 'is' : 'are'} enabled. Disable ${blockers.length === 1 ? 'it' : 'them'} first.`, 'module-required');
      }
      const order = [...links.map((l) => l.manifest.name).reverse(), name];
      for (const n of order) {
        for (const handler of this.runtimes.get(n)?.onDisable ?? []) await handler(trx, tenantId);
        await trx.updateTable('core_tenant_module').set({ state: 'disabled', updated_at: sql`now()` as never })
          .where('tenant_id', '=', tenantId).where('module', '=', n).execute();
        forgetTenantModules(trx);
        await audit(trx, tenantId, { actor, module: 'core', action: 'module.disabled', entity: 'module', entityId: n });
        await this.bus.emit(trx, tenantId, 'tenant.module_disabled', { module: n }, 'core', { actor });
      }
      return order;
    });
    this.cache.delete(tenantId);
    return result;
  }

  async state(tenantId: string, name: string): Promise<ModuleState> {
    const m = this.installed(name);
    const row = await withTenant(this.db, tenantId, (trx) => trx.selectFrom('core_tenant_module').selectAll()
      .where('tenant_id', '=', tenantId).where('module', '=', name).executeTakeFirst());
    return {
      state: row?.state ?? 'disabled',
      version: row?.version ?? m.manifest.version,
      settings: this.withDefaults(name, row?.settings ?? {}),
    };
  }

  /** The tenant's settings for a module, defaults filled in. */
  async settings(trx: Trx, tenantId: string, name: string): Promise<Record<string, unknown>> {
    return this.withDefaults(name, (await tenantModules(trx, tenantId)).settings.get(name) ?? {});
  }

  /**
   * Merges `patch` into the stored settings and validates the result against the module's schema.
   * The tenant (`editor: 'tenant'`) may not change a setting the module marks `integratorOnly`.
   */
  async updateSettings(tenantId: string, name: string, patch: unknown, actor: Actor, editor: SettingsEditor): Promise<ModuleState> {
    const m = this.installed(name);
    if (!isPlainObject(patch)) throw badRequest('settings must be an object', 'settings');
    const schema = m.manifest.settings;
    if (!schema) throw badRequest(`Module '${name}' has no settings`, 'settings');
    await withTenant(this.db, tenantId, async (trx) => {
      await lockTenantModules(trx, tenantId);
      const row = await trx.selectFrom('core_tenant_module').selectAll()
        .where('tenant_id', '=', tenantId).where('module', '=', name).executeTakeFirst();
      if (!row) throw new ProblemError(409, 'module-not-enabled', 'Module not enabled', `Enable module '${name}' for this tenant before changing its settings.`);
      const current = this.withDefaults(name, row.settings);
      const merged = this.withDefaults(name, deepMerge(row.settings, withoutMasks(patch)));
      if (editor === 'tenant') {
        const field = changedIntegratorOnlyField(schema, current, merged);
        if (field) throw new ProblemError(403, 'forbidden', 'Forbidden', `${field} is set by the integrator; this tenant may not change it.`, field);
      }
      assertSettings(schema, merged);
      for (const check of this.runtimes.get(name)?.onSettingsChange ?? []) await check(trx, tenantId, merged, current);
      await trx.updateTable('core_tenant_module').set({ settings: JSON.stringify(merged), updated_at: sql`now()` as never })
        .where('tenant_id', '=', tenantId).where('module', '=', name).execute();
      forgetTenantModules(trx);
      await audit(trx, tenantId, { actor, module: 'core', action: 'module.settings_changed', entity: 'module', entityId: name, before: redact(row.settings), after: redact(merged) });
    });
    return this.state(tenantId, name);
  }

  /** Runs `onUpgrade(from)` for every tenant whose recorded version differs from the installed one. */
  async upgradeAll(): Promise<void> {
    for (const m of this.modules) {
      const rows = await this.db.selectFrom('core_tenant_module').select(['tenant_id', 'version'])
        .where('module', '=', m.manifest.name).where('version', '<>', m.manifest.version).execute();
      for (const row of rows) {
        await withTenant(this.db, row.tenant_id, async (trx) => {
          for (const handler of this.runtimes.get(m.manifest.name)?.onUpgrade ?? []) await handler(trx, row.tenant_id, row.version);
          await trx.updateTable('core_tenant_module').set({ version: m.manifest.version })
            .where('tenant_id', '=', row.tenant_id).where('module', '=', m.manifest.name).execute();
        });
      }
    }
  }

  private withDefaults(name: string, stored: Record<string, unknown>): Record<string, unknown> {
    const schema = this.byName.get(name)?.manifest.settings;
    if (!schema) return {};
    return Value.Default(schema, Value.Clone(stored)) as Record<string, unknown>;
  }

  private async enabledSet(trx: Trx, tenantId: string): Promise<Set<string>> {
    const rows = await trx.selectFrom('core_tenant_module').select('module').where('tenant_id', '=', tenantId).where('state', '=', 'enabled').execute();
    return new Set(rows.map((r) => r.module));
  }
}

/** Serialises concurrent enable/disable/settings changes of one tenant. */
async function lockTenantModules(trx: Trx, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${'modules:' + tenantId}, 0))`.execute(trx);
}

function assertSettings(schema: TObject, value: Record<string, unknown>): void {
  const errors = Value.Errors(schema, value) as Array<{ instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }>;
  if (errors.length === 0) return;
  const items = errors.map((e) => {
    const segments = (e.instancePath ?? '').split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'additionalProperties' && Array.isArray(e.params?.additionalProperties)) segments.push(String(e.params!.additionalProperties[0]));
    if (e.keyword === 'required' && Array.isArray(e.params?.requiredProperties)) segments.push(String(e.params!.requiredProperties[0]));
    const field = ['settings', ...segments].reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : `${acc}.${s}`));
    return { field, message: e.message ?? 'is not valid' };
  });
  throw new ProblemError(400, 'validation', 'The settings are not valid', items.map((i) => `${i.field} ${i.message}`).join('; '), items[0].field, items);
}
