import { badRequest } from '../../core/errors.js';
import { parseAmount } from '../../core/money.js';
import { getTenant } from '../../core/tenants.js';
import { checkTemplate } from './compose.js';
import type { SubscriberContext } from '../../core/events/types.js';
import type { SmsApi, SmsSettings } from './context.js';
import { applyReport, dispatch, optOutByReply, reminderIntake, sweep } from './messages.js';
import { esmsSender } from './providers/esms.js';
import { checkBodyTemplate, httpSender } from './providers/http.js';
import { SmppLinks } from './providers/smpp.js';
import { speedsmsSender } from './providers/speedsms.js';
import type { Sender } from './providers/types.js';
import { zaloSender } from './providers/zalo.js';
import { callbackPath, callbackToken } from './service.js';
import type { Provider } from './tables.js';

export function setup(api: SmsApi): void {
  const links = new SmppLinks((tenantId) => ({
    report: async (report) => { await api.tenantTx(tenantId, (trx) => applyReport(api, trx, tenantId, 'smpp', report)); },
    incoming: async (from, text) => { await api.tenantTx(tenantId, (trx) => optOutByReply(api, trx, tenantId, from, text)); },
  }), api.log);
  api.onClose(() => links.closeAll());

  const senders = async (ctx: SubscriberContext) => {
    const token = await callbackToken(ctx.trx, ctx.tenantId);
    return (provider: Provider, settings: SmsSettings): Sender => {
      const callbackUrl = api.publicUrl(callbackPath(provider, token));
      switch (provider) {
        case 'smpp': return links.for(ctx.tenantId, settings.smpp);
        case 'esms': return esmsSender(settings, callbackUrl);
        case 'speedsms': return speedsmsSender(settings);
        case 'http': return httpSender(settings, callbackUrl);
        case 'zalo': return zaloSender(settings);
      }
    };
  };

  // One message per follow-up sms or zalo action: taken in with the run, then written and sent many at a time.
  api.hookMany('followup.action_created', reminderIntake(api));
  api.subscribe('sms.reminders_received', 'write-and-send', async (ctx) => { await dispatch(api, ctx, await senders(ctx)); }, { maxAttempts: 12 });
  // Sent as they are queued, many at once through the provider's window.
  api.subscribe('sms.message_queued', 'send', async (ctx, event) => { await dispatch(api, ctx, await senders(ctx), { messageId: event.payload.messageId }); }, { maxAttempts: 12 });
  // Every 5 minutes: windows that opened, hand-overs lost in a crash, Zalo messages not received in time; an SMPP session
  // stays bound while receipts are awaited.
  api.job('clock', '*/5 * * * *', 'sms.clock_ticked');
  api.subscribe('sms.clock_ticked', 'sweep', async (ctx) => {
    const settings = await api.settings(ctx.trx, ctx.tenantId);
    // Committed before the round: its row locks must not wait for the sending.
    await ctx.db.transaction((t) => sweep(api, t, ctx.tenantId, settings));
    if (settings.provider === 'smpp' && settings.smpp.host) {
      const awaiting = await ctx.trx.selectFrom('sms_message').select('id').where('tenant_id', '=', ctx.tenantId).where('provider', '=', 'smpp').where('state', '=', 'submitted').limit(1).executeTakeFirst();
      if (awaiting) links.for(ctx.tenantId, settings.smpp).keepBound();
    }
    await dispatch(api, ctx, await senders(ctx));
  });

  api.onSettingsChange(async (trx, tenantId, settings) => {
    const { currency } = await getTenant(trx, tenantId);
    try {
      parseAmount(settings.pricePerPart, currency, { allowZero: true, field: 'pricePerPart' });
    } catch (err) {
      throw badRequest(`pricePerPart: ${(err as Error).message}`, 'settings.pricePerPart');
    }
    for (const [key, source] of Object.entries(settings.templates)) {
      const wrong = checkTemplate(source);
      if (wrong) throw badRequest(`templates.${key}: ${wrong}`, `settings.templates.${key}`);
    }
    if (settings.provider === 'http') {
      const wrong = checkBodyTemplate(settings.http.body);
      if (wrong) throw badRequest(wrong, 'settings.http.body');
      if (!/^https?:\/\//.test(settings.http.url)) throw badRequest('http.url must be an http(s) address', 'settings.http.url');
    }
    for (const [name, url] of [['esms.url', settings.esms.url], ['speedsms.url', settings.speedsms.url], ['zalo.url', settings.zalo.url]] as const) {
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw badRequest(`${name} must be an http(s) address`, `settings.${name}`);
    }
  });

}
