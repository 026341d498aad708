/**
 * SpeedSMS.vn: `POST <url>/sms/send` with HTTP Basic (the access token as user, "x" as password),
 * `{to: ["84…"], content, sms_type: 3, sender}` — type 3 is a message under the company's own
 * brandname. SpeedSMS takes no id of ours: exactly-once rests on the hand-over record alone.
 * Reports and replies come to the webhook set in SpeedSMS's dashboard. Fields: providers-api.md §2.
 */
import type { SmsSettings } from '../context.js';
import { call, inWindow, thrown } from './http-call.js';
import type { Outcome, Outgoing, Report, Sender } from './types.js';

const CODES: Record<string, string> = {
  '007': 'this server\'s IP address is locked', '008': 'the account is blocked', '009': 'the account may not use the API',
  '101': 'the request\'s parameters are not valid', '105': 'the phone number is not valid', '110': 'the text\'s encoding is not supported',
  '113': 'the text is too long', '300': 'the account balance is too low', '500': 'SpeedSMS had an internal error',
};
const LATER = new Set(['007', '008', '009', '300']);

export function speedsmsSender(settings: SmsSettings): Sender {
  const o = settings.speedsms;
  const auth = `Basic ${Buffer.from(`${o.accessToken}:x`).toString('base64')}`;
  return {
    // SpeedSMS allows 60 requests a minute: one at a time.
    send: (messages: Outgoing[]) => inWindow(messages, 1, async (m): Promise<Outcome> => {
      try {
        const answer = await call('SpeedSMS', `${o.url.replace(/\/+$/, '')}/sms/send`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, timeoutSeconds: 30,
          body: JSON.stringify({ to: [m.phone.replace(/^\+/, '')], content: m.text, sms_type: 3, sender: o.sender }),
        });
        if (answer.status === 401) return { kind: 'retry', message: 'SpeedSMS refused the access token (HTTP 401): check the sms settings speedsms.accessToken' };
        const a = (answer.json ?? {}) as { status?: string; code?: string; message?: string; data?: { tranId?: unknown; invalidPhone?: unknown[] } };
        if (a.status === 'success' && a.data?.tranId !== undefined) {
          if (Array.isArray(a.data.invalidPhone) && a.data.invalidPhone.length > 0) return { kind: 'refused', code: 'speedsms_105', message: `SpeedSMS found the phone number not valid (${String(a.data.invalidPhone[0])})` };
          return { kind: 'submitted', providerId: String(a.data.tranId) };
        }
        const code = String(a.code ?? answer.status);
        if (code === '500') return { kind: 'unknown', message: 'SpeedSMS answered with an internal error (code 500): it may have the message' };
        const words = `${CODES[code] ?? 'an error SpeedSMS does not document'} (SpeedSMS code ${code}${a.message ? `: ${a.message}` : ''})`;
        return LATER.has(code) ? { kind: 'retry', message: words } : { kind: 'refused', code: `speedsms_${code}`, message: words };
      } catch (err) {
        return thrown(err);
      }
    }),
  };
}

/** SpeedSMS's webhook: `{type: "report", tranId, phone, status}` (0 delivered, 1–63 still trying, ≥ 64 failed) or a reply `{phone, content}`. */
export function speedsmsCallback(body: Record<string, unknown>): { report: Report | null; incoming: { from: string; text: string } | null } {
  if (body.type === 'report') {
    const status = Number(body.status);
    if (body.tranId === undefined || !Number.isInteger(status) || (status > 0 && status < 64)) return { report: null, incoming: null };
    const phone = body.phone ? ` to ${String(body.phone)}` : '';
    return {
      report: status === 0
        ? { providerId: String(body.tranId), state: 'delivered', code: 'delivered', message: `delivered${phone}`, at: new Date() }
        : { providerId: String(body.tranId), state: 'failed', code: `speedsms_status_${status}`, message: `the network did not deliver it${phone} (SpeedSMS status ${status})`, at: new Date() },
      incoming: null,
    };
  }
  if (typeof body.phone === 'string' && typeof body.content === 'string') return { report: null, incoming: { from: body.phone, text: body.content } };
  return { report: null, incoming: null };
}
