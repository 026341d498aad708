import fp from 'fastify-plugin';
import crypto from 'node:crypto';
import { withTenant, type Db } from '../db/kysely.js';
import { ProblemError, badRequest } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that create money movements: honour the Idempotency-Key header. */
    idempotent?: boolean;
  }
}

/**
 * `Idempotency-Key` on POST: the first request's response is stored and a retry with the same
 * key and body gets it back (header `Idempotent-Replayed: true`) without running again. The key
 * is reserved before the handler runs (a concurrent retry gets 409) and marked committed inside
 * the handler's own transaction (`request.tx`), so a crash between commit and response can never
 * lead a retry to create the movement twice.
 */
export default fp<{ db: Db }>(async (app, { db }) => {
  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config?.idempotent || request.method !== 'POST') return;
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw badRequest('Idempotency-Key must be 1–255 visible ASCII characters', 'header.idempotency-key');
    const tenantId = request.auth?.tenant?.id;
    if (!tenantId) return;
    const requestHash = crypto.createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex');

    const outcome = await withTenant(db, tenantId, async (trx) => {
      const inserted = await trx.insertInto('core_idempotency')
        .values({ tenant_id: tenantId, key, request_hash: requestHash, state: 'in_progress', status_code: null, response: null })
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .returning('key').executeTakeFirst();
      if (inserted) return { fresh: true as const };
      const existing = await trx.selectFrom('core_idempotency').selectAll().where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirstOrThrow();
      return { fresh: false as const, existing };
    });
    if (outcome.fresh) {
      request.idempotencyKey = key;
      return;
    }
    const existing = outcome.existing;
    if (existing.request_hash !== requestHash) {
      throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used for a different request; use a new key for a new request.', 'header.idempotency-key');
    }
    if (existing.state === 'completed') {
      return reply.status(existing.status_code ?? 200).header('idempotent-replayed', 'true').send(existing.response);
    }
    throw new ProblemError(409, 'idempotency-in-progress', 'Request already being processed',
      existing.state === 'committed'
        ? 'The first request with this Idempotency-Key was carried out, but its response was not recorded; nothing was created twice. Look the result up instead of retrying.'
        : 'A request with this Idempotency-Key is still being processed; retry in a moment.', 'header.idempotency-key');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    const tenantId = request.auth?.tenant?.id;
    if (!key || !tenantId) return payload;
    request.idempotencyKey = null;
    if (reply.statusCode >= 500) {
      // Nothing was committed unless the handler's transaction marked the key committed.
      await withTenant(db, tenantId, (trx) => trx.deleteFrom('core_idempotency')
        .where('tenant_id', '=', tenantId).where('key', '=', key).where('state', '=', 'in_progress').execute());
      return payload;
    }
    let body: unknown = null;
    if (typeof payload === 'string' && payload.length > 0) {
      try { body = JSON.parse(payload); } catch { body = payload; }
    }
    await withTenant(db, tenantId, (trx) => trx.updateTable('core_idempotency')
      .set({ state: 'completed', status_code: reply.statusCode, response: JSON.stringify(body) })
      .where('tenant_id', '=', tenantId).where('key', '=', key).execute());
    return payload;
  });
}, { name: 'congno-idempotency', dependencies: ['congno-auth', 'congno-tenancy'] });
