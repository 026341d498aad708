import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { ok } from '../../ledger/test/fixtures.js';

export { ok };

interface Teardown { teardown(fn: () => unknown): void }

export async function documentsApp(t: Teardown, modules: string[] = ['documents', 'follow-up']): Promise<TestApp> {
  return buildTestApp(t, { modules });
}

/** The company's letterhead and receiving account, as an accountant sets them. */
export async function companySettings(h: TestApp, extra: Record<string, unknown> = {}): Promise<void> {
  const { token } = await h.tokenFor('accountant');
  ok(await h.request('PATCH', '/api/documents/settings', { settings: {
    company: { name: 'Công ty TNHH Thương mại ACME', address: '12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh', taxCode: '0312345678', phone: '028 3822 1234', email: 'ketoan@acme.vn', footer: 'ACME — Vietcombank 0071001234567' },
    bankAccount: { bin: '970436', accountNumber: '0071001234567', accountName: 'CONG TY TNHH THUONG MAI ACME' },
    ...extra,
  } }, { token }));
}

export async function partner(h: TestApp, ref: string, extra: Record<string, unknown> = {}): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/partners', {
    ref, name: `Công ty ${ref}`, email: `${ref.toLowerCase()}@khach.vn`, lang: 'vi', taxCode: '0101234567',
    address: { street: '45 Lý Thường Kiệt', ward: 'Phường Cửa Nam', province: 'Hà Nội' }, ...extra,
  }));
}

export async function invoice(h: TestApp, partnerRef: string, amount: string, date: string, dueDate: string, description = 'Hàng hoá'): Promise<any> {
  return ok(await h.request('POST', '/api/ledger/invoices', { partner: partnerRef, date, dueDate, post: true, lines: [{ description, quantity: '1', unitPrice: amount }] }));
}

/** `text`: the page's lines, top to bottom, runs joined left to right with single spaces. */
export interface TextItem { text: string; x: number; y: number; width: number; height: number; page: number }

/** Every text run of the PDF with its box (points, origin top-left), as pdf.js reads it back. */
export async function pdfItems(pdf: Buffer | Uint8Array): Promise<{ items: TextItem[]; pages: number; text: string[] }> {
  const { getDocumentProxy } = await import('unpdf');
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  const items: TextItem[] = [];
  const text: string[] = [];
  for (let p = 1; p <= doc.numPages; p++) {
    const page = await doc.getPage(p);
    const height = page.view[3];
    const content = await page.getTextContent();
    const lines = new Map<number, Array<{ x: number; s: string }>>();
    for (const raw of content.items) {
      if (!('str' in raw) || raw.str === '') continue;
      const [, , , , x, baseline] = raw.transform as number[];
      const size = Math.hypot(raw.transform[2], raw.transform[3]);
      items.push({ text: raw.str, x, y: height - baseline - size * 0.8, width: raw.width, height: size, page: p });
      const key = Math.round(baseline);
      if (!lines.has(key)) lines.set(key, []);
      lines.get(key)!.push({ x, s: raw.str });
    }
    for (const [, parts] of [...lines.entries()].sort((a, b) => b[0] - a[0])) text.push(parts.sort((a, b) => a.x - b.x).map((q) => q.s).join(' ').replace(/\s+/g, ' ').trim());
  }
  return { items, pages: doc.numPages, text };
}

/** Pairs of text boxes on one page that overlap by more than a hair. */
export function overlaps(items: TextItem[]): Array<[TextItem, TextItem]> {
  const out: Array<[TextItem, TextItem]> = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i];
      const b = items[j];
      if (a.page !== b.page) continue;
      const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (dx > 0.5 && dy > 0.5) out.push([a, b]);
    }
  }
  return out;
}

export { qrInPdf, qrInPng } from '../../../test/helpers/qr.js';
