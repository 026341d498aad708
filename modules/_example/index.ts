import { badRequest } from '../../core/errors.js';
import { getTenant } from '../../core/tenants.js';
import type { ExampleApi } from './context.js';
import * as repo from './repository.js';

export function setup(api: ExampleApi): void {
  // Sync hook: runs inside the transaction that creates the note. Throwing vetoes the note.
  api.hook('note.created', async ({ trx, tenantId }, note) => {
    const { bannedWords } = await api.settings(trx, tenantId);
    const banned = bannedWords.find((w) => note.text.toLowerCase().includes(w.toLowerCase()));
    if (banned) throw badRequest(`text contains the banned word '${banned}'`, 'text');
    await repo.incrementCounter(trx, tenantId);
  });

  // After-commit subscriber: runs at least once; its database work commits exactly once with
  // the delivery. An outside call would carry ctx.idempotencyKey.
  api.subscribe('note.created', 'publish', async (ctx, event) => {
    await repo.markPublished(ctx.trx, ctx.tenantId, event.payload.id, ctx.idempotencyKey);
    ctx.log.info({ noteId: event.payload.id }, 'note published');
  });

  // Scheduled job: every day at 18:00 tenant time, once per tenant, even with several servers.
  api.job('daily-digest', '0 18 * * *', 'note.digest_requested');
  api.subscribe('note.digest_requested', 'write-digest', async (ctx, event) => {
    const tenant = await getTenant(ctx.trx, ctx.tenantId);
    await repo.writeDigest(ctx.trx, ctx.tenantId, event.payload.date, tenant.timezone);
  });

  // The service other modules get from `api.service('example')` (public.ts).
  api.provide({ count: repo.counter });
}
