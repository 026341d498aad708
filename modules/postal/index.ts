import { getTenant } from '../../core/tenants.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import type { PostalApi } from './context.js';
import { cutBatch } from './batches.js';
import { letterSubmitter, SUBMIT_MAX_ATTEMPTS } from './docsaway.js';
import { letterQueuer } from './letters.js';
import { batchUploader, UPLOAD_MAX_ATTEMPTS } from './sftp.js';

/** "HH:MM" of an instant in a time zone. */
function timeIn(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant);
}

export function setup(api: PostalApi): void {
  // A letter per follow-up letter action, rendered and kept once.
  api.subscribe('followup.action_created', 'queue-letter', letterQueuer(api), { when: (a) => a.channel === 'letter' });
  // Docsaway: each letter as it is queued.
  api.subscribe('postal.letter_queued', 'submit-docsaway', letterSubmitter(api), { maxAttempts: SUBMIT_MAX_ATTEMPTS });

  // Batch providers: every quarter hour the clock asks whether the tenant's cut-off has come; the
  // first tick at or after it makes the day's batch (one per date, also with several servers).
  api.job('clock', '*/15 * * * *', 'postal.clock_ticked');
  api.subscribe('postal.clock_ticked', 'cut-batch', async (ctx, event) => {
    const settings = await api.settings(ctx.trx, ctx.tenantId);
    if (settings.provider === 'docsaway') return;
    const tenant = await getTenant(ctx.trx, ctx.tenantId);
    if (timeIn(new Date(event.payload.period), tenant.timezone) < settings.cutoff) return;
    const made = await cutBatch(api, ctx.trx, ctx.tenantId, event.payload.date, SYSTEM_ACTOR);
    if (made?.created) ctx.log.info({ batchId: made.batch.id, letters: made.batch.letters }, 'postal batch made at the cut-off');
  });
  api.subscribe('postal.batch_created', 'upload-batch', batchUploader(api), { maxAttempts: UPLOAD_MAX_ATTEMPTS });
}
