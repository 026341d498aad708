import fp from 'fastify-plugin';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { withTenant, type Db, type Trx } from '../db/kysely.js';
import { ProblemError, badRequest } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that create money movements: honour the Idempotency-Key header. */
    idempotent?: boolean;
  }
}

/** The reservation a keyed POST holds while it runs. */
export interface IdempotencyReservation {
  tenantId: string;
  tokenId: string;
  key: string;
  /** This request's claim on the key; only the holder may commit it. */
  attempt: string;
}

/**
 * Marks the request's key committed inside the handler's own transaction. It fails (and the
 * transaction rolls back) when another attempt has taken the reservation over since — after
 * this request's lease ran out — so two runs of one key can never both commit.
 */
export async function commitIdempotency(trx: Trx, r: IdempotencyReservation): Promise<void> {
  const result = await trx.updateTable('core_idempotency').set({ state: 'committed' })
    .where('tenant_id', '=', r.tenantId).where('token_id', '=', r.tokenId).where('key', '=', r.key).where('attempt', '=', r.attempt)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) {
    throw new ProblemError(409, 'idempotency-in-progress', 'Request already being processed',
      'This request took too long to hold its Idempotency-Key and a retry took it over; nothing of this attempt was kept.', 'header.idempotency-key');
  }
}

/**
 * `Idempotency-Key` on POST: the first request's response is stored and a retry with the same
 * key and body, by the same token, gets it back (header `Idempotent-Replayed: true`) without
 * running again. Keys belong to the token that sent them: one user's key means nothing to another.
 *
 * The key is reserved before the handler runs, as a lease the request renews while it runs: a
 * concurrent retry gets 409, and a retry after a crash (the lease no longer renewed) runs. The key
 * is marked committed inside the handler's own transaction (`request.tx`) by the attempt that
 * holds it, so neither a crash between commit and response nor an expired lease can ever lead a
 * retry to create the movement twice.
 */
export default fp<{ db: Db; leaseMs: number }>(async (app, { db, leaseMs }) => {
  const renewals = new WeakMap<object, NodeJS.Timeout>();
  const stopRenewing = (request: object): void => {
    const timer = renewals.get(request);
    if (timer) clearInterval(timer);
    renewals.delete(request);
  };
  const scoped = (r: IdempotencyReservation) => (trx: Trx) =>
    trx.updateTable('core_idempotency').where('tenant_id', '=', r.tenantId).where('token_id', '=', r.tokenId).where('key', '=', r.key).where('attempt', '=', r.attempt);

  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.idempotent || request.method !== 'POST') return;
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw badRequest('Idempotency-Key must be 1–255 visible ASCII characters', 'header.idempotency-key');
    const tenantId = request.auth?.tenant?.id;
    const tokenId = request.auth?.tokenId;
    if (!tenantId || !tokenId) return;
    const requestHash = crypto.createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
    const attempt = crypto.randomUUID();
    const lease = sql<Date>`now() + ${`${leaseMs} milliseconds`}::interval`;

    const outcome = await withTenant(db, tenantId, async (trx) => {
      // A new key is reserved; an abandoned reservation of the same request (its lease ran out:
      // the process that held it is gone) is taken over. Anything else stays as it is.
      const reserved = await trx.insertInto('core_idempotency')
        .values({ tenant_id: tenantId, token_id: tokenId, key, request_hash: requestHash, state: 'in_progress', status_code: null, response: null, attempt, reserved_until: lease })
        .onConflict((oc) => oc.columns(['tenant_id', 'token_id', 'key']).doUpdateSet({ attempt, reserved_until: lease })
          .where('core_idempotency.state', '=', 'in_progress')
          .where('core_idempotency.request_hash', '=', requestHash)
          .where((eb) => eb.or([eb('core_idempotency.reserved_until', 'is', null), eb('core_idempotency.reserved_until', '<', sql<Date>`now()`)])))
        .returning('attempt').executeTakeFirst();
      if (reserved?.attempt === attempt) return { fresh: true as const };
      const existing = await trx.selectFrom('core_idempotency').selectAll()
        .where('tenant_id', '=', tenantId).where('token_id', '=', tokenId).where('key', '=', key).executeTakeFirstOrThrow();
      return { fresh: false as const, existing };
    });
    if (outcome.fresh) {
      const reservation: IdempotencyReservation = { tenantId, tokenId, key, attempt };
      request.idempotency = reservation;
      const timer = setInterval(() => {
        withTenant(db, tenantId, (trx) => scoped(reservation)(trx).set({ reserved_until: lease }).where('state', '=', 'in_progress').execute())
          .catch((err: unknown) => request.log.warn({ err }, 'could not renew the Idempotency-Key reservation'));
      }, Math.max(50, Math.floor(leaseMs / 3)));
      timer.unref();
      renewals.set(request, timer);
      return;
    }
    const existing = outcome.existing;
    if (existing.request_hash !== requestHash) {
      throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used for a different request; use a new key for a new request.', 'header.idempotency-key');
    }
    if (existing.state === 'completed') {
      return reply.status(existing.status_code ?? 200).header('idempotent-replayed', 'true').send(existing.response);
    }
    if (existing.state === 'in_progress') reply.header('retry-after', Math.max(1, Math.ceil(leaseMs / 1000)));
    throw new ProblemError(409, 'idempotency-in-progress', 'Request already being processed',
      existing.state === 'committed'
        ? 'The first request with this Idempotency-Key was carried out, but its response was not recorded; nothing was created twice. Look the result up instead of retrying.'
        : 'A request with this Idempotency-Key is still being processed; retry in a moment.', 'header.idempotency-key');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const reservation = request.idempotency;
    if (!reservation) return payload;
    request.idempotency = null;
    stopRenewing(request);
    if (reply.statusCode >= 500) {
      // Nothing was committed unless the handler's transaction marked the key committed.
      await withTenant(db, reservation.tenantId, (trx) => trx.deleteFrom('core_idempotency')
        .where('tenant_id', '=', reservation.tenantId).where('token_id', '=', reservation.tokenId).where('key', '=', reservation.key)
        .where('attempt', '=', reservation.attempt).where('state', '=', 'in_progress').execute());
      return payload;
    }
    let body: unknown = null;
    if (typeof payload === 'string' && payload.length > 0) {
      try { body = JSON.parse(payload); } catch { body = payload; }
    }
    await withTenant(db, reservation.tenantId, (trx) => scoped(reservation)(trx)
      .set({ state: 'completed', status_code: reply.statusCode, response: JSON.stringify(body), reserved_until: null }).execute());
    return payload;
  });

  app.addHook('onResponse', async (request) => stopRenewing(request));
}, { name: 'congno-idempotency', dependencies: ['congno-auth', 'congno-tenancy'] });
