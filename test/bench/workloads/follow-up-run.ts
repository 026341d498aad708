/**
 * W5: the daily follow-up run over the loaded books (S 300, M 10k, L 100k customers), end to end
 * through `POST /api/follow-up/runs` on the running server (relay in the background, emails to a
 * real SMTP sink on 127.0.0.1; the relay runs only in a delivery window of its own, so no send
 * competes with a measurement).
 *
 * Scenario (what "~20k actions" means): a tenant that runs the follow-up every day. The state of a
 * week ago is set up first — a run on today − 7 whose reminders count as sent then (the relay is
 * stopped during the set-up and its deliveries marked done) — so today's run decides every
 * partner's level but acts only for those who reached a new level in the week (and whose minimum
 * interval has passed), as a real daily run does. Then the emails of today's run are delivered to
 * the sink (in a window of at most 90 s, with the relay stopped before and after); a re-run of the
 * same date (goal: 0 actions, 0 emails twice); the next day's run; 1,000 payments through the
 * ledger's bulk service and 1,000 new invoices on other partners; the incremental run after them
 * (goal ≤ 1 s at L); and on the day after, a dry full run next to an incremental run: the same
 * actions (goal: 0 differences).
 */
import { SMTPServer } from 'smtp-server';
import { postgresCpuMeter } from '../lib/pgcpu.js';
import { sql, type RawBuilder } from 'kysely';
import { addDays } from '../../../core/dates.js';
import { createAdminToken } from '../../../core/auth/tokens.js';
import { withTenant } from '../../../core/db/kysely.js';
import { openItemFacts, partnerStates } from '../../../modules/follow-up/repository.js';
import { ledgerServer } from '../lib/ledger-dataset.js';
import type { BenchServer, ResultRow, Size, Workload } from '../lib/types.js';

const CHANGED: Record<Size, number> = { S: 100, M: 1_000, L: 1_000 };
const GOAL_FULL_SECONDS = 5;
const GOAL_INCREMENTAL_SECONDS = 1;
/** The relay delivers the daily run's emails for at most this long (L: ~15k emails at a few dozen a second would take many minutes). */
const DELIVERY_WINDOW_MS = 90_000;

interface Sink { received: number; messageIds: Map<string, number>; close(): Promise<void>; port: number }

