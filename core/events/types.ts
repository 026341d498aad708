import type { FastifyBaseLogger } from 'fastify';
import type { AuditEntry } from '../audit.js';
import type { Trx } from '../db/kysely.js';

/**
 * Every event's name and payload. Core's own events are here; modules add theirs by
 * augmentation in their `public.ts`:
 *
 *   declare module '../../core/events/types.js' { interface EventMap { 'note.created': { id: string } } }
 *
 * Names are `<aggregate>.<past_tense>`; payloads are JSON and only ever grow.
 */
export interface EventMap {
  'tenant.module_enabled': { module: string; version: string };
  'tenant.module_disabled': { module: string };
}

export type EventName = keyof EventMap & string;

/** The payload a scheduled job's event carries. */
export interface ScheduledPeriod {
  /** `<module>/<job>` */
  job: string;
  /** The scheduled instant that fired, ISO 8601 UTC. */
  period: string;
  /** That instant's calendar date in the tenant's time zone (the accounting "today"). */
  date: string;
}

/** Who caused a change: a request's user and token, or a system process. */
export interface Actor {
  userId: string | null;
  tokenId: string | null;
  requestId: string | null;
}

export const SYSTEM_ACTOR: Actor = { userId: null, tokenId: null, requestId: null };

/** A synchronous hook: runs inside the emitting transaction; throwing vetoes (rolls back) it. */
export type HookHandler<E extends EventName> = (ctx: HookContext, payload: EventMap[E]) => Promise<void>;
/** The same, for bulk work: one call per emit with every payload of it (one for `emit`, all of them for `emitMany`). */
export type BatchHookHandler<E extends EventName> = (ctx: HookContext, payloads: EventMap[E][]) => Promise<void>;

export interface HookContext {
  trx: Trx;
  tenantId: string;
  event: EventName;
  actor: Actor;
  log: FastifyBaseLogger;
}

/** An after-commit subscriber: runs at least once per event, in its own tenant transaction. */
export type SubscriberHandler<E extends EventName> = (ctx: SubscriberContext, event: DeliveredEvent<E>) => Promise<void>;

export interface SubscriberContext {
  /** Commits together with the delivery being marked done: database side effects happen once. */
  trx: Trx;
  tenantId: string;
  /** `eventId:subscriberId` — send it to any outside system so a redelivery is recognised there. */
  idempotencyKey: string;
  /** 1 on the first try. */
  attempt: number;
  log: FastifyBaseLogger;
  /**
   * Transactions of their own in this tenant, committed at once, whatever becomes of `trx`: for
   * what must be on record *before* an outside call returns (a sender writes "handing over now",
   * then calls the mail server; if the server stops meanwhile, the next try sees it).
   */
  db: TenantDb;
}

/** The tenant's database outside the delivery's transaction (row-level security set to the tenant). */
export interface TenantDb {
  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T>;
}

export interface DeliveredEvent<E extends EventName> {
  id: string;
  name: E;
  payload: EventMap[E];
  createdAt: Date;
}

export interface EmitOptions {
  /** Events with the same key for one tenant are emitted once; a repeat returns `emitted: false`. */
  dedupeKey?: string;
  actor?: Actor;
  /**
   * The audit rows of the change the event announces, written by the same statement as the event
   * (one round trip, not two). Written whether or not a dedupe key held the event back, as a
   * separate `audit` call before the emit would be.
   */
  audit?: AuditEntry[];
}
