import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, type TestApp, type TestAppOptions } from '../../../test/helpers/build-test-app.js';

interface Teardown { teardown(fn: () => unknown): void }

export function ok<T = any>(res: LightMyRequestResponse): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 2000)}`);
  return res.json() as T;
}

/** Any time of day is inside this window: tests that are not about quiet hours do not depend on the clock. */
export const ALWAYS = { from: '00:00', to: '00:00' };

export async function smsApp(t: Teardown, settings: Record<string, unknown>, options: TestAppOptions = {}): Promise<TestApp> {
  const h = await buildTestApp(t, { modules: ['ledger', 'follow-up', 'sms'], ...options });
  await setSms(h, { quietHours: ALWAYS, ...settings });
  return h;
}

export async function setSms(h: TestApp, settings: Record<string, unknown>): Promise<any> {
  return ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/sms`, { settings }, { token: h.adminToken }));
}

export async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

/** The seeded "due" level (delay 0) sends by these channels, with this fallback. */
export async function dueLevelBy(h: TestApp, channels: string[], fallback?: Record<string, string>): Promise<any> {
  const levels = ok<any[]>(await h.request('GET', '/api/follow-up/levels'));
  const due = levels.find((l) => l.delay === 0);
  return ok(await h.request('PUT', `/api/follow-up/levels/${due.id}`, {
    name: due.name, delay: 0, channels, auto: true, template: due.template, ...(fallback ? { fallback } : {}),
  }));
}

export async function customer(h: TestApp, ref: string, extra: Record<string, unknown>): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/partners', { ref, name: `Công ty ${ref}`, lang: 'vi', ...extra }));
}

export async function owes(h: TestApp, ref: string, amount: string, due: string): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', { partner: ref, date: '2026-10-01', dueDate: due, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: amount }] }));
}

export async function run(h: TestApp, date: string): Promise<any> {
  return ok(await h.request('POST', '/api/follow-up/runs', { date }));
}

export async function messages(h: TestApp, query = ''): Promise<any[]> {
  return ok<any>(await h.request('GET', `/api/sms/messages?limit=500${query}`)).items;
}

export async function actions(h: TestApp, channel: string): Promise<any[]> {
  return ok<any>(await h.request('GET', `/api/follow-up/actions?channel=${channel}&limit=500`)).items;
}

/** Polls until `check` holds (receipts arrive on a socket, on their own time). */
export async function until<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last: T = await fn();
  while (!check(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
    last = await fn();
  }
  return last;
}
