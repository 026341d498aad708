import t from 'tap';
import { withTenant } from '../../core/db/kysely.js';
import type { EmitOptions, EventMap } from '../../core/events/types.js';
import { SYSTEM_ACTOR } from '../../core/events/types.js';
import { emitMany } from '../../core/events/bus.js';
import type { TestApp } from '../helpers/build-test-app.js';
import { waitFor } from '../helpers/wait.js';
import { addTenant, buildJournalApp } from '../fixtures/event-modules/app.js';
import { events, runsOf } from '../fixtures/event-modules/state.js';

type JournalEvent = 'journal.posted' | 'journal.sync_requested' | 'journal.export_requested';

function emit<E extends JournalEvent>(h: TestApp, tenantId: string, event: E, payload: EventMap[E], options?: EmitOptions) {
  return withTenant(h.db, tenantId, (trx) => h.app.congno.bus.emit(trx, tenantId, event, payload, 'journal', options));
}

/** Runs the relay by hand until nothing is due (retries are due at once: backoffMs is 0). */
async function drain(h: TestApp): Promise<number> {
  let runs = 0;
  while (await h.app.congno.relay.deliverOne()) runs++;
  return runs;
}

async function outbox(h: TestApp, tenantId: string) {
  return h.db.selectFrom('core_event_outbox').select(['id', 'name', 'payload', 'dedupe_key'])
    .where('tenant_id', '=', tenantId).where('name', 'like', 'journal.%').orderBy('id').execute();
}

async function deliveries(h: TestApp, tenantId: string) {
  return h.db.selectFrom('core_event_delivery').select(['id', 'subscriber', 'state', 'attempts', 'last_error'])
    .where('tenant_id', '=', tenantId).orderBy('subscriber').execute();
}

async function effects(h: TestApp, tenantId: string) {
  return h.db.selectFrom('journal_effect').select(['kind', 'ref', 'attempt'])
    .where('tenant_id', '=', tenantId).orderBy('id').execute();
}

t.test('an emit in a transaction that rolls back delivers nothing', async (t) => {
  const h = await buildJournalApp(t);
  await t.rejects(withTenant(h.db, h.tenant.id, async (trx) => {
    await h.app.congno.bus.emit(trx, h.tenant.id, 'journal.posted', { ref: 'JE-0001' }, 'journal');
    throw new Error('the posting failed after the event');
  }), /the posting failed/);

  t.same(await outbox(h, h.tenant.id), [], 'no outbox row');
  t.same(await deliveries(h, h.tenant.id), [], 'no delivery');
  t.same(await effects(h, h.tenant.id), [], "the hook's write was rolled back with the transaction");
  t.equal(await drain(h), 0, 'the relay finds nothing to deliver');
  t.same(runsOf('journal:record'), [], 'the subscriber never ran');
});

t.test('a subscriber that fails twice then succeeds runs three times; its database work commits once', async (t) => {
  const h = await buildJournalApp(t, { background: true, relay: { backoffMs: 1 } });
  events.failSync = 2;
  await emit(h, h.tenant.id, 'journal.sync_requested', { ref: 'BANK-2025-03-10' });

  const delivery = await waitFor(async () => {
    const [d] = await deliveries(h, h.tenant.id);
    return d?.state === 'done' ? d : null;
  });
  t.equal(delivery.attempts, 3);
  t.equal(delivery.last_error, null, 'the last error is cleared once delivered');
  t.same(runsOf('journal:sync-bank'), [1, 2, 3], 'ran exactly three times, told its attempt number each time');
  const rows = await effects(h, h.tenant.id);
  t.same(rows.filter((r) => r.kind === 'synced'), [{ kind: 'synced', ref: 'BANK-2025-03-10', attempt: 3 }],
    'only the successful attempt left a row: the failed ones were rolled back');
  t.same(rows.filter((r) => r.kind === 'calling-bank').map((r) => r.attempt), [1, 2, 3],
    'what each attempt committed through ctx.db before calling out stays, failed attempts too');
});

