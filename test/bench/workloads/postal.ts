import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { addDays, todayIn } from '../../../core/dates.js';
import { getTenant } from '../../../core/tenants.js';
import { sftpServer } from '../../../modules/postal/test/servers.js';
import { apiClient } from '../lib/api.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';

/** Letter actions of a morning: about those of W5's daily run at M (~300), and ten times that at L. */
const LETTERS: Record<Size, number> = { S: 100, M: 300, L: 3_000 };

/**
 * The postal workload: the follow-up's letters of a morning, end to end on the real server — the
 * daily run decides a letter (and an email) per customer whose invoice falls due today; the relay
 * renders each letter (documents' reminder, vi, one page, VietQR) and keeps it; at the cut-off the
 * day's batch is made and uploaded as one ZIP to an SFTP server on 127.0.0.1. Measured: letters
 * per second from the run to the upload's end (goal ≥ 50/s at M; L ≤ 60 s), and the server
 * process's resident memory while the batch streams (it must not grow with the batch).
 */
const postal: Workload = {
  name: 'postal',
  describe: 'Postal letters of a morning: follow-up run → letters rendered and queued → the day\'s batch zipped and uploaded by SFTP (goal ≥ 50 letters/s at M, ~3,000 at L ≤ 60 s; memory flat while streaming).',
  async run(ctx) {
    const teardowns: Array<() => unknown> = [];
    const box = await sftpServer({ teardown: (fn) => teardowns.push(fn) }, 'bench', 'bench-sftp', false);
    try {
      const server = await ctx.startServer({ modules: ['follow-up', 'documents', 'postal'] });
      const tenant = await getTenant(ctx.db, server.tenant.id);
      const enablement = server.app.congno.enablement;
      await enablement.updateSettings(server.tenant.id, 'documents', {
        company: { name: 'Công ty TNHH Thương mại Bench', address: '12 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh', taxCode: '0312345678' },
        bankAccount: { bin: '970436', accountNumber: '0071001234567', accountName: 'CONG TY TNHH THUONG MAI BENCH' },
      }, SYSTEM_ACTOR, 'integrator');
      await enablement.updateSettings(server.tenant.id, 'postal', {
        provider: 'sftp-batch', cutoff: '23:59',
        sftp: { host: '127.0.0.1', port: box.port, username: 'bench', password: 'bench-sftp', hostKey: box.hostKey, folder: '/in' },
      }, SYSTEM_ACTOR, 'integrator');
      const call = apiClient(server);

      const count = LETTERS[ctx.size];
      const today = todayIn(tenant.timezone);
      const rng = ctx.rng(16);
      const refs = Array.from({ length: count }, (_, i) => `POST${String(i + 1).padStart(5, '0')}`);
      for (let i = 0; i < refs.length; i += 8) {
        await Promise.all(refs.slice(i, i + 8).map((ref, k) => call('POST', '/api/ledger/partners', {
          ref, name: `Công ty TNHH Dịch vụ số ${i + k + 1}`, lang: 'vi',
          address: { street: `${i + k + 1} Lý Thường Kiệt`, ward: 'Phường Cửa Nam', province: 'Thành phố Hà Nội', postalCode: String(100000 + rng.int(900_000)) },
        })));
      }
      for (let i = 0; i < refs.length; i += 500) {
        await call('POST', '/api/ledger/invoices/bulk', {
          invoices: refs.slice(i, i + 500).map((ref, k) => ({
            partner: ref, date: addDays(today, -30), dueDate: today,
            lines: [{ description: 'Xi măng PCB40 bao 50 kg', quantity: String(1 + ((i + k) % 20)), unitPrice: '95000', taxRate: '8' }],
          })),
        });
      }
      ctx.log(`${count} customers with an invoice due today`);

      const queuedCount = async () => Number((await sql<{ n: string }>`select count(*) as n from postal_letter`.execute(ctx.db)).rows[0]!.n);
      const started = performance.now();
      const run = await call('POST', '/api/follow-up/runs', { date: today });
      const letterActions = run.actions.filter((a: any) => a.channels.includes('letter')).length;
      if (letterActions !== count) throw new Error(`the run decided ${letterActions} letters for ${count} customers`);
      for (;;) {
        if ((await queuedCount()) >= count) break;
        if (performance.now() - started > 600_000) throw new Error(`only ${await queuedCount()} of ${count} letters queued after 10 minutes`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const queuedAt = performance.now();
      ctx.log(`${count} letters rendered and queued in ${Math.round(queuedAt - started)} ms`);

      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
      const batch = await call('POST', '/api/postal/batches', { date: today });
      for (;;) {
        const b = await call('GET', `/api/postal/batches/${batch.id}`);
        if (b.upload?.state === 'done') break;
        if (b.upload?.state === 'failed' && !/retrying/.test(b.upload.message ?? '')) throw new Error(`upload failed: ${b.upload.message}`);
        if (performance.now() - queuedAt > 600_000) throw new Error('the upload did not finish in 10 minutes');
        await new Promise((r) => setTimeout(r, 50));
      }
      clearInterval(sampler);
      const done = performance.now();
      const file = box.digests.get(`/in/letters-${today}.zip`);
      if (!file) throw new Error('the mail house got no batch');
      const uploaded = await call('GET', `/api/postal/batches/${batch.id}`);
      if (uploaded.sha256 !== file.sha256 || uploaded.letters !== count) throw new Error(`the batch at the mail house is not the batch: ${JSON.stringify(uploaded)}`);
      const seconds = (done - started) / 1000;
      const mb = (n: number) => Math.round(n / 1024 / 1024);
      ctx.log(`batch of ${count} letters, ${mb(file.bytes)} MB, uploaded in ${Math.round(done - queuedAt)} ms; rss ${mb(baseline)} → peak ${mb(peak)} MB`);

      const rows: ResultRow[] = [
        { metric: `postal: ${count.toLocaleString('en')} letters, run → rendered and queued`, value: Math.round((queuedAt - started) / 100) / 10, unit: 's' },
        { metric: `postal: batch zipped and uploaded by SFTP (${mb(file.bytes)} MB)`, value: Math.round((done - queuedAt) / 100) / 10, unit: 's' },
        { metric: 'postal: letters per second, run to upload', value: Math.round((count / seconds) * 10) / 10, unit: 'letters/s', ...(ctx.size === 'M' ? { goal: { atLeast: 50 } } : {}) },
        { metric: 'postal: run to upload', value: Math.round(seconds * 10) / 10, unit: 's', ...(ctx.size === 'L' ? { goal: { atMost: 60 } } : {}) },
        { metric: 'postal: server memory growth while the batch streams (peak rss − before)', value: mb(peak - baseline), unit: 'MB', goal: { atMost: 64 } },
      ];
      return rows;
    } finally {
      for (const fn of teardowns.reverse()) await fn();
    }
  },
};

export default postal;
