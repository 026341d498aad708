/**
 * A generic HTTP gateway: the tenant's URL, method, headers and a JSON body template whose string
 * values may hold "{{to}}", "{{text}}", "{{id}}", "{{encoding}}", "{{parts}}", "{{callbackUrl}}".
 * A 2xx answer is taken: the gateway's id from `idField` (else our id). Its reports come to our
 * callback as `{id, status: "delivered"|"failed"|"expired", reason?}`.
 */
import type { SmsSettings } from '../context.js';
import { call, inWindow, thrown } from './http-call.js';
import type { Outcome, Outgoing, Report, Sender } from './types.js';

const PLACEHOLDERS = ['to', 'text', 'id', 'encoding', 'parts', 'callbackUrl'] as const;

/** The body template's fields filled in: replaced inside JSON strings only, so a text cannot break the JSON. */
export function fillBody(template: unknown, values: Record<(typeof PLACEHOLDERS)[number], string>): unknown {
  if (typeof template === 'string') {
    let out = template;
    for (const key of PLACEHOLDERS) out = out.split(`{{${key}}}`).join(values[key]);
    return out;
  }
  if (Array.isArray(template)) return template.map((v) => fillBody(v, values));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillBody(v, values)]));
  return template;
}

/** The reason the body template cannot be used, or null. */
export function checkBodyTemplate(body: string): string | null {
  try {
    const parsed = JSON.parse(body);
    if (!parsed || typeof parsed !== 'object') return 'the body template must be a JSON object or array';
  } catch (err) {
    return `the body template is not JSON (${(err as Error).message})`;
  }
  return body.includes('{{to}}') && body.includes('{{text}}') ? null : 'the body template must carry "{{to}}" and "{{text}}"';
}

function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

export function httpSender(settings: SmsSettings, callbackUrl: string | null): Sender {
  const o = settings.http;
  const template = JSON.parse(o.body) as unknown;
  return {
    send: (messages: Outgoing[]) => inWindow(messages, 10, async (m): Promise<Outcome> => {
      try {
        const body = fillBody(template, { to: m.phone, text: m.text, id: m.id, encoding: m.encoding, parts: String(m.parts), callbackUrl: callbackUrl ?? '' });
        const answer = await call('the SMS gateway', o.url, {
          method: o.method, headers: { 'content-type': 'application/json', ...o.headers, ...o.secretHeaders }, body: JSON.stringify(body), timeoutSeconds: o.timeoutSeconds,
        });
        if (answer.status >= 200 && answer.status < 300) {
          const id = at(answer.json, o.idField);
          return { kind: 'submitted', providerId: id === undefined || id === null || id === '' ? m.id : String(id) };
        }
        if (answer.status === 401 || answer.status === 403) return { kind: 'retry', message: `the SMS gateway refused our credentials (HTTP ${answer.status}): check the sms settings http.secretHeaders` };
        return { kind: 'refused', code: `http_${answer.status}`, message: `the SMS gateway refused it (HTTP ${answer.status}: ${answer.text.slice(0, 200)})` };
      } catch (err) {
        return thrown(err);
      }
    }),
  };
}

export function httpReport(body: Record<string, unknown>): Report | null {
  const id = body.id;
  const status = body.status;
  if ((typeof id !== 'string' && typeof id !== 'number') || !['delivered', 'failed', 'expired'].includes(String(status))) return null;
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 200) : null;
  const state = status as Report['state'];
  return { providerId: String(id), state, code: state === 'delivered' ? 'delivered' : `http_${state}`, message: state === 'delivered' ? 'delivered' : `${state}${reason ? `: ${reason}` : ''}`, at: new Date() };
}
