import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { addDays, todayIn } from '../../../core/dates.js';
import { getTenant } from '../../../core/tenants.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';

/** Letters of the batch: the goal is 1,000 letters ≤ 30 s. */
const LETTERS: Record<Size, number> = { S: 200, M: 1_000, L: 1_000 };
/** One-page letters timed one at a time (after the worker has started). */
const SINGLES = 100;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * W11: the reminder letters of a morning, as the postal module will ask for them: customers with
 * an overdue invoice each, one letter at a time (p50, p99), then the whole batch four at a time;
 * while the batch renders, a light read (a partner by ref) keeps being served and its latency is
 * compared with the same read on an idle server — rendering runs in a worker process, off the
 * event loop.
 */
const documents: Workload = {
  name: 'documents',
  describe: 'W11 reminder letters as PDF (vi, one page, VietQR): single-letter latency (goal p50 ≤ 30 ms), a batch of 1,000 (goal ≤ 30 s), and the latency of other requests while the batch renders.',
  async run(ctx) {
    const server = await ctx.startServer({ modules: ['documents', 'follow-up'] });
    const tenant = await getTenant(ctx.db, server.tenant.id);
    await server.app.congno.enablement.updateSettings(server.tenant.id, 'documents', {
      company: { name: 'Công ty TNHH Thương mại Bench', address: '12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh', taxCode: '0312345678', phone: '028 3822 1234', footer: 'Bench — Vietcombank 0071001234567' },
      bankAccount: { bin: '970436', accountNumber: '0071001234567', accountName: 'CONG TY TNHH THUONG MAI BENCH' },
    }, SYSTEM_ACTOR, 'integrator');
    const headers = { authorization: `Bearer ${server.tenant.token}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${bytes.toString('utf8').slice(0, 400)}`);
      return bytes;
    };

    const count = LETTERS[ctx.size];
    const today = todayIn(tenant.timezone);
    const refs = Array.from({ length: count }, (_, i) => `DOC${String(i + 1).padStart(5, '0')}`);
    for (let i = 0; i < refs.length; i += 8) {
      await Promise.all(refs.slice(i, i + 8).map((ref, k) => call('POST', '/api/ledger/partners', {
        ref, name: `Công ty TNHH Thương mại Dịch vụ số ${i + k + 1}`, lang: 'vi', taxCode: '0101234567',
        address: { street: `${i + k + 1} Lý Thường Kiệt`, ward: 'Phường Cửa Nam', province: 'Hà Nội' },
      })));
    }
    for (let i = 0; i < refs.length; i += 500) {
      await call('POST', '/api/ledger/invoices/bulk', {
        invoices: refs.slice(i, i + 500).map((ref, k) => ({
          partner: ref, date: addDays(today, -50), dueDate: addDays(today, -20),
          lines: [{ description: 'Xi măng PCB40 bao 50 kg', quantity: String(1 + ((i + k) % 20)), unitPrice: '95000', taxRate: '8' }],
        })),
      });
    }
    ctx.log(`${count} customers with one invoice 20 days overdue`);
    const letter = (ref: string) => call('GET', `/api/documents/partners/${ref}/reminder.pdf?date=${today}`);
    const first = performance.now();
    const sample = await letter(refs[0]);
    ctx.log(`first letter (worker start): ${Math.round(performance.now() - first)} ms, ${Math.round(sample.length / 1024)} KB`);

    const times: number[] = [];
    for (const ref of refs.slice(0, SINGLES)) {
      const t0 = performance.now();
      await letter(ref);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);

    // The light read alone, then while the batch renders.
    const read = { url: `${server.url}/api/ledger/partners/${refs[0]}`, headers: { authorization: `Bearer ${server.tenant.token}` }, connections: 2, duration: 5, warmup: 1 };
    const idle = await ctx.load(read);
    const batchStart = performance.now();
    let next = 0;
    let drawn = 0;
    const batch = Promise.all(Array.from({ length: 4 }, async () => {
      while (next < refs.length) if ((await letter(refs[next++])).subarray(0, 5).toString('latin1') === '%PDF-') drawn++;
    }));
    const during = await ctx.load({ ...read, warmup: 0, duration: 4 });
    await batch;
    const batchSeconds = (performance.now() - batchStart) / 1000;
    if (drawn !== count) throw new Error(`the batch drew ${drawn} PDFs of ${count} letters`);
    ctx.log(`batch: ${drawn} PDFs of ${count} letters`);

    const goalLatency = { atMost: 30 };
    const result: ResultRow[] = [
      { metric: 'W11 reminder letter PDF (one page, vi, VietQR): p50', value: round(percentile(times, 50)), unit: 'ms', goal: goalLatency },
      { metric: 'W11 reminder letter PDF: p99', value: round(percentile(times, 99)), unit: 'ms' },
      { metric: 'W11 reminder letter PDF: size', value: Math.round(sample.length / 1024), unit: 'KB', goal: { atMost: 300 } },
      { metric: `W11 batch of ${count.toLocaleString('en')} letters, 4 at a time`, value: Math.round(batchSeconds * 10) / 10, unit: 's', ...(count === 1_000 ? { goal: { atMost: 30 } } : {}) },
      { metric: 'W11 GET /partners/{ref} p50 / p99, idle server', value: idle.latencyP50, unit: `ms / ${idle.latencyP99} ms` },
      { metric: 'W11 GET /partners/{ref} p50 / p99, while the batch renders', value: during.latencyP50, unit: `ms / ${during.latencyP99} ms` },
    ];
    return result;
  },
};

export default documents;
