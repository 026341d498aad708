/**
 * Zalo Notification Service: an approved template to a phone number through the Official
 * Account, `POST <url>/message/template` with the `access_token` header and `{phone: "84…",
 * template_id, template_data, tracking_id}` (our message id). Zalo reports only "received"
 * (`user_received_message`); a message not received in time counts as not delivered (sweep).
 * Fields and error numbers: providers-api.md §3.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SmsSettings } from '../context.js';
import { call, inWindow, thrown } from './http-call.js';
import type { Outcome, Outgoing, Report, Sender } from './types.js';

const ERRORS: Record<string, string> = {
  '-100': 'Zalo had an unknown error', '-108': 'the phone number is not valid for Zalo', '-109': 'the ZNS template id is not valid',
  '-110': 'the customer\'s Zalo app is too old for ZNS', '-111': 'the template data is empty', '-112': 'the template data is not valid',
  '-114': 'the customer is not reachable on Zalo (inactive, refused ZNS, or an old app)', '-115': 'the Official Account is out of ZNS quota',
  '-118': 'the phone number has no Zalo account', '-124': 'the access token is not valid or has expired',
};

export function zaloSender(settings: SmsSettings): Sender {
  const o = settings.zalo;
  return {
    send: (messages: Outgoing[]) => inWindow(messages, 10, async (m): Promise<Outcome> => {
      if (!m.template) return { kind: 'refused', code: 'zalo_no_template', message: 'no ZNS template for this reminder' };
      try {
        const answer = await call('Zalo', `${o.url.replace(/\/+$/, '')}/message/template`, {
          method: 'POST', headers: { 'content-type': 'application/json', access_token: o.accessToken }, timeoutSeconds: 30,
          body: JSON.stringify({ phone: m.phone.replace(/^\+/, ''), template_id: m.template.id, template_data: m.template.data, tracking_id: m.id, ...(o.development ? { mode: 'development' } : {}) }),
        });
        const a = (answer.json ?? {}) as { error?: number; message?: string; data?: { msg_id?: string; quota?: { remainingQuota?: string } } };
        if (a.error === 0 && a.data?.msg_id) return { kind: 'submitted', providerId: String(a.data.msg_id) };
        if (typeof a.error !== 'number') return { kind: 'unknown', message: `Zalo answered without an error number (HTTP ${answer.status})` };
        const n = String(a.error);
        return { kind: 'refused', code: `zalo_${n}`, message: `${ERRORS[n] ?? 'a Zalo error'} (Zalo error ${n}${a.message ? `: ${a.message}` : ''})` };
      } catch (err) {
        return thrown(err);
      }
    }),
  };
}

/**
 * Zalo's webhook call, checked: `X-ZEvent-Signature` is sha256(app_id + raw body + timestamp + the
 * OA's secret key) in hex, written with or without "mac=". Only `user_received_message` reports.
 */
export function zaloEvent(settings: SmsSettings, raw: string, signature: string | undefined): { ok: true; report: Report | null } | { ok: false; status: 400 | 401; reason: string } {
  let body: { event_name?: string; app_id?: string; timestamp?: string | number; message?: { msg_id?: string; delivery_time?: string | number } };
  try { body = JSON.parse(raw); } catch { return { ok: false, status: 400, reason: 'the body is not JSON' }; }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, status: 400, reason: 'the body is not a JSON object' };
  // Unsigned events are refused: the callback address alone is known to every gateway the company uses.
  if (!settings.zalo.oaSecretKey) return { ok: false, status: 401, reason: 'set the sms settings zalo.oaSecretKey: Zalo\'s events are checked with it' };
  {
    const expected = createHash('sha256').update(`${body.app_id ?? ''}${raw}${body.timestamp ?? ''}${settings.zalo.oaSecretKey}`).digest('hex');
    const given = Buffer.from((signature ?? '').replace(/^mac=/, ''));
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return { ok: false, status: 401, reason: 'X-ZEvent-Signature does not match' };
  }
  if (body.event_name !== 'user_received_message' || typeof body.message !== 'object' || !body.message?.msg_id) return { ok: true, report: null };
  const at = Number(body.message.delivery_time);
  // A time from the last ten years up to a day ahead, else the time it arrived.
  const plausible = Number.isSafeInteger(at) && at > Date.now() - 10 * 365 * 86_400_000 && at < Date.now() + 86_400_000;
  return { ok: true, report: { providerId: String(body.message.msg_id), state: 'delivered', code: 'delivered', message: 'received on Zalo', at: plausible ? new Date(at) : new Date() } };
}
