import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../../../core/events/types.js';
import { addDays, todayIn } from '../../../core/dates.js';
import { getTenant } from '../../../core/tenants.js';
import { startSmsc } from '../../../modules/sms/test/smsc.js';
import { apiClient } from '../lib/api.js';
import type { ResultRow, Size, Workload } from '../lib/types.js';

/** Reminders of a morning by SMS: the 10,000 from M on. */
const REMINDERS: Record<Size, number> = { S: 1_000, M: 10_000, L: 10_000 };

/**
 * The sms workload: the daily run decides an SMS reminder per customer whose invoice falls due
 * today; the relay writes each one (unaccented Vietnamese, one GSM-7 part) and hands them to an
 * SMSC on 127.0.0.1 over SMPP with a window of 10, which answers every submit at once. Measured:
 * the run's own time (sending happens after its commit, in the relay), messages per second from
 * the run's end to the last submit answered (goal ≥ 500/s), and every message once at the SMSC.
 */
const sms: Workload = {
  name: 'sms',
  describe: 'SMS reminders of a morning: follow-up run → messages written and queued → submitted over SMPP to a local SMSC, window 10 (goal ≥ 500 messages/s; the run is not slowed by sending).',
  async run(ctx) {
    const smsc = await startSmsc({ systemId: 'bench', password: 'bench' });
    try {
      const server = await ctx.startServer({ modules: ['follow-up', 'sms'] });
      const tenant = await getTenant(ctx.db, server.tenant.id);
      const enablement = server.app.congno.enablement;
      await enablement.updateSettings(server.tenant.id, 'sms', {
        provider: 'smpp', unaccented: true, quietHours: { from: '00:00', to: '00:00' }, maxParts: 3, pricePerPart: '850',
        smpp: { host: '127.0.0.1', port: smsc.port, systemId: 'bench', password: 'bench', sourceAddr: 'BENCH', window: 10 },
      }, SYSTEM_ACTOR, 'integrator');
      const call = apiClient(server);
      const levels = await call('GET', '/api/follow-up/levels');
      const due = levels.find((l: any) => l.delay === 0);
      await call('PUT', `/api/follow-up/levels/${due.id}`, { name: due.name, delay: 0, channels: ['sms'], auto: true, template: due.template });

      const count = REMINDERS[ctx.size];
      const today = todayIn(tenant.timezone);
      const refs = Array.from({ length: count }, (_, i) => `SMS${String(i + 1).padStart(5, '0')}`);
      for (let i = 0; i < refs.length; i += 16) {
        await Promise.all(refs.slice(i, i + 16).map((ref, k) => call('POST', '/api/ledger/partners', {
          ref, name: `Công ty TNHH Dịch vụ số ${i + k + 1}`, lang: 'vi', phone: `09${String(10_000_000 + i + k).slice(-8)}`,
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
      ctx.log(`${count} customers with a phone and an invoice due today`);

      const submitted = async () => Number((await sql<{ n: string }>`select count(*) as n from sms_message where state = 'submitted'`.execute(ctx.db)).rows[0]!.n);
      const started = performance.now();
      const run = await call('POST', '/api/follow-up/runs', { date: today });
      const runEnd = performance.now();
      const smsActions = run.actions.filter((a: any) => a.channels.includes('sms')).length;
      if (smsActions !== count) throw new Error(`the run decided ${smsActions} SMS for ${count} customers`);
      let allQueuedAt: number | null = null;
      const written = async () => Number((await sql<{ n: string }>`select count(*) as n from sms_message`.execute(ctx.db)).rows[0]!.n);
      for (;;) {
        if (allQueuedAt === null && (await written()) >= count) allQueuedAt = performance.now();
        if ((await submitted()) >= count) break;
        if (performance.now() - started > 900_000) throw new Error(`only ${await submitted()} of ${count} messages submitted after 15 minutes`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const done = performance.now();
      if (smsc.received.length !== count) throw new Error(`the SMSC received ${smsc.received.length} submits for ${count} messages`);
      if (new Set(smsc.received.map((r) => r.to)).size !== count) throw new Error('a number got more than one message');
      const seconds = (done - runEnd) / 1000;
      ctx.log(`run ${Math.round(runEnd - started)} ms; ${count} messages written ${Math.round((allQueuedAt ?? done) - runEnd)} ms and submitted ${Math.round(done - runEnd)} ms after it`);
      const rows: ResultRow[] = [
        { metric: `sms: follow-up run deciding ${count.toLocaleString('en')} SMS reminders`, value: Math.round((runEnd - started) / 100) / 10, unit: 's' },
        { metric: 'sms: messages per second, run end → last submit answered (SMPP, window 10)', value: Math.round(count / seconds), unit: 'messages/s', goal: { atLeast: 500 } },
        { metric: `sms: ${count.toLocaleString('en')} reminders, run start → all submitted`, value: Math.round((done - started) / 100) / 10, unit: 's' },
      ];
      return rows;
    } finally {
      await smsc.close();
    }
  },
};

export default sms;
