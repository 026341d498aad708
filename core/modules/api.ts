import type { FastifyBaseLogger } from 'fastify';
import type { Static, TObject } from 'typebox';
import type { Trx } from '../db/kysely.js';
import { emitMany, enabledModules, type EventBus } from '../events/bus.js';
import type { JobDefinition } from '../events/scheduler.js';
import type { BatchHookHandler, EmitOptions, EventMap, EventName, HookHandler, ScheduledPeriod, SubscriberHandler } from '../events/types.js';
import { audit, type AuditEntry } from '../audit.js';
import type { ModuleManifest } from './manifest.js';
import type { Enablement } from './enablement.js';

export type LifecycleHandler = (trx: Trx, tenantId: string) => Promise<void>;
export type UpgradeHandler = (trx: Trx, tenantId: string, fromVersion: string) => Promise<void>;
export type SettingsCheck<S = Record<string, unknown>> = (trx: Trx, tenantId: string, settings: S, previous: S) => Promise<void>;

/** Event names whose payload is a scheduled period — the only ones a job may emit. */
type ScheduledEventName = { [E in EventName]: EventMap[E] extends ScheduledPeriod ? E : never }[EventName];

/**
 * What a module's `setup(api)` receives: the one way a module plugs into core. Everything is
 * scoped to the module: hooks and subscribers run only for tenants that enabled it.
 */
export interface ModuleApi<M extends ModuleManifest = ModuleManifest> {
  readonly name: string;
  readonly manifest: M;
  readonly log: FastifyBaseLogger;
  /** Synchronous hook inside the emitting transaction; throw to veto. Never touch the network here. */
  hook<E extends EventName>(event: E, handler: HookHandler<E>): void;
  /** The same hook for events emitted in bulk (`emitMany`): called once with all the payloads, so it can work set-based. */
  hookMany<E extends EventName>(event: E, handler: BatchHookHandler<E>): void;
  /**
   * After-commit subscriber, delivered at least once through the outbox; `name` makes the
   * subscriber id `<module>:<name>`. Database work done through `ctx.trx` commits exactly once.
   */
  subscribe<E extends EventName>(event: E, name: string, handler: SubscriberHandler<E>, options?: { maxAttempts?: number }): void;
  /** A scheduled job: at each `cron` instant (tenant time zone) `event` is emitted once per tenant. */
  job(name: string, cron: string, event: ScheduledEventName): void;
  /** Emits one event per payload in a few statements (bulk work); no dedupe keys. */
  emitMany<E extends EventName>(trx: Trx, tenantId: string, event: E, payloads: EventMap[E][], options?: Omit<EmitOptions, 'dedupeKey'>): Promise<string[]>;
  /** Emits an event this module owns, inside a tenant transaction. */
  emit<E extends EventName>(trx: Trx, tenantId: string, event: E, payload: EventMap[E], options?: EmitOptions): Promise<{ emitted: boolean; id: string | null }>;
  /** Offers a service to modules that depend on this one. */
  provide<T>(name: string, service: T): void;
  /** A service of a module listed in this module's `depends`. */
  service<T>(module: string, name: string): T;
  /** Whether a module (this one by default) is enabled for the tenant, read in `trx`. */
  isEnabled(trx: Trx, tenantId: string, module?: string): Promise<boolean>;
  /** The tenant's settings for this module, defaults filled in. */
  settings(trx: Trx, tenantId: string): Promise<M extends ModuleManifest<infer S> ? Static<S> : never>;
  /** Writes audit rows (who, what, before/after) in the same transaction as the change. */
  audit(trx: Trx, tenantId: string, entry: Omit<AuditEntry, 'module'> | Omit<AuditEntry, 'module'>[]): Promise<void>;
  onEnable(handler: LifecycleHandler): void;
  onDisable(handler: LifecycleHandler): void;
  onUpgrade(handler: UpgradeHandler): void;
  /**
   * Checks a change of the tenant's settings (integrator's or accountant's route) in its
   * transaction, after the schema check and before it is stored: throw
   * `badRequest(detail, 'settings.<field>')` to refuse what the schema cannot know (an account
   * code the chart does not have).
   */
  onSettingsChange(handler: SettingsCheck<M extends ModuleManifest<infer S> ? Static<S> : never>): void;
}

export interface ModuleRuntime {
  manifest: ModuleManifest;
  onEnable: LifecycleHandler[];
  onDisable: LifecycleHandler[];
  onUpgrade: UpgradeHandler[];
  onSettingsChange: SettingsCheck[];
  services: Map<string, unknown>;
  api: ModuleApi;
}

export function createModuleApi(
  manifest: ModuleManifest,
  deps: { bus: EventBus; jobs: JobDefinition[]; runtimes: Map<string, ModuleRuntime>; enablement: () => Enablement; log: FastifyBaseLogger },
): ModuleRuntime {
  const runtime: ModuleRuntime = { manifest, onEnable: [], onDisable: [], onUpgrade: [], onSettingsChange: [], services: new Map(), api: undefined as never };
  const name = manifest.name;
  const log = deps.log.child({ module: name });
  const api: ModuleApi = {
    name,
    manifest,
    log,
    hook: (event, handler) => deps.bus.hook(name, event, handler),
    hookMany: (event, handler) => deps.bus.hookMany(name, event, handler),
    subscribe: (event, subscriberName, handler, options) => deps.bus.subscribe(name, event, subscriberName, handler, options?.maxAttempts ?? 8),
    job: (jobName, cron, event) => { deps.jobs.push({ module: name, name: jobName, cron, event }); },
    emit: (trx, tenantId, event, payload, options) => deps.bus.emit(trx, tenantId, event, payload, name, options),
    emitMany: (trx, tenantId, event, payloads, options) => emitMany(deps.bus, trx, tenantId, event, payloads, name, options),
    provide: (serviceName, service) => { runtime.services.set(serviceName, service); },
    service: <T>(module: string, serviceName: string): T => {
      if (!manifest.depends.includes(module)) throw new Error(`Module '${name}' asked for a service of '${module}', which is not in its depends`);
      const service = deps.runtimes.get(module)?.services.get(serviceName);
      if (service === undefined) throw new Error(`Module '${module}' provides no service '${serviceName}'`);
      return service as T;
    },
    isEnabled: async (trx, tenantId, module = name) => (await enabledModules(trx, tenantId)).has(module),
    settings: (trx, tenantId) => deps.enablement().settings(trx, tenantId, name) as never,
    audit: (trx, tenantId, entry) => audit(trx, tenantId, (Array.isArray(entry) ? entry : [entry]).map((e) => ({ ...e, module: name }))),
    onEnable: (handler) => { runtime.onEnable.push(handler); },
    onDisable: (handler) => { runtime.onDisable.push(handler); },
    onUpgrade: (handler) => { runtime.onUpgrade.push(handler); },
    onSettingsChange: (handler) => { runtime.onSettingsChange.push(handler as SettingsCheck); },
  };
  runtime.api = api;
  return runtime;
}

export type { TObject };
