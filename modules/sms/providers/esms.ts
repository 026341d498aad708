/**
 * eSMS.vn: a customer-care brandname message (SmsType 2) per request to
 * `<url>/SendMultipleMessage_V4_post_json/`; our message id as `RequestId` (eSMS refuses the same
 * id twice in 24 hours with code 124), the delivery report to `CallbackUrl`. Fields and codes:
 * providers-api.md §1.
 */
import type { SmsSettings } from '../context.js';
import { call, inWindow, nationalVn, thrown } from './http-call.js';
import type { Outcome, Outgoing, Report, Sender } from './types.js';

const CODES: Record<string, string> = {
  '99': 'the phone number is blocked or an unknown error', '101': 'the ApiKey or SecretKey is wrong', '102': 'the account has no price list',
  '103': 'the account balance is too low', '104': 'the brandname does not exist or is not approved', '108': 'the phone number is not valid',
  '110': 'the data is not valid', '118': 'the message type is not supported', '124': 'eSMS has this RequestId already',
  '140': 'this server\'s IP address is not allowed', '146': 'the text does not match a registered customer-care template',
  '177': 'the brandname is not registered with this phone\'s network', '300': 'the message type is missing',
};
/** Waiting fixes them (a top-up, an approval): the message stays queued. */
const LATER = new Set(['101', '102', '103', '104', '140']);

export function esmsSender(settings: SmsSettings, callbackUrl: string | null): Sender {
  const o = settings.esms;
  return {
    send: (messages: Outgoing[]) => inWindow(messages, 10, async (m): Promise<Outcome> => {
      try {
        const answer = await call('eSMS', `${o.url.replace(/\/+$/, '')}/SendMultipleMessage_V4_post_json/`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, timeoutSeconds: 30,
          body: JSON.stringify({
            ApiKey: o.apiKey, SecretKey: o.secretKey, Phone: nationalVn(m.phone), Content: m.text, Brandname: o.brandname, SmsType: '2',
            IsUnicode: m.encoding === 'ucs2' ? '1' : '0', Sandbox: o.sandbox ? '1' : '0', RequestId: m.id, ...(callbackUrl ? { CallbackUrl: callbackUrl } : {}),
          }),
        });
        const a = (answer.json ?? {}) as Record<string, unknown>;
        const code = a.CodeResult === undefined ? null : String(a.CodeResult);
        if (code === '100' && a.SMSID) return { kind: 'submitted', providerId: String(a.SMSID) };
        if (code === null) return { kind: 'refused', code: 'esms_invalid_request', message: `eSMS refused the request: ${answer.text.slice(0, 200)}` };
        if (code === '124') return { kind: 'unknown', message: 'eSMS has a message with this id already (code 124): it may have gone' };
        const words = `${CODES[code] ?? 'an error eSMS does not document'} (eSMS code ${code}${a.ErrorMessage ? `: ${String(a.ErrorMessage)}` : ''})`;
        return LATER.has(code) ? { kind: 'retry', message: words } : { kind: 'refused', code: `esms_${code}`, message: words };
      } catch (err) {
        return thrown(err);
      }
    }),
  };
}

/**
 * eSMS's report (a GET to the CallbackUrl, or a POST): `SendStatus` 5 is "finished", delivered or
 * not by `SendSuccess`/`SendFailed`; 4 "rejected"; 1, 2, 7 are on the way.
 */
export function esmsReport(fields: Record<string, unknown>): Report | null {
  const id = fields.SMSID ?? fields.SmsId ?? fields.smsid;
  if (id === undefined || id === null || id === '') return null;
  const status = String(fields.SendStatus ?? '');
  const success = Number(fields.SendSuccess ?? 0);
  const failed = Number(fields.SendFailed ?? 0);
  const phone = fields.phonenumber ? ` to ${String(fields.phonenumber)}` : '';
  if (status === '4') return { providerId: String(id), state: 'failed', code: 'esms_rejected', message: `eSMS rejected the message${phone}`, at: new Date() };
  if (status !== '5') return null;
  if (success > 0 && failed === 0) return { providerId: String(id), state: 'delivered', code: 'delivered', message: `delivered${phone}`, at: new Date() };
  return { providerId: String(id), state: 'failed', code: 'esms_failed', message: `the network did not deliver it${phone} (eSMS: ${success} delivered, ${failed} failed)`, at: new Date() };
}
