import t from 'tap';
import { createDb, createPool } from '../../core/db/kysely.js';
import { Scheduler, type JobDefinition } from '../../core/events/scheduler.js';
import type { TestApp } from '../helpers/build-test-app.js';
import { addTenant, buildJournalApp } from '../fixtures/event-modules/app.js';

// The journal fixture's job: every day at 06:00 in the tenant's time zone.
const DAILY_CLOSE: JobDefinition = { module: 'journal', name: 'daily-close', cron: '0 6 * * *', event: 'journal.close_requested' };

/** acme (Asia/Ho_Chi_Minh, UTC+7) and london (UTC), both with journal enabled since 1 January 2025. */
async function twoTenants(t: Parameters<typeof buildJournalApp>[0]) {
  const h = await buildJournalApp(t);
  const london = await addTenant(h, 'london', ['journal'], 'UTC');
  await h.db.updateTable('core_tenant_module').set({ enabled_at: new Date('2025-01-01T00:00:00Z') }).where('module', '=', 'journal').execute();
  return { h, hcm: h.tenant, london };
}

async function closes(h: TestApp, tenantId: string) {
  const rows = await h.db.selectFrom('core_event_outbox').select(['payload', 'dedupe_key', 'emitted_by'])
    .where('tenant_id', '=', tenantId).where('name', '=', 'journal.close_requested').orderBy('id').execute();
  return rows as Array<{ payload: { job: string; period: string; date: string }; dedupe_key: string; emitted_by: string }>;
}

t.test("a tick emits the latest due period once per tenant, dated in the tenant's time zone", async (t) => {
  const { h, hcm, london } = await twoTenants(t);
  // 23:30 UTC on 10 March is 06:30 on 11 March in Ho Chi Minh City.
  const now = new Date('2025-03-10T23:30:00Z');
  t.equal(await h.app.congno.scheduler.tick(now), 2);

  t.same(await closes(h, hcm.id), [{
    payload: { job: 'journal/daily-close', period: '2025-03-10T23:00:00.000Z', date: '2025-03-11' },
    dedupe_key: 'schedule:journal/daily-close@2025-03-10T23:00:00.000Z', emitted_by: 'journal',
  }]);
  t.same(await closes(h, london.id), [{
    payload: { job: 'journal/daily-close', period: '2025-03-10T06:00:00.000Z', date: '2025-03-10' },
    dedupe_key: 'schedule:journal/daily-close@2025-03-10T06:00:00.000Z', emitted_by: 'journal',
  }]);
});

t.test('a second tick in the same period emits nothing, in this process or another', async (t) => {
  const { h, hcm, london } = await twoTenants(t);
  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-10T23:30:00Z')), 2);
  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-10T23:31:00Z')), 0, 'same scheduler, a minute later');
  // A restarted server remembers nothing in memory: the outbox's dedupe key stops it.
  const restarted = new Scheduler(h.db, h.app.congno.bus, h.app.log, [DAILY_CLOSE]);
  t.equal(await restarted.tick(new Date('2025-03-10T23:59:00Z')), 0, 'a fresh scheduler in the same period');
  t.equal((await closes(h, hcm.id)).length, 1);
  t.equal((await closes(h, london.id)).length, 1);
});

t.test('two servers ticking the same period at once emit one event per tenant', async (t) => {
  const { h, hcm, london } = await twoTenants(t);
  const pool = createPool(h.databaseUrl, 4);
  const otherDb = createDb(pool);
  t.teardown(() => otherDb.destroy());
  const first = new Scheduler(h.db, h.app.congno.bus, h.app.log, [DAILY_CLOSE]);
  const second = new Scheduler(otherDb, h.app.congno.bus, h.app.log, [DAILY_CLOSE]);
  const now = new Date('2025-03-10T23:30:00Z');
  const [a, b] = await Promise.all([first.tick(now), second.tick(now)]);
  t.equal(a + b, 2, 'two events between them: one per tenant');
  t.equal((await closes(h, hcm.id)).length, 1);
  t.equal((await closes(h, london.id)).length, 1);
});

t.test('after an outage only the latest missed period is emitted, once', async (t) => {
  const { h, hcm, london } = await twoTenants(t);
  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-01T07:00:00Z')), 2);
  // Down from 1 March until 4 March 07:00 UTC: the closes of 2, 3 and 4 March were due meanwhile.
  const restarted = new Scheduler(h.db, h.app.congno.bus, h.app.log, [DAILY_CLOSE]);
  t.equal(await restarted.tick(new Date('2025-03-04T07:00:00Z')), 2);
  t.equal(await restarted.tick(new Date('2025-03-04T07:01:00Z')), 0);
  t.same((await closes(h, hcm.id)).map((c) => c.payload.date), ['2025-03-01', '2025-03-04']);
  t.same((await closes(h, london.id)).map((c) => c.payload.date), ['2025-03-01', '2025-03-04']);
});

t.test('periods before the module was enabled are not emitted', async (t) => {
  const { h, hcm, london } = await twoTenants(t);
  // acme enabled journal at 12:00 UTC on 10 March (19:00 in Ho Chi Minh City).
  await h.db.updateTable('core_tenant_module').set({ enabled_at: new Date('2025-03-10T12:00:00Z') })
    .where('tenant_id', '=', hcm.id).where('module', '=', 'journal').execute();

  // 20:00 UTC: acme's latest 06:00 was 10 March 06:00 local (9 March 23:00 UTC), before it enabled journal.
  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-10T20:00:00Z')), 1, 'only london');
  t.same(await closes(h, hcm.id), []);
  t.same((await closes(h, london.id)).map((c) => c.payload.date), ['2025-03-10']);

  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-10T23:30:00Z')), 1, "acme's first close after enabling");
  t.same((await closes(h, hcm.id)).map((c) => c.payload.date), ['2025-03-11']);

  // A tenant that has not enabled the module gets nothing.
  const idle = await addTenant(h, 'idle', []);
  t.equal(await h.app.congno.scheduler.tick(new Date('2025-03-12T07:00:00Z')), 2);
  t.same(await closes(h, idle.id), []);
});
