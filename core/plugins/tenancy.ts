import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { withTenant, type Db, type Trx } from '../db/kysely.js';
import type { Actor } from '../events/types.js';
import { tenantOf } from './auth.js';
import { commitIdempotency, type IdempotencyReservation } from './idempotency.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Runs `fn` in one transaction scoped to the request's tenant (row-level security on). A
     * route's writes go through here, so an Idempotency-Key is settled in the same commit.
     */
    tx<T>(fn: (trx: Trx) => Promise<T>): Promise<T>;
    /** Who is acting, for the audit log and events. */
    readonly actor: Actor;
    /** Set by the idempotency plugin while a keyed POST runs. */
    idempotency: IdempotencyReservation | null;
  }
}

export default fp<{ db: Db }>(async (app, { db }) => {
  app.decorateRequest('idempotency', null);
  app.decorateRequest('tx', function tx<T>(this: FastifyRequest, fn: (trx: Trx) => Promise<T>): Promise<T> {
    const tenant = tenantOf(this);
    const reservation = this.idempotency;
    return withTenant(db, tenant.id, async (trx) => {
      const result = await fn(trx);
      if (reservation) await commitIdempotency(trx, reservation);
      return result;
    });
  });
  app.decorateRequest('actor', {
    getter(this: FastifyRequest): Actor {
      return { userId: this.auth?.userId ?? null, tokenId: this.auth?.tokenId ?? null, requestId: String(this.id) };
    },
  });
}, { name: 'congno-tenancy', dependencies: ['congno-auth'] });
