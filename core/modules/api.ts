import type { FastifyBaseLogger } from 'fastify';
import type { Static, TObject } from 'typebox';
import { withTenant, type Db, type Trx } from '../db/kysely.js';
import { emitMany, enabledModules, type EventBus } from '../events/bus.js';
import type { JobDefinition } from '../events/scheduler.js';
import type { BatchHookHandler, EmitOptions, EventMap, EventName, HookHandler, ScheduledPeriod, SubscriberHandler } from '../events/types.js';
import { audit, type AuditEntry } from '../audit.js';
import type { ModuleManifest } from './manifest.js';
import type { Enablement } from './enablement.js';
import type { ModuleServices, ModuleWithService } from './services.js';

export type LifecycleHandler = (trx: Trx, tenantId: string) => Promise<void>;
export type UpgradeHandler = (trx: Trx, tenantId: string, fromVersion: string) => Promise<void>;
export type SettingsCheck<S = Record<string, unknown>> = (trx: Trx, tenantId: string, settings: S, previous: S) => Promise<void>;

/** Event names whose payload is a scheduled period — the only ones a job may emit. */
type ScheduledEventName = { [E in EventName]: EventMap[E] extends ScheduledPeriod ? E : never }[EventName];

/** The service a module named N offers (declared in its `public.ts`); unknown for an untyped api. */
export type ServiceOf<N extends string> = string extends N ? unknown : N extends ModuleWithService ? ModuleServices[N] : never;

/** Events core itself emits; any module may consume them. */
export const CORE_EVENTS: readonly string[] = ['tenant.module_enabled', 'tenant.module_disabled'];

/** A module's audit rows name the module themselves. */
type ModuleAuditEntry = Omit<AuditEntry, 'module'>;
export type ModuleEmitOptions = Omit<EmitOptions, 'audit'> & { audit?: ModuleAuditEntry | ModuleAuditEntry[] };

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
  subscribe<E extends EventName>(event: E, name: string, handler: SubscriberHandler<E>, options?: {
    maxAttempts?: number;
    /** Only the payloads it wants get a delivery (a channel's sender: its channel's reminders); the others cost no relay round trip. */
    when?: (payload: EventMap[E]) => boolean;
  }): void;
  /** A scheduled job: at each `cron` instant (tenant time zone) `event` is emitted once per tenant. */
  job(name: string, cron: string, event: ScheduledEventName): void;
  /** Emits one event per payload in a few statements (bulk work); no dedupe keys. */
  emitMany<E extends EventName>(trx: Trx, tenantId: string, event: E, payloads: EventMap[E][], options?: Omit<ModuleEmitOptions, 'dedupeKey'>): Promise<string[]>;
  /**
   * Emits an event this module owns, inside a tenant transaction. `audit` writes the change's
   * audit rows in the same statement (what `audit` followed by `emit` does, in one round trip).
   */
  emit<E extends EventName>(trx: Trx, tenantId: string, event: E, payload: EventMap[E], options?: ModuleEmitOptions): Promise<{ emitted: boolean; id: string | null }>;
  /** Offers this module's service (the interface its `public.ts` declares) to modules that depend on it. */
  provide(service: ServiceOf<M['name']>): void;
  /**
   * This module's own service as `provide` left it: how its routes and internals reach what
   * `setup` created (a registry, a cache) without module-level variables.
   */
  ownService(): ServiceOf<M['name']>;
  /** The service of a module in this module's `depends`, typed by that module's `public.ts`. */
  service<K extends ModuleWithService>(module: K): ModuleServices[K];
  /**
   * The service of a module in this module's `optional`, or undefined when the server does not
   * install it. Installed is not enabled: ask `isEnabled(trx, tenantId, module)` per tenant.
   */
  optionalService<K extends ModuleWithService>(module: K): ModuleServices[K] | undefined;
  /** Whether a module (this one by default) is enabled for the tenant, read in `trx`. */
  isEnabled(trx: Trx, tenantId: string, module?: string): Promise<boolean>;
  /** The tenant's settings for this module, defaults filled in. */
  settings(trx: Trx, tenantId: string): Promise<M extends ModuleManifest<infer S> ? Static<S> : never>;
  /** Writes audit rows (who, what, before/after) in the same transaction as the change. */
  audit(trx: Trx, tenantId: string, entry: ModuleAuditEntry | ModuleAuditEntry[]): Promise<void>;
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
  /**
   * Work that starts outside a request or an event delivery — an answer arriving on a connection
   * the module keeps open (an SMSC's delivery receipt): `fn` in one transaction of the tenant;
   * null when the tenant does not have this module enabled.
   */
  tenantTx<T>(tenantId: string, fn: (trx: Trx) => Promise<T>): Promise<T | null>;
  /**
   * The absolute address of `path` under the server's public URL (CONGNO_PUBLIC_URL), for an
   * outside system to call back (a gateway's delivery reports); null when none is configured.
   */
  publicUrl(path: string): string | null;
  /** Called once when the server stops: close what the module keeps open (connections, timers). */
  onClose(handler: () => Promise<void> | void): void;
}

export interface ModuleRuntime {
  manifest: ModuleManifest;
  onEnable: LifecycleHandler[];
  onDisable: LifecycleHandler[];
  onUpgrade: UpgradeHandler[];
  onSettingsChange: SettingsCheck[];
  onClose: Array<() => Promise<void> | void>;
  /** What `provide` offered; undefined when the module offers none. */
  service: unknown;
  api: ModuleApi;
}

