import type { Trx } from '../db/kysely.js';

/** A tenant's rows of core_tenant_module as one transaction sees them. */
export interface TenantModules {
  enabled: Set<string>;
  /** Stored settings by module (enabled or not), as written: callers fill in defaults on a copy. */
  settings: Map<string, Record<string, unknown>>;
}

const inTrx = new WeakMap<Trx, Map<string, Promise<TenantModules>>>();

/**
 * Which modules a tenant has enabled and their settings, read once per transaction: a request
 * asks for its module's settings and every event it emits asks which modules are enabled.
 * A transaction that changes core_tenant_module calls forgetTenantModules after the write.
 */
export function tenantModules(trx: Trx, tenantId: string): Promise<TenantModules> {
  let byTenant = inTrx.get(trx);
  if (!byTenant) inTrx.set(trx, byTenant = new Map());
  let read = byTenant.get(tenantId);
  if (!read) {
    read = trx.selectFrom('core_tenant_module').select(['module', 'state', 'settings']).where('tenant_id', '=', tenantId).execute().then(snapshot);
    const entries = byTenant;
    read.catch(() => entries.delete(tenantId));
    byTenant.set(tenantId, read);
  }
  return read;
}

export interface TenantModuleRow { module: string; state: string; settings: unknown }

function snapshot(rows: TenantModuleRow[]): TenantModules {
  return {
    enabled: new Set(rows.filter((r) => r.state === 'enabled').map((r) => r.module)),
    settings: new Map(rows.map((r) => [r.module, (r.settings ?? {}) as Record<string, unknown>])),
  };
}

/** The rows a transaction read as it began (withTenant): its snapshot without a statement of its own. */
export function knownTenantModules(trx: Trx, tenantId: string, rows: TenantModuleRow[]): void {
  let byTenant = inTrx.get(trx);
  if (!byTenant) inTrx.set(trx, byTenant = new Map());
  byTenant.set(tenantId, Promise.resolve(snapshot(rows)));
}

export function forgetTenantModules(trx: Trx): void {
  inTrx.delete(trx);
}
