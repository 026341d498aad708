/**
 * One HTTP call to a gateway, sorted by what it means for exactly-once: `NotSent` when the request
 * certainly did not arrive (no connection, or the gateway said to come back later), `NoAnswer`
 * when it may have (a timeout, a connection cut while waiting, an error page from behind the gateway).
 */
import type { Outcome } from './types.js';

export class NotSent extends Error {}
export class NoAnswer extends Error {}

/** Bodies a gateway answers are short; more is not an answer of theirs. */
const MAX_ANSWER = 256 * 1024;

export interface Answer { status: number; text: string; json: unknown }

export async function call(name: string, url: string, init: { method: string; headers: Record<string, string>; body: string; timeoutSeconds: number }): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, redirect: 'error', signal: AbortSignal.timeout(init.timeoutSeconds * 1000) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const code = e.cause?.code ?? '';
    if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL'].includes(code) || e.name === 'TypeError' && !code && /invalid url|failed to parse url/i.test(e.message)) {
      throw new NotSent(`${name} cannot be reached (${code || e.message})`);
    }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new NoAnswer(`${name} did not answer within ${init.timeoutSeconds} s`);
    throw new NoAnswer(`${name}: ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new NoAnswer(`${name}: the answer broke off (${(err as Error).message})`);
  }
  if (response.status === 429 || response.status === 503) throw new NotSent(`${name} asks to come back later (HTTP ${response.status})`);
  if (response.status >= 500) throw new NoAnswer(`${name} answered HTTP ${response.status}`);
  let json: unknown = null;
  if (text.length <= MAX_ANSWER) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  return { status: response.status, text: text.slice(0, 500), json };
}

/** The outcome of a call that threw. */
export function thrown(err: unknown): Outcome {
  if (err instanceof NotSent) return { kind: 'retry', message: err.message };
  if (err instanceof NoAnswer) return { kind: 'unknown', message: err.message };
  throw err;
}

/** `fn` over `items`, at most `window` at once, results in order. */
export async function inWindow<T, R>(items: T[], window: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  return out;
}

/** A national Vietnamese number as the gateways write it (0912345678); others in international digits. */
export function nationalVn(e164: string): string {
  return e164.startsWith('+84') ? `0${e164.slice(3)}` : e164.replace(/^\+/, '');
}