t.test('a subscriber that always fails becomes a dead letter; an admin lists it and retries it', async (t) => {
  const h = await buildJournalApp(t);
  await emit(h, h.tenant.id, 'journal.export_requested', { ref: 'VAT-2025-02' });
  await drain(h);
  t.same(runsOf('journal:export'), [1, 2, 3], 'tried maxAttempts (3) times, then given up');

  const listed = await h.request('GET', '/api/admin/events/deliveries', undefined, { token: h.adminToken });
  t.equal(listed.statusCode, 200);
  const dead = listed.json() as Array<Record<string, unknown>>;
  t.equal(dead.length, 1);
  t.match(dead[0], {
    tenant: 'acme', event: 'journal.export_requested', subscriber: 'journal:export',
    state: 'dead', attempts: 3, lastError: 'tax office portal unreachable',
  });
  const clerkView = await h.request('GET', '/api/admin/events/deliveries');
  t.equal(clerkView.statusCode, 403, 'dead letters are for the platform admin only');

  events.exportHealed = true;
  const retried = await h.request('POST', `/api/admin/events/deliveries/${dead[0].id}/retry`, undefined, { token: h.adminToken });
  t.equal(retried.statusCode, 200);
  t.same(retried.json(), { id: dead[0].id, state: 'pending' });
  t.equal(await drain(h), 1);
  t.same(runsOf('journal:export'), [1, 2, 3, 1], 'ran again, its attempts counted afresh');
  t.same(await effects(h, h.tenant.id), [{ kind: 'exported', ref: 'VAT-2025-02', attempt: 1 }]);

  const done = (await h.request('GET', '/api/admin/events/deliveries?state=done', undefined, { token: h.adminToken })).json();
  t.match(done, [{ id: dead[0].id, subscriber: 'journal:export', state: 'done', lastError: null }]);
  t.same((await h.request('GET', '/api/admin/events/deliveries', undefined, { token: h.adminToken })).json(), [], 'no dead letter left');
  const again = await h.request('POST', `/api/admin/events/deliveries/${dead[0].id}/retry`, undefined, { token: h.adminToken });
  t.equal(again.statusCode, 404, 'only a dead letter can be retried');
});

t.test('a sync hook that throws vetoes the emitting transaction', async (t) => {
  const h = await buildJournalApp(t);
  const err = await withTenant(h.db, h.tenant.id, async (trx) => {
    await trx.insertInto('journal_effect').values({ tenant_id: h.tenant.id, kind: 'entry', ref: 'JE-0099', attempt: null }).execute();
    await h.app.congno.bus.emit(trx, h.tenant.id, 'journal.posted', { ref: 'JE-0099', veto: true }, 'journal');
    return null;
  }).catch((e: unknown) => e);
  t.match(err, { status: 400, field: 'date', message: 'entry JE-0099 is in a closed period' }, "the hook's problem reaches the caller");
  t.equal(events.hooks.journal, 1, 'the hook ran');
  t.same(await effects(h, h.tenant.id), [], "neither the caller's write nor the hook's was committed");
  t.same(await outbox(h, h.tenant.id), []);
  t.same(await deliveries(h, h.tenant.id), []);
  t.equal(await drain(h), 0);
  t.same(runsOf('journal:record'), []);
});

t.test("a module the tenant has not enabled takes no part; one disabled after the emit is skipped", async (t) => {
  const h = await buildJournalApp(t); // acme: journal only
  const beta = await addTenant(h, 'beta', ['journal', 'reconcile']);

  await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-A1' });
  t.equal(events.hooks.journal, 1);
  t.equal(events.hooks.reconcile, 0, "reconcile's hook did not run for acme");
  t.same((await deliveries(h, h.tenant.id)).map((d) => d.subscriber), ['journal:record'], 'no delivery to reconcile for acme');

  await emit(h, beta.id, 'journal.posted', { ref: 'JE-B1' });
  t.equal(events.hooks.reconcile, 1, "reconcile's hook ran for beta, which enabled it");
  t.same((await deliveries(h, beta.id)).map((d) => d.subscriber), ['journal:record', 'reconcile:match']);
  await drain(h);
  t.same(runsOf('reconcile:match'), [1], 'reconcile received the event once: beta\'s');
  t.same(runsOf('journal:record'), [1, 1]);

  await emit(h, beta.id, 'journal.posted', { ref: 'JE-B2' });
  await h.app.congno.enablement.disable(beta.id, 'reconcile', SYSTEM_ACTOR);
  await drain(h);
  t.same(runsOf('reconcile:match'), [1], 'not run after reconcile was disabled');
  const matches = await h.db.selectFrom('core_event_delivery').select(['state', 'last_error'])
    .where('tenant_id', '=', beta.id).where('subscriber', '=', 'reconcile:match').orderBy('id').execute();
  t.match(matches, [{ state: 'done' }, { state: 'skipped', last_error: "module 'reconcile' is disabled for this tenant" }]);
  const listed = (await h.request('GET', '/api/admin/events/deliveries?state=skipped&tenant=beta', undefined, { token: h.adminToken })).json();
  t.match(listed, [{ subscriber: 'reconcile:match', state: 'skipped' }]);
  t.same((await effects(h, beta.id)).filter((e) => e.kind === 'posted').map((e) => e.ref), ['JE-B1', 'JE-B2'], "journal's own subscriber still delivered");
});

