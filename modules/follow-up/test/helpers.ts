import type { LightMyRequestResponse } from 'fastify';
import type { Mailbox } from '../../../test/helpers/smtp.js';
import { buildTestApp, type TestApp, type TestAppOptions } from '../../../test/helpers/build-test-app.js';

interface Teardown { teardown(fn: () => unknown): void }

export const BASE = '/api/follow-up';

/** Asserts a 2xx and returns the JSON body; the response body is the failure message. */
export function ok<T = any>(res: LightMyRequestResponse): T {
  if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

export async function followUpApp(t: Teardown, options: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(t, { modules: ['follow-up'], ...options });
}

export async function partner(h: TestApp, ref: string, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/partners', { ref, name: `Công ty ${ref}`, email: `${ref.toLowerCase()}@khach.vn`, lang: 'vi', ...extra }));
}

/** A posted one-line invoice without tax. */
export async function invoice(h: TestApp, partnerRef: string, amount: string, date: string, dueDate: string): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', { partner: partnerRef, date, dueDate, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: amount }] }));
}

export async function pay(h: TestApp, partnerRef: string, amount: string, date: string, invoiceId?: string): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/payments', { partner: partnerRef, date, amount, journal: 'cash', ...(invoiceId ? { allocations: [{ invoice: invoiceId, amount }] } : {}) }));
}

export async function run(h: TestApp, date: string, dryRun = false): Promise<any> {
  return ok(await h.request('POST', `${BASE}/runs`, { date, dryRun }));
}

/** A partner's follow-up status; the reasons in English unless another language is asked for (the test tenant is vi-VN). */
export async function status(h: TestApp, partnerId: string, date: string, language = 'en'): Promise<any> {
  return ok(await h.request('GET', `${BASE}/partners/${partnerId}?date=${date}`, undefined, { headers: { 'accept-language': language } }));
}

export async function levels(h: TestApp): Promise<any[]> {
  return ok(await h.request('GET', `${BASE}/levels`));
}

export { smtpServer, type Mailbox } from '../../../test/helpers/smtp.js';

/** Points the tenant's follow-up email settings at the test SMTP server. */
export async function useSmtp(h: TestApp, box: Mailbox, from = 'Phòng kế toán ACME <ketoan@acme.vn>'): Promise<void> {
  ok(await h.request('PATCH', `/api/admin/tenants/${h.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port: box.port, secure: false, from } } }, { token: h.adminToken }));
}

/** The text of a PDF, read back (pdf.js through unpdf). */
export async function pdfText(pdf: Buffer | Uint8Array): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  const { text } = await extractText(doc, { mergePages: true });
  return text;
}
