import { sql } from 'kysely';
import { getTenant } from '../../core/tenants.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import type { FollowUpApi } from './context.js';
import { emailSender } from './email.js';
import { seedDefaultPlan } from './levels.js';
import { runFollowUp } from './runs.js';

/** The hour of an instant in a time zone (0–23). */
function hourIn(instant: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(instant));
}

export function setup(api: FollowUpApi): void {
  api.onEnable(seedDefaultPlan);

  // The daily run. The clock ticks every hour (tenant time zone); from the tenant's `runHour` on,
  // the first tick of a day asks for that day's run, once (dedupe key per date): several servers,
  // restarts and an outage (the scheduler then emits only the latest missed hour) give one run,
  // which catches up with one reminder at the right level, not one per missed day.
  api.job('clock', '0 * * * *', 'followup.clock_ticked');
  api.subscribe('followup.clock_ticked', 'request-daily-run', async (ctx, event) => {
    const { runHour } = await api.settings(ctx.trx, ctx.tenantId);
    const tenant = await getTenant(ctx.trx, ctx.tenantId);
    if (hourIn(new Date(event.payload.period), tenant.timezone) < runHour) return;
    await api.emit(ctx.trx, ctx.tenantId, 'followup.run_requested', { date: event.payload.date, trigger: 'scheduled' }, { dedupeKey: `followup:run@${event.payload.date}` });
  });
  api.subscribe('followup.run_requested', 'run', async (ctx, event) => {
    const run = await runFollowUp(api, ctx.trx, ctx.tenantId, SYSTEM_ACTOR, { date: event.payload.date, trigger: 'scheduled' });
    ctx.log.info({ runId: run.id, date: run.date, actions: run.actions.length }, 'daily follow-up run done');
  });

  // Channels: email here; sms and letter modules subscribe to the same event.
  api.subscribe('followup.action_created', 'send-email', emailSender(api), { maxAttempts: 8 });

  // A payment matched to the bank settles invoices: in the same transaction, reminders not yet
  // sent whose invoices are all settled now are cancelled (one still listing an open invoice goes
  // out, and lists only what is still open).
  api.hook('payment.reconciled', async ({ trx, tenantId }, payment) => {
    if (payment.invoiceIds.length === 0) return;
    await sql`
      update followup_action a
      set state = 'cancelled', done_at = now(),
          result = jsonb_build_object('reason', 'paid: payment ' || ${payment.paymentId}::text || ' was reconciled before the reminder went out', 'payment', ${payment.paymentId}::text)
      where a.tenant_id = ${tenantId} and a.partner_id = ${payment.partnerId} and a.state = 'pending'
        and a.invoice_ids && ${payment.invoiceIds}::uuid[]
        and not exists (
          select 1 from ledger_move_line l
          where l.tenant_id = a.tenant_id and l.invoice_id = any(a.invoice_ids) and l.receivable and l.amount_residual > 0)`.execute(trx);
  });
}