export function createModuleApi(
  manifest: ModuleManifest,
  deps: { db: Db; publicUrl?: string | null; bus: EventBus; jobs: JobDefinition[]; runtimes: Map<string, ModuleRuntime>; enablement: () => Enablement; log: FastifyBaseLogger },
): ModuleRuntime {
  const runtime: ModuleRuntime = { manifest, onEnable: [], onDisable: [], onUpgrade: [], onSettingsChange: [], onClose: [], service: undefined, api: undefined as never };
  const name = manifest.name;
  const log = deps.log.child({ module: name });
  const emits = new Set(manifest.emits ?? []);
  const consumes = new Set(manifest.consumes ?? []);
  const declaredEmit = <E extends string>(event: E): E => {
    if (!emits.has(event)) throw new Error(`Module '${name}' emits '${event}', which its manifest does not list in 'emits'`);
    return event;
  };
  const ofModule = (entry: ModuleAuditEntry | ModuleAuditEntry[]): AuditEntry[] => (Array.isArray(entry) ? entry : [entry]).map((e) => ({ ...e, module: name }));
  const ownAudit = ({ audit: entries, ...options }: ModuleEmitOptions = {}): EmitOptions => (entries ? { ...options, audit: ofModule(entries) } : options);
  const declaredConsume = <E extends string>(event: E): E => {
    if (!consumes.has(event)) throw new Error(`Module '${name}' listens to '${event}', which its manifest does not list in 'consumes'`);
    return event;
  };
  const serviceOf = (module: string, field: 'depends' | 'optional'): unknown => {
    if (!(manifest[field] ?? []).includes(module)) throw new Error(`Module '${name}' asked for the service of '${module}', which is not in its ${field}`);
    const provider = deps.runtimes.get(module);
    if (!provider) {
      if (field === 'optional') return undefined;
      throw new Error(`Module '${name}' depends on '${module}', which is not set up`);
    }
    if (provider.service === undefined) throw new Error(`Module '${module}' provides no service`);
    return provider.service;
  };
  const api: ModuleApi = {
    name,
    manifest,
    log,
    hook: (event, handler) => deps.bus.hook(name, declaredConsume(event), handler),
    hookMany: (event, handler) => deps.bus.hookMany(name, declaredConsume(event), handler),
    subscribe: (event, subscriberName, handler, options) => deps.bus.subscribe(name, declaredConsume(event), subscriberName, handler, options?.maxAttempts ?? 8, options?.when ?? null),
    job: (jobName, cron, event) => { deps.jobs.push({ module: name, name: jobName, cron, event: declaredEmit(event) }); },
    emit: (trx, tenantId, event, payload, options) => deps.bus.emit(trx, tenantId, declaredEmit(event), payload, name, ownAudit(options)),
    emitMany: (trx, tenantId, event, payloads, options) => emitMany(deps.bus, trx, tenantId, declaredEmit(event), payloads, name, ownAudit(options)),
    provide: (service) => {
      if (runtime.service !== undefined) throw new Error(`Module '${name}' provides its service twice: one service object per module`);
      runtime.service = service;
    },
    ownService: () => {
      if (runtime.service === undefined) throw new Error(`Module '${name}' has not provided its service yet`);
      return runtime.service as never;
    },
    service: (module) => serviceOf(module, 'depends') as never,
    optionalService: (module) => serviceOf(module, 'optional') as never,
    isEnabled: async (trx, tenantId, module = name) => (await enabledModules(trx, tenantId)).has(module),
    settings: (trx, tenantId) => deps.enablement().settings(trx, tenantId, name) as never,
    audit: (trx, tenantId, entry) => audit(trx, tenantId, ofModule(entry)),
    onEnable: (handler) => { runtime.onEnable.push(handler); },
    onDisable: (handler) => { runtime.onDisable.push(handler); },
    onUpgrade: (handler) => { runtime.onUpgrade.push(handler); },
    onSettingsChange: (handler) => { runtime.onSettingsChange.push(handler as SettingsCheck); },
    tenantTx: async (tenantId, fn) => ((await deps.enablement().isEnabled(tenantId, name)) ? withTenant(deps.db, tenantId, fn) : null),
    onClose: (handler) => { runtime.onClose.push(handler); },
    publicUrl: (path) => (deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, '')}${path}` : null),
  };
  runtime.api = api;
  return runtime;
}

/**
 * After every module's setup: each event a module consumes is emitted by core or by an installed
 * module (one owner per event), unless the consumer lists an optional module that is not installed
 * (its events then never come, which is what "optional" means).
 */
export function checkEventWiring(runtimes: Map<string, ModuleRuntime>, log: FastifyBaseLogger): void {
  const owner = new Map<string, string>(CORE_EVENTS.map((e) => [e, 'core']));
  for (const { manifest } of runtimes.values()) {
    for (const event of manifest.emits ?? []) {
      const first = owner.get(event);
      if (first) throw new Error(`Event '${event}' is emitted by both '${first}' and '${manifest.name}': an event has one owner`);
      owner.set(event, manifest.name);
    }
  }
  for (const { manifest } of runtimes.values()) {
    const missingOptional = (manifest.optional ?? []).filter((o) => !runtimes.has(o));
    for (const event of manifest.consumes ?? []) {
      if (owner.has(event)) continue;
      if (missingOptional.length > 0) {
        log.info({ module: manifest.name, event, notInstalled: missingOptional }, 'an event this module consumes has no emitter: its optional module is not installed');
        continue;
      }
      throw new Error(`Module '${manifest.name}' consumes '${event}', which no installed module emits (add the emitter to its depends, or to optional)`);
    }
  }
}

export type { TObject };
