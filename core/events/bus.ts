import type { FastifyBaseLogger } from 'fastify';
import { sql, type RawBuilder } from 'kysely';
import { auditInsert } from '../audit.js';
import type { Trx } from '../db/kysely.js';
import { tenantModules } from '../modules/snapshot.js';
import type { BatchHookHandler, EmitOptions, EventMap, EventName, HookHandler, SubscriberHandler } from './types.js';
import { SYSTEM_ACTOR } from './types.js';

interface HookEntry { module: string; handler: HookHandler<any> | null; batch: BatchHookHandler<any> | null }
export interface SubscriberEntry { id: string; module: string; event: EventName; handler: SubscriberHandler<any>; maxAttempts: number; when: ((payload: any) => boolean) | null }

export const OUTBOX_CHANNEL = 'congno_outbox';

/**
 * The shared event bus. `hook` handlers run inside the emitting transaction; `subscribe`
 * handlers get a delivery row written in that same transaction and run after commit from the
 * outbox relay. Only modules the tenant has enabled take part.
 */
export class EventBus {
  private hooks = new Map<string, HookEntry[]>();
  private subscribers = new Map<string, SubscriberEntry[]>();
  private byId = new Map<string, SubscriberEntry>();

  constructor(private log: FastifyBaseLogger) {}

  hook<E extends EventName>(module: string, event: E, handler: HookHandler<E>): void {
    this.addHook(event, { module, handler, batch: null });
  }

  /** A hook called once per emit with all its payloads (set-based work for bulk emits). */
  hookMany<E extends EventName>(module: string, event: E, handler: BatchHookHandler<E>): void {
    this.addHook(event, { module, handler: null, batch: handler });
  }

  private addHook(event: EventName, entry: HookEntry): void {
    const list = this.hooks.get(event) ?? [];
    list.push(entry);
    this.hooks.set(event, list);
  }

  subscribe<E extends EventName>(module: string, event: E, name: string, handler: SubscriberHandler<E>, maxAttempts: number, when: ((payload: EventMap[E]) => boolean) | null = null): void {
    const id = `${module}:${name}`;
    if (this.byId.has(id)) throw new Error(`Subscriber '${id}' is registered twice`);
    const entry: SubscriberEntry = { id, module, event, handler, maxAttempts, when };
    this.byId.set(id, entry);
    const list = this.subscribers.get(event) ?? [];
    list.push(entry);
    this.subscribers.set(event, list);
  }

  subscriber(id: string): SubscriberEntry | undefined {
    return this.byId.get(id);
  }

  /**
   * Emits inside `trx` (which must be scoped to `tenantId`). Returns the event id, or
   * `emitted: false` when `dedupeKey` was already used for this tenant.
   */
  async emit<E extends EventName>(trx: Trx, tenantId: string, event: E, payload: EventMap[E], emittedBy: string, options: EmitOptions = {}): Promise<{ emitted: boolean; id: string | null }> {
    const inserted = await sql<{ id: bigint }>`
      ${withAudit(tenantId, options)}insert into core_event_outbox (tenant_id, name, payload, dedupe_key, emitted_by)
      values (${tenantId}, ${event}, ${JSON.stringify(payload)}, ${options.dedupeKey ?? null}, ${emittedBy})
      on conflict (tenant_id, dedupe_key) where dedupe_key is not null do nothing
      returning id`.execute(trx);
    const row = inserted.rows[0];
    if (!row) return { emitted: false, id: null };
    await this.afterInsert(trx, tenantId, event, [payload], [row.id], options);
    return { emitted: true, id: String(row.id) };
  }

  /** Runs the hooks of outbox rows just written and gives each enabled subscriber a delivery row. */
  async afterInsert<E extends EventName>(trx: Trx, tenantId: string, event: E, payloads: EventMap[E][], ids: bigint[], options: EmitOptions): Promise<void> {
    const hooks = this.hooks.get(event) ?? [];
    const subs = this.subscribers.get(event) ?? [];
    if (hooks.length === 0 && subs.length === 0) return;
    const enabled = await enabledModules(trx, tenantId);
    const ctxBase = { trx, tenantId, event, actor: options.actor ?? SYSTEM_ACTOR };
    for (const h of hooks) {
      if (!enabled.has(h.module)) continue;
      const log = this.log.child({ module: h.module, tenantId, event });
      if (h.batch) await h.batch({ ...ctxBase, log }, payloads);
      else for (const payload of payloads) await h.handler!({ ...ctxBase, log }, payload);
    }
    // A delivery per (event, enabled subscriber) — but not for payloads a subscriber's `when` turns down.
    const events: string[] = [];
    const receivers: string[] = [];
    for (const s of subs) {
      if (!enabled.has(s.module)) continue;
      ids.forEach((id, i) => {
        if (s.when && !s.when(payloads[i])) return;
        events.push(String(id));
        receivers.push(s.id);
      });
    }
    if (receivers.length > 0) {
      await sql`
        insert into core_event_delivery (tenant_id, event_id, subscriber, state)
        select ${tenantId}, e, s, 'pending' from unnest(${events}::bigint[], ${receivers}::text[]) as t(e, s)`.execute(trx);
      await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
    }
  }
}

/**
 * Emits one event per payload in a few statements (bulk postings): one multi-row outbox insert,
 * the hooks for each payload in order, one multi-row delivery insert. No dedupe keys.
 */
export async function emitMany<E extends EventName>(bus: EventBus, trx: Trx, tenantId: string, event: E, payloads: EventMap[E][], emittedBy: string, options: Omit<EmitOptions, 'dedupeKey'> = {}): Promise<string[]> {
  if (payloads.length === 0) {
    if (options.audit && options.audit.length > 0) await auditInsert(tenantId, options.audit).execute(trx);
    return [];
  }
  const { rows } = await sql<{ id: bigint }>`
    ${withAudit(tenantId, options)}insert into core_event_outbox (tenant_id, name, payload, emitted_by)
    select ${tenantId}, ${event}, p, ${emittedBy} from unnest(${payloads.map((p) => JSON.stringify(p))}::jsonb[]) with ordinality as t(p, n)
    order by n
    returning id`.execute(trx);
  const ids = rows.map((r) => r.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await bus.afterInsert(trx, tenantId, event, payloads, ids, options);
  return ids.map(String);
}

/** The `with` that writes the event's audit rows in the event's own statement (nothing without rows). */
function withAudit(tenantId: string, options: EmitOptions): RawBuilder<unknown> {
  return options.audit && options.audit.length > 0 ? sql`with audit_rows as (${auditInsert(tenantId, options.audit)}) ` : sql``;
}

export async function enabledModules(trx: Trx, tenantId: string): Promise<Set<string>> {
  return (await tenantModules(trx, tenantId)).enabled;
}
