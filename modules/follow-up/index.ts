import { sql } from 'kysely';
import { getTenant } from '../../core/tenants.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import type { FollowUpApi } from './context.js';
import { EMAIL_MAX_ATTEMPTS } from './delivery.js';
import { emailBatchSender, emailSender } from './email.js';
import { mailSender } from './mail.js';
import { seedDefaultPlan } from './levels.js';
import { SmtpPools } from './smtp.js';
import { checkTemplate } from './templates.js';
import { badRequest } from '../../core/errors.js';
import { noteChanged } from './repository.js';
import { runFollowUp } from './runs.js';
import { createFollowUpService } from './service.js';
import type { Trx } from '../../core/db/kysely.js';

/** The hour of an instant in a time zone (0–23). */
function hourIn(instant: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(instant));
}

export function setup(api: FollowUpApi): void {
  api.onEnable(seedDefaultPlan);
  // A tenant's template is rendered once with sample data when saved: one that cannot be written is refused, naming it.
  api.onSettingsChange(async (_trx, _tenantId, settings) => {
    for (const [key, text] of Object.entries(settings.templates)) {
      const wrong = checkTemplate(key, text);
      if (wrong) throw badRequest(`templates.${key}: ${wrong}`, `settings.templates.${key}`);
    }
  });
  api.provide(createFollowUpService(api));

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

  // Channels: email here (`followup.emails_queued` once a run); sms, zalo and letter modules subscribe to `followup.action_created`.
  const smtp = new SmtpPools();
  api.onClose(() => smtp.closeAll());
  // A run's emails many at a time; one that could not go for a while, tried again alone (email.ts).
  api.subscribe('followup.emails_queued', 'send-emails', emailBatchSender(api, smtp), { maxAttempts: EMAIL_MAX_ATTEMPTS });
  api.subscribe('followup.email_retry', 'send-email', emailSender(api, smtp), { maxAttempts: EMAIL_MAX_ATTEMPTS });
  api.subscribe('followup.mail_queued', 'send-mail', mailSender(api, smtp), { maxAttempts: EMAIL_MAX_ATTEMPTS });

  // Incremental runs: every ledger event that changes a partner's open items notes the partner as
  // changed, in the same transaction (append-only rows, one per partner and transaction). `hookMany`
  // gets all the payloads of an emit at once, so a bulk of 1,000 payments (`emitMany`) costs one
  // insert, not 1,000. The follow-up module's own changes (exclusions, promises, plan, rescheduling,
  // manual sends) note theirs where they are made.
  const changed = async ({ trx, tenantId }: { trx: Trx; tenantId: string }, payloads: Array<{ partnerId: string }>): Promise<void> => {
    await noteChanged(trx, tenantId, payloads.map((p) => p.partnerId));
  };
  api.hookMany('invoice.posted', changed);
  api.hookMany('invoice.payment_state_changed', changed);
  api.hookMany('payment.registered', changed);
  api.hookMany('payment.allocated', changed);
  api.hookMany('payment.unallocated', changed);
  api.hookMany('payment.reversed', changed);
  api.hookMany('opening_balance.imported', changed);

  // A payment matched to the bank settles invoices: in the same transaction, reminders not yet
  // sent whose invoices are all settled now are cancelled (one still listing an open invoice goes
  // out, and lists only what is still open).
  api.hookMany('payment.reconciled', async ({ trx, tenantId }, reconciled) => {
    const payments = reconciled.filter((p) => p.invoiceIds.length > 0);
    if (payments.length === 0) return;
    // One statement for a whole bank statement's payments; an action settled by several names the first.
    await sql`
      update followup_action a
      set state = 'cancelled', done_at = now(),
          result = jsonb_build_object('code', 'paid', 'message', 'paid: payment ' || c.payment_id || ' was reconciled before the reminder went out',
                                      'reason', 'paid: payment ' || c.payment_id || ' was reconciled before the reminder went out', 'payment', c.payment_id)
      from (
        select distinct on (x.id) x.id, p.payment_id::text as payment_id
        from unnest(${payments.map((p) => p.partnerId)}::uuid[], ${payments.map((p) => p.paymentId)}::uuid[], ${payments.map((p) => `{${p.invoiceIds.join(',')}}`)}::text[])
          as p(partner_id, payment_id, invoice_ids)
        join followup_action x on x.tenant_id = ${tenantId} and x.partner_id = p.partner_id and x.state = 'pending' and x.invoice_ids && p.invoice_ids::uuid[]
        order by x.id, p.payment_id
      ) c
      where a.tenant_id = ${tenantId} and a.id = c.id
        and not exists (
          select 1 from ledger_move_line l
          where l.tenant_id = a.tenant_id and l.invoice_id = any(a.invoice_ids) and l.receivable and l.amount_residual > 0)`.execute(trx);
  });
}
