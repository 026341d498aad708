import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { enterTenant, withTenant, type Db, type Trx } from '../db/kysely.js';
import { OUTBOX_CHANNEL, enabledModules, type EventBus } from './bus.js';

export interface RelayOptions {
  workers: number;
  pollMs: number;
  /** First retry delay; doubles with each failure up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface Claimed {
  tenant_id: string;
  id: bigint;
  event_id: bigint;
  subscriber: string;
  attempts: number;
  name: string;
  payload: unknown;
  created_at: Date;
}

/**
 * Drains the outbox: each worker claims one due delivery with `FOR UPDATE SKIP LOCKED`, runs
 * its subscriber in the same transaction (switched to the tenant's scope), and marks it done —
 * or, on failure, rolls the subscriber's work back and schedules a retry with backoff, until
 * the subscriber's `maxAttempts` make it a dead letter. Woken by NOTIFY, polled as a fallback.
 */
export class OutboxRelay {
  private running = false;
  private listener: pg.Client | null = null;
  private wakers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private db: Db, private bus: EventBus, private databaseUrl: string, private log: FastifyBaseLogger, private options: RelayOptions) {
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.listener = new pg.Client({ connectionString: this.databaseUrl, application_name: 'congno-relay' });
    this.listener.on('error', (err) => this.log.warn({ err }, 'outbox listener connection lost; polling only'));
    await this.listener.connect();
    this.listener.on('notification', () => this.wakeAll());
    await this.listener.query(`listen ${OUTBOX_CHANNEL}`);
    for (let i = 0; i < this.options.workers; i++) this.loops.push(this.loop());
  }

  /** Lets the deliveries under way finish, then stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeAll();
    await Promise.all(this.loops);
    this.loops = [];
    await this.listener?.end().catch(() => {});
    this.listener = null;
  }

  private wakeAll(): void {
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.deliverOne();
      } catch (err) {
        this.log.error({ err }, 'outbox relay: delivery attempt failed unexpectedly');
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.options.pollMs);
          function done() { clearTimeout(timer); resolve(); }
          this.wakers.add(done);
        });
      }
    }
  }

  /** Claims and runs one due delivery. Returns false when none was due. */
  async deliverOne(): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<Claimed>`
        select d.tenant_id, d.id, d.event_id, d.subscriber, d.attempts, o.name, o.payload, o.created_at
        from core_event_delivery d
        join core_event_outbox o on o.tenant_id = d.tenant_id and o.id = d.event_id
        where d.state = 'pending' and d.next_attempt_at <= now()
        order by d.next_attempt_at, d.id
        limit 1
        for update of d skip locked`.execute(trx);
      const claimed = rows[0];
      if (!claimed) return false;
      await enterTenant(trx, claimed.tenant_id);
      await this.run(trx, claimed);
      return true;
    });
  }

  private async run(trx: Trx, d: Claimed): Promise<void> {
    const attempt = d.attempts + 1;
    const where = { tenant: d.tenant_id, id: d.id };
    const entry = this.bus.subscriber(d.subscriber);
    if (!entry) {
      await markDelivery(trx, where, 'dead', attempt, `no subscriber '${d.subscriber}' is registered on this server`);
      return;
    }
    const enabled = await enabledModules(trx, d.tenant_id);
    if (!enabled.has(entry.module)) {
      await markDelivery(trx, where, 'skipped', d.attempts, `module '${entry.module}' is disabled for this tenant`);
      return;
    }
    const log = this.log.child({ module: entry.module, tenantId: d.tenant_id, eventId: String(d.event_id), subscriber: entry.id });
    await sql`savepoint subscriber`.execute(trx);
    try {
      await entry.handler(
        { trx, tenantId: d.tenant_id, idempotencyKey: `${d.event_id}:${entry.id}`, attempt, log, db: { transaction: (fn) => withTenant(this.db, d.tenant_id, fn) } },
        { id: String(d.event_id), name: d.name, payload: d.payload, createdAt: d.created_at },
      );
      // No RELEASE: the commit right after ends the savepoint anyway, one round trip sooner.
      await markDelivery(trx, where, 'done', attempt, null);
    } catch (err) {
      await sql`rollback to savepoint subscriber`.execute(trx);
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= entry.maxAttempts) {
        log.error({ err, attempt }, 'subscriber failed for the last time; delivery is now a dead letter');
        await markDelivery(trx, where, 'dead', attempt, message);
      } else {
        const delay = Math.min(this.backoffMs * 2 ** (attempt - 1), this.maxBackoffMs);
        log.warn({ err, attempt, retryInMs: delay }, 'subscriber failed; will retry');
        await trx.updateTable('core_event_delivery')
          .set({ attempts: attempt, last_error: message, next_attempt_at: sql`now() + ${`${delay} milliseconds`}::interval` as any })
          .where('tenant_id', '=', d.tenant_id).where('id', '=', d.id).execute();
      }
    }
  }
}

async function markDelivery(trx: Trx, where: { tenant: string; id: bigint }, state: 'done' | 'dead' | 'skipped', attempts: number, error: string | null): Promise<void> {
  await trx.updateTable('core_event_delivery')
    .set({ state, attempts, last_error: error, delivered_at: state === 'done' ? sql`now()` as any : null })
    .where('tenant_id', '=', where.tenant).where('id', '=', where.id).execute();
}