/** A real SMTP server on 127.0.0.1 that accepts everything and counts (Message-IDs included). */
async function smtpSink(): Promise<Sink> {
  const sink: Sink = { received: 0, messageIds: new Map(), close: async () => {}, port: 0 };
  const server = new SMTPServer({
    secure: false, authOptional: true, disabledCommands: ['STARTTLS'], logger: false, size: 10 * 1024 * 1024, closeTimeout: 100,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (c: Buffer) => { if (head.length < 8192) head += c.toString('latin1'); });
      stream.on('end', () => {
        sink.received++;
        const id = /^message-id:\s*(\S+)/im.exec(head)?.[1] ?? `none-${sink.received}`;
        sink.messageIds.set(id, (sink.messageIds.get(id) ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  sink.port = (server.server.address() as { port: number }).port;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

async function post(server: BenchServer, path: string, body: unknown, token = server.tenant.token, method = 'POST'): Promise<any> {
  const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const followUpRun: Workload = {
  name: 'follow-up-run',
  describe: 'W5: the daily follow-up run (POST /api/follow-up/runs) over the loaded books, as the day after a week of daily runs (the run of a week ago is set up first); its emails delivered to a real SMTP sink; a re-run of the same date; the next day\'s run; the incremental run after payments (the ledger\'s bulk service) and new invoices for 1,000 partners; and an incremental run next to a dry full run of the same date (same actions).',
  async run(ctx) {
    const { server, data } = await ledgerServer(ctx, ['ledger', 'follow-up']);
    const tenantId = server.tenant.id;
    const today = data.manifest.today;
    const { relay, scheduler } = server.app.congno;
    // The daily run is what this workload asks for; the hourly clock would start one on its own.
    await scheduler.stop();
    const sink = await smtpSink();
    try {
      const admin = await createAdminToken(ctx.db, `bench follow-up ${Date.now()}`);
      await post(server, `/api/admin/tenants/${server.tenant.slug}/modules/follow-up`, { settings: { email: { host: '127.0.0.1', port: sink.port, secure: false, from: 'Phòng kế toán <ketoan@bench.vn>' } } }, admin, 'PATCH');
      if (ctx.reused) {
        await sql`truncate followup_send_attempt, followup_activity, followup_action, followup_run, followup_change, followup_item, followup_note, followup_partner`.execute(ctx.db);
        await sql`delete from core_event_delivery where subscriber like 'follow-up:%'`.execute(ctx.db);
      }
      const countOf = async (q: RawBuilder<{ n: number }>): Promise<number> => (await q.execute(ctx.db)).rows[0].n;
      // Reminders still pending (a round records its fifty at once) and the senders' deliveries still to come.
      const pendingEmails = () => countOf(sql<{ n: number }>`
        select (select count(*) from followup_action where tenant_id = ${tenantId} and channel = 'email' and state = 'pending')::int
             + (select count(*) from core_event_delivery where tenant_id = ${tenantId} and subscriber like 'follow-up:send-email%' and state = 'pending')::int as n`);
      /** Lets the relay deliver until nothing is pending or the window is over. */
      const drain = async (windowMs: number): Promise<{ seconds: number; left: number; nodeMs: number; pgMs: number | null }> => {
        const meter = await postgresCpuMeter(ctx.db);
        const pg0 = await meter?.();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        let left = await pendingEmails();
        while (left > 0 && performance.now() - t0 < windowMs) {
          await new Promise((r) => setTimeout(r, 100));
          left = await pendingEmails();
        }
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const pg1 = await meter?.();
        return { seconds, left, nodeMs: (cpu.user + cpu.system) / 1000, pgMs: pg0 != null && pg1 != null ? (pg1 - pg0) / 1000 : null };
      };
      const timed = async (body: Record<string, unknown>): Promise<{ seconds: number; run: any }> => {
        const t0 = performance.now();
        const run = await post(server, '/api/follow-up/runs', body);
        return { seconds: (performance.now() - t0) / 1000, run };
      };
      const persisted = async (runId: string): Promise<number> => countOf(sql<{ n: number }>`select count(*)::int as n from followup_action where tenant_id = ${tenantId} and run_id = ${runId}`);

      // ---- A week ago: the state of a tenant that runs every day (not measured) --------------
      await relay.stop();
      const weekAgo = await timed({ date: addDays(today, -7) });
      await sql`update followup_action set state = 'sent', done_at = now(), result = '{"bench": "sent a week ago"}'::jsonb where tenant_id = ${tenantId} and state = 'pending'`.execute(ctx.db);
      await sql`update core_event_delivery set state = 'done', delivered_at = now() where tenant_id = ${tenantId} and subscriber like 'follow-up:%' and state = 'pending'`.execute(ctx.db);
      await sql`analyze followup_partner, followup_action`.execute(ctx.db);
      ctx.log(`set-up: the run of ${addDays(today, -7)} took ${weekAgo.seconds.toFixed(2)} s, ${weekAgo.run.partners} partners, ${await persisted(weekAgo.run.id)} actions (marked sent)`);

      // ---- Today: the daily run -----------------------------------------------------------------
      // The relay is stopped during every measurement (the sends of a run start after its commit, so
      // they would only compete with the next measurement); it delivers the daily run's emails in a
      // window of their own below, and the other runs' emails stay pending.
      const daily = await timed({ date: today });
      const dailyActions = await persisted(daily.run.id);
      ctx.log(`run of ${today}: ${daily.seconds.toFixed(2)} s, ${daily.run.partners} partners, ${daily.run.actions.length} partners acted on, ${dailyActions} actions`);
      // A run that found nothing to do measured nothing: a failure, not a met goal.
      if (dailyActions < Math.max(1, Math.floor(daily.run.partners / 100))) {
        throw new Error(`the daily run of ${today} persisted ${dailyActions} actions for ${daily.run.partners} partners: it did not do the work it is timed for`);
      }
      const pass = await withTenant(ctx.db, tenantId, async (trx) => {
        const t0 = performance.now();
        const facts = await openItemFacts(trx, tenantId, today);
        const t1 = performance.now();
        await partnerStates(trx, tenantId);
        return { facts: facts.length, factsSeconds: (t1 - t0) / 1000, statesSeconds: (performance.now() - t1) / 1000 };
      });
      ctx.log(`of which (timed again alone): the pass over the open items ${pass.factsSeconds.toFixed(2)} s (${pass.facts} partners), the partners' states ${pass.statesSeconds.toFixed(2)} s`);
      const emailsDue = await countOf(sql<{ n: number }>`select count(*)::int as n from followup_action where tenant_id = ${tenantId} and run_id = ${daily.run.id} and channel = 'email' and state = 'pending'`);
      await relay.start();
      const delivered = await drain(DELIVERY_WINDOW_MS);
      await relay.stop();
      const emails = sink.received;
      if (delivered.left === 0 && emails !== emailsDue) throw new Error(`${emailsDue} emails were due and none is pending, but the SMTP sink received ${emails}`);
      ctx.log(`${emails} of its ${emailsDue} emails delivered in ${delivered.seconds.toFixed(1)} s${delivered.left ? ` (window over: ${delivered.left} left pending, not sent during the rest)` : ''}; CPU per email: Node ${(delivered.nodeMs / Math.max(1, emails)).toFixed(1)} ms (this process: server, relay and SMTP sink), PostgreSQL ${delivered.pgMs == null ? 'not measured' : `${(delivered.pgMs / Math.max(1, emails)).toFixed(1)} ms`}`);

      // ---- The same date again: nothing twice ---------------------------------------------------
      const rerun = await timed({ date: today });
      const rerunActions = await persisted(rerun.run.id);
      const twice = [...sink.messageIds.values()].filter((n) => n > 1).length;

      // ---- The next day ----------------------------------------------------------------------------
      const tomorrow = addDays(today, 1);
      const next = await timed({ date: tomorrow });
      const nextActions = await persisted(next.run.id);

      // ---- Changes: payments (bulk service) and new invoices for other partners -------------------------
      const n = CHANGED[ctx.size];
      const { rows: oldest } = await sql<{ partner: string; invoice: string; residual: string }>`
        select distinct on (i.partner_id) i.partner_id::text as partner, i.id::text as invoice, i.residual::text as residual
        from ledger_invoice i
        where i.tenant_id = ${tenantId} and i.kind = 'invoice' and i.state = 'posted' and i.residual > 0
          and i.partner_id in (select partner_id from ledger_invoice where tenant_id = ${tenantId} and kind = 'invoice' and state = 'posted' and residual > 0
                               group by partner_id having count(*) <= 100 order by md5(partner_id::text) limit ${2 * n})
        order by i.partner_id, i.due_date, i.id`.execute(ctx.db);
      const payers = oldest.slice(0, n);
      const buyers = oldest.slice(n, 2 * n);
      const t0 = performance.now();
      await post(server, '/api/ledger/payments/bulk', {
        payments: payers.map((p) => ({ partner: p.partner, date: tomorrow, amount: p.residual, journal: 'bank', allocations: [{ invoice: p.invoice, amount: p.residual }] })),
      });
      const paymentsSeconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      for (let i = 0; i < buyers.length; i += 500) {
        await post(server, '/api/ledger/invoices/bulk', {
          invoices: buyers.slice(i, i + 500).map((b, k) => {
            const due = addDays(tomorrow, ((i + k) % 40) - 30);
            return { partner: b.partner, date: addDays(due, -30), dueDate: due, post: true, lines: [{ description: 'Hàng hoá', quantity: '1', unitPrice: String(1_000_000 + 10_000 * ((i + k) % 90)) }] };
          }),
        });
      }
      const invoicesSeconds = (performance.now() - t1) / 1000;
      const changed = await countOf(sql<{ n: number }>`select count(distinct partner_id)::int as n from followup_change where tenant_id = ${tenantId}`);
      ctx.log(`${payers.length} payments (one bulk request) in ${paymentsSeconds.toFixed(2)} s, ${buyers.length} invoices (bulk, 500 a request) in ${invoicesSeconds.toFixed(2)} s: ${changed} partners noted as changed`);

      const incremental = await timed({ date: tomorrow, incremental: true });
      const incrementalActions = await persisted(incremental.run.id);
      if (incremental.run.mode !== 'incremental') throw new Error(`the incremental run was a full run: ${incremental.run.fallback}`);
      if (incrementalActions === 0) throw new Error(`the incremental run after ${payers.length} payments and ${buyers.length} new invoices persisted no action`);

      // ---- The day after: a dry full run and the incremental run of the same date decide the same --------
      const after = addDays(today, 2);
      const dryFull = await timed({ date: after, dryRun: true });
      const incrementalNextDay = await timed({ date: after, incremental: true });
      const key = (a: any) => `${a.partner}/${a.level}`;
      const fullSet = new Set<string>(dryFull.run.actions.map(key));
      const incSet = new Set<string>(incrementalNextDay.run.actions.map(key));
      const differences = [...fullSet].filter((k) => !incSet.has(k)).length + [...incSet].filter((k) => !fullSet.has(k)).length;
      const incrementalNextDayActions = await persisted(incrementalNextDay.run.id);
      ctx.log(`${after}: dry full run ${dryFull.seconds.toFixed(2)} s (${dryFull.run.partners} partners, ${fullSet.size} would act); incremental ${incrementalNextDay.seconds.toFixed(2)} s (${incrementalNextDay.run.partners} partners, ${incSet.size} acted); ${differences} differences`);

      const rows: ResultRow[] = [
        { metric: `W5 daily run (${today}, a week after the last): time`, value: daily.seconds, unit: 's', goal: ctx.size === 'L' ? { atMost: GOAL_FULL_SECONDS } : undefined },
        { metric: 'W5 daily run: partners looked at', value: daily.run.partners, unit: 'partners' },
        { metric: 'W5 daily run: actions persisted', value: dailyActions, unit: 'actions' },
        { metric: 'W5 daily run: the pass over the open items (timed alone)', value: pass.factsSeconds, unit: 's' },
        { metric: `W5 daily run: emails delivered to the SMTP sink (of ${emailsDue}, in ≤ ${DELIVERY_WINDOW_MS / 1000} s)`, value: emails, unit: 'emails' },
        { metric: 'W5 email delivery rate (relay, 2 workers, pooled SMTP connections)', value: delivered.seconds > 0 ? Math.round(emails / delivered.seconds) : 0, unit: 'emails/s' },
        { metric: 'W5 re-run of the same date: time', value: rerun.seconds, unit: 's' },
        { metric: 'W5 re-run of the same date: duplicate actions', value: rerunActions, unit: 'actions', goal: { atMost: 0 } },
        { metric: 'W5 emails received twice (same Message-ID)', value: twice, unit: 'emails', goal: { atMost: 0 } },
        { metric: `W5 next day's run (${tomorrow}): time`, value: next.seconds, unit: 's', goal: ctx.size === 'L' ? { atMost: GOAL_FULL_SECONDS } : undefined },
        { metric: "W5 next day's run: actions persisted", value: nextActions, unit: 'actions' },
        { metric: `W5 ${payers.length} payments (bulk service, follow-up hooks on): time`, value: paymentsSeconds, unit: 's' },
        { metric: `W5 incremental run after ${payers.length} payments + ${buyers.length} new invoices: time`, value: incremental.seconds, unit: 's', goal: ctx.size === 'L' ? { atMost: GOAL_INCREMENTAL_SECONDS } : undefined },
        { metric: 'W5 incremental run: partners looked at', value: incremental.run.partners, unit: 'partners' },
        { metric: 'W5 incremental run: actions persisted', value: incrementalActions, unit: 'actions' },
        { metric: `W5 ${after}: dry full run: time`, value: dryFull.seconds, unit: 's' },
        { metric: `W5 ${after}: incremental run: time`, value: incrementalNextDay.seconds, unit: 's', goal: ctx.size === 'L' ? { atMost: GOAL_INCREMENTAL_SECONDS } : undefined },
        { metric: `W5 ${after}: incremental run: partners looked at`, value: incrementalNextDay.run.partners, unit: 'partners' },
        { metric: `W5 ${after}: incremental run: actions persisted`, value: incrementalNextDayActions, unit: 'actions' },
        { metric: `W5 ${after}: actions of the incremental run ≠ the dry full run's`, value: differences, unit: 'actions', goal: fullSet.size > 0 ? { atMost: 0 } : undefined },
      ];
      return rows;
    } finally {
      await sink.close();
    }
  },
};

export default followUpRun;
