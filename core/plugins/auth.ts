import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { hashToken, type Role } from '../auth/tokens.js';
import type { Db } from '../db/kysely.js';
import { ProblemError, forbidden, unauthorized } from '../errors.js';

export interface TenantInfo { id: string; slug: string; name: string; currency: string; timezone: string; locale: string }

export interface Auth {
  tokenId: string;
  role: Role;
  userId: string | null;
  /** null for the platform admin. */
  tenant: TenantInfo | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
  interface FastifyInstance {
    /** Drops a token from this process's cache (after revocation). */
    forgetToken(hash: string): void;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route. Default: `admin` under /api/admin, every tenant role elsewhere. */
    roles?: Role[];
    /** Skip authentication (public route under /api). */
    public?: boolean;
  }
}

export interface AuthOptions { db: Db; maxFailuresPerMinute: number; cacheMs: number }

/**
 * Bearer-token authentication for every `/api/**` route, with the role check declared in the
 * route's `config.roles`. Verified tokens are cached for `cacheMs`; failures are counted per
 * client address and answered 429 beyond `maxFailuresPerMinute`.
 */
export default fp<AuthOptions>(async (app, opts) => {
  const cache = new Map<string, { auth: Auth; until: number }>();
  const failures = new Map<string, { count: number; resetAt: number }>();

  app.decorateRequest('auth', null);

  const lookup = async (hash: string): Promise<Auth | null> => {
    const now = Date.now();
    const hit = cache.get(hash);
    if (hit && hit.until > now) return hit.auth;
    const row = await opts.db.selectFrom('core_token as k')
      .leftJoin('core_tenant as t', 't.id', 'k.tenant_id')
      .select(['k.id', 'k.role', 'k.user_id', 't.id as tenant_id', 't.slug', 't.name', 't.currency', 't.timezone', 't.locale'])
      .where('k.token_hash', '=', hash).where('k.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    const auth: Auth = {
      tokenId: row.id, role: row.role, userId: row.user_id,
      tenant: row.tenant_id ? { id: row.tenant_id, slug: row.slug!, name: row.name!, currency: row.currency!.trim(), timezone: row.timezone!, locale: row.locale! } : null,
    };
    if (opts.cacheMs > 0) {
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { auth, until: now + opts.cacheMs });
    }
    return auth;
  };

  const fail = (request: FastifyRequest, detail: string): ProblemError => {
    const now = Date.now();
    const entry = failures.get(request.ip);
    if (!entry || entry.resetAt <= now) {
      if (failures.size > 10_000) failures.clear();
      failures.set(request.ip, { count: 1, resetAt: now + 60_000 });
    } else entry.count++;
    return unauthorized(detail);
  };

  app.addHook('onRequest', async (request, reply) => {
    // Decide on the matched route, never the raw URL: '/%61pi/admin/tenants' reaches the same
    // route as '/api/admin/tenants'. Unmatched URLs (404) fall back to the raw URL.
    const route = request.routeOptions.url ?? request.url;
    if (!route.startsWith('/api/') || request.routeOptions.config?.public) return;
    const limited = failures.get(request.ip);
    if (limited && limited.resetAt > Date.now() && limited.count >= opts.maxFailuresPerMinute) {
      reply.header('retry-after', Math.ceil((limited.resetAt - Date.now()) / 1000));
      throw new ProblemError(429, 'too-many-failed-authentications', 'Too many failed authentications', 'Too many requests with a missing or wrong token from this address; wait a minute.');
    }
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw fail(request, 'Send the header Authorization: Bearer <token>.');
    const auth = await lookup(hashToken(match[1]));
    if (!auth) throw fail(request, 'The bearer token is not valid or has been revoked.');
    request.auth = auth;
    request.log = request.log.child({ tenantId: auth.tenant?.id ?? null, role: auth.role });
  });

  // Roles are checked after every onRequest hook, so the guard of a module the tenant has not
  // enabled answers 404 first, whatever the role (core/modules/loader.ts).
  app.addHook('preParsing', async (request) => {
    const auth = request.auth;
    if (!auth) return;
    const route = request.routeOptions.url ?? request.url;
    const isAdminRoute = route.startsWith('/api/admin/') || route === '/api/admin';
    const roles = request.routeOptions.config?.roles ?? (isAdminRoute ? ['admin'] : ['accountant', 'clerk', 'sales']);
    if (!roles.includes(auth.role)) {
      throw forbidden(auth.role === 'admin' && !isAdminRoute
        ? 'The platform-admin token belongs to no tenant; use a token of the tenant for this route.'
        : `Role '${auth.role}' may not use this route (allowed: ${roles.join(', ')}).`);
    }
  });

  app.decorate('forgetToken', (hash: string) => cache.delete(hash));
}, { name: 'congno-auth' });

/** The tenant of an authenticated tenant request (routes under /api/<module>). */
export function tenantOf(request: FastifyRequest): TenantInfo {
  const tenant = request.auth?.tenant;
  if (!tenant) throw forbidden('This route needs a tenant token.');
  return tenant;
}
