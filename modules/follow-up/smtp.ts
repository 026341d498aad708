/**
 * The tenants' SMTP connections, pooled. Opening a connection costs a TCP (and TLS) handshake and
 * the server's greeting, which many servers hold back on purpose (Postfix's postscreen, and the
 * `smtp-server` package's early-talker check, ~100 ms): one connection per email capped delivery at
 * ~12 emails/s. A tenant's emails now share a few open connections, reused until idle.
 *
 * - One pool per tenant, never shared between tenants (their servers, logins and limits differ).
 * - New settings give a new pool; the old one is not cut off under a message being handed over:
 *   it is closed once its connections had time to finish (or at shutdown).
 * - A connection the server closes under a message fails that message (`maxRequeues: 0`): the
 *   caller records the attempt and retries it visibly, rather than the pool sending it again
 *   behind the caller's back.
 */
import nodemailer from 'nodemailer';
import type { FollowUpSettings } from './context.js';

type Transport = ReturnType<typeof nodemailer.createTransport>;

/** Idle connections are closed (with QUIT) before the 30-s socket timeout would cut them. */
const IDLE_MS = 20_000;
/** A replaced pool is closed after its connections' longest possible exchange. */
const RETIRE_MS = 60_000;

function options(settings: FollowUpSettings) {
  const { host, port, secure, user, password } = settings.email;
  return {
    host, port, secure, ...(user ? { auth: { user, pass: password ?? '' } } : {}),
    connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000,
    pool: true as const, maxConnections: 3, maxMessages: 500, maxRequeues: 0, idleTimeout: IDLE_MS,
  };
}

export class SmtpPools {
  private pools = new Map<string, { key: string; transport: Transport }>();
  private retired = new Set<Transport>();

  /** The tenant's pooled transport for these settings. */
  for(tenantId: string, settings: FollowUpSettings): Transport {
    const o = options(settings);
    const key = JSON.stringify(o);
    const found = this.pools.get(tenantId);
    if (found?.key === key) return found.transport;
    if (found) this.retire(found.transport);
    const transport = nodemailer.createTransport(o);
    this.pools.set(tenantId, { key, transport });
    return transport;
  }

  private retire(transport: Transport): void {
    this.retired.add(transport);
    setTimeout(() => { this.retired.delete(transport); transport.close(); }, RETIRE_MS).unref();
  }

  closeAll(): void {
    for (const { transport } of this.pools.values()) transport.close();
    for (const transport of this.retired) transport.close();
    this.pools.clear();
    this.retired.clear();
  }
}
