import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, type TestApp, type TestAppOptions } from '../../../test/helpers/build-test-app.js';

interface Teardown { teardown(fn: () => unknown): void }

/** Asserts a 2xx and returns the JSON body; the response body is the failure message. */
export function ok<T = any>(res: LightMyRequestResponse): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 2000)}`);
  return res.json() as T;
}

export async function postalApp(t: Teardown, settings: Record<string, unknown>, options: TestAppOptions = {}): Promise<TestApp> {
  const h = await buildTestApp(t, { modules: ['ledger', 'follow-up', 'documents', 'postal'], ...options });
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/postal`, { settings }, { token: h.adminToken }));
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/documents`, {
    settings: { company: { name: 'Công ty TNHH ACME Việt Nam', address: '12 Lý Thường Kiệt, Phường Cửa Nam, Hà Nội', taxCode: '0101234567' } },
  }, { token: h.adminToken }));
  return h;
}

export async function drain(h: TestApp): Promise<void> {
  while (await h.app.congno.relay.deliverOne());
}

export const HANOI = { street: '25 Tràng Tiền', ward: 'Phường Hoàn Kiếm', province: 'Thành phố Hà Nội', postalCode: '100000' };

export async function customer(h: TestApp, ref: string, extra: Record<string, unknown>): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/partners', { ref, name: `Công ty ${ref}`, email: `${ref.toLowerCase()}@khach.vn`, lang: 'vi', ...extra }));
}

/** A posted invoice due on `due`: the follow-up's "due" level (email and letter) applies that day. */
export async function owes(h: TestApp, ref: string, amount: string, due: string): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', { partner: ref, date: '2026-10-01', dueDate: due, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: amount }] }));
}

export async function run(h: TestApp, date: string): Promise<any> {
  return ok(await h.request('POST', '/api/follow-up/runs', { date }));
}

export async function letterActions(h: TestApp): Promise<any[]> {
  return ok<any>(await h.request('GET', '/api/follow-up/actions?channel=letter&limit=500')).items;
}

export async function letters(h: TestApp, query = ''): Promise<any[]> {
  return ok<any>(await h.request('GET', `/api/postal/letters?limit=500${query}`)).items;
}

/** The text of a PDF, read back (pdf.js through unpdf), page by page. */
export async function pdfPages(pdf: Buffer | Uint8Array): Promise<string[]> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  const { text } = await extractText(doc, { mergePages: false });
  return text;
}

/** Changes the tenant's postal settings (as its integrator). */
export async function setPostal(h: TestApp, settings: Record<string, unknown>): Promise<any> {
  return ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/postal`, { settings }, { token: h.adminToken }));
}