t.test('emitting twice with one dedupe key emits once', async (t) => {
  const h = await buildJournalApp(t);
  const first = await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0007' }, { dedupeKey: 'import:statement-42' });
  const second = await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0007' }, { dedupeKey: 'import:statement-42' });
  t.equal(first.emitted, true);
  t.type(first.id, 'string');
  t.same(second, { emitted: false, id: null });
  t.equal(events.hooks.journal, 1, 'the hook ran for the first emit only');
  t.equal((await outbox(h, h.tenant.id)).length, 1);
  await drain(h);
  t.same(runsOf('journal:record'), [1]);

  // The key is per tenant: another tenant may use the same one.
  const beta = await addTenant(h, 'beta', ['journal']);
  t.equal((await emit(h, beta.id, 'journal.posted', { ref: 'JE-0007' }, { dedupeKey: 'import:statement-42' })).emitted, true);
  // Without a key nothing is deduplicated.
  await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0008' });
  await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0008' });
  t.equal((await outbox(h, h.tenant.id)).length, 3);
});

t.test('a batch hook (hookMany) is called once per emit with every payload; a plain hook once per payload', async (t) => {
  const h = await buildJournalApp(t, { enable: ['journal', 'reconcile'] });
  const tenant = h.tenant.id;
  events.hooks.journal = 0;
  events.batches = [];
  await withTenant(h.db, tenant, (trx) => emitMany(h.app.congno.bus, trx, tenant, 'journal.posted', [{ ref: 'JE-0101' }, { ref: 'JE-0102' }, { ref: 'JE-0103' }], 'journal'));
  await emit(h, tenant, 'journal.posted', { ref: 'JE-0104' });
  t.same(events.batches, [['JE-0101', 'JE-0102', 'JE-0103'], ['JE-0104']], 'one call for the bulk emit, one for the single one');
  t.equal(events.hooks.journal, 4, 'the plain hook ran for each event');
  t.same((await effects(h, tenant)).map((e) => e.ref), ['JE-0101', 'JE-0102', 'JE-0103', 'JE-0104'], "the plain hook's rows, in order");
});

t.test('an emit carries the change\'s audit rows in its own statement; a dedupe repeat still audits, a rollback keeps neither', async (t) => {
  const h = await buildJournalApp(t);
  const actor = SYSTEM_ACTOR;
  const entry = (ref: string) => ({ actor, module: 'journal', action: 'journal.posted', entity: 'journal', entityId: ref, after: { ref, amount: 1234567n } });
  const audits = () => h.db.selectFrom('core_audit').select(['action', 'entity_id', 'after']).where('tenant_id', '=', h.tenant.id).where('module', '=', 'journal').orderBy('id').execute();

  const first = await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0100' }, { dedupeKey: 'je-100', audit: [entry('JE-0100')] });
  t.equal(first.emitted, true);
  t.same(await audits(), [{ action: 'journal.posted', entity_id: 'JE-0100', after: { ref: 'JE-0100', amount: '1234567' } }], 'written with the event, the bigint as a string');
  const again = await emit(h, h.tenant.id, 'journal.posted', { ref: 'JE-0100' }, { dedupeKey: 'je-100', audit: [entry('JE-0100')] });
  t.equal(again.emitted, false, 'the dedupe key holds the event back');
  t.equal((await audits()).length, 2, 'the attempt is audited as an audit call before the emit would be');

  await withTenant(h.db, h.tenant.id, (trx) => emitMany(h.app.congno.bus, trx, h.tenant.id, 'journal.posted', [{ ref: 'JE-0101' }, { ref: 'JE-0102' }], 'journal', { audit: [entry('JE-0101'), entry('JE-0102')] }));
  await withTenant(h.db, h.tenant.id, (trx) => emitMany(h.app.congno.bus, trx, h.tenant.id, 'journal.posted', [], 'journal', { audit: [entry('JE-0103')] }));
  t.same((await audits()).map((a) => a.entity_id), ['JE-0100', 'JE-0100', 'JE-0101', 'JE-0102', 'JE-0103'], 'emitMany too, and audit rows without events are still written');

  await t.rejects(withTenant(h.db, h.tenant.id, async (trx) => {
    await h.app.congno.bus.emit(trx, h.tenant.id, 'journal.posted', { ref: 'JE-0199' }, 'journal', { audit: [entry('JE-0199')] });
    throw new Error('the posting failed after the event');
  }), /the posting failed/);
  t.notOk((await audits()).some((a) => a.entity_id === 'JE-0199'), 'rolled back with the transaction');
  t.notOk((await outbox(h, h.tenant.id)).some((o: any) => o.payload.ref === 'JE-0199'));
});
