/**
 * What core's module API enforces when modules are set up (no database): services only from
 * declared modules, events only as declared, and at boot every consumed event has an emitter.
 */
import t from 'tap';
import Fastify from 'fastify';
import { EventBus } from '../../core/events/bus.js';
import { checkEventWiring, createModuleApi, type ModuleRuntime } from '../../core/modules/api.js';
import { sortByDependencies } from '../../core/modules/registry.js';
import type { ModuleManifest } from '../../core/modules/manifest.js';
import type { Enablement } from '../../core/modules/enablement.js';
import type { Db } from '../../core/db/kysely.js';

const log = Fastify({ logger: false }).log;

const manifest = (name: string, extra: Partial<ModuleManifest> = {}): ModuleManifest =>
  ({ name, version: '1.0.0', summary: name, depends: [], core: '^0.1.0', ...extra });

/** Sets up modules in the order given, each `setup` run on its api (as core's loader does). */
function setUp(modules: Array<[ModuleManifest, (api: any) => void]>): Map<string, ModuleRuntime> {
  const bus = new EventBus(log);
  const runtimes = new Map<string, ModuleRuntime>();
  for (const [m, setup] of modules) {
    const runtime = createModuleApi(m, { db: undefined as unknown as Db, bus, jobs: [], runtimes, enablement: () => undefined as unknown as Enablement, log });
    runtimes.set(m.name, runtime);
    setup(runtime.api);
  }
  return runtimes;
}

t.test('a module gets the service of a module in its depends, and no other', async (t) => {
  const books = { open: () => 'the books' };
  const runtimes = setUp([
    [manifest('ledger'), (api) => api.provide(books)],
    [manifest('sms', { depends: ['ledger'] }), () => {}],
    [manifest('postal'), () => {}],
  ]);
  t.equal(runtimes.get('sms')!.api.service('ledger' as never), books, 'the object the ledger provided');
  t.throws(() => runtimes.get('postal')!.api.service('ledger' as never), { message: /Module 'postal' asked for the service of 'ledger', which is not in its depends/ }, 'not in depends');
  t.throws(() => runtimes.get('ledger')!.api.provide({}), { message: /provides its service twice/ }, 'one service object per module');
  t.equal(runtimes.get('ledger')!.api.ownService(), books, 'a module reaches its own service');
});

t.test('an optional module: its service when installed, undefined when not, refused when undeclared', async (t) => {
  const freshness = { freshness: async () => ({}) };
  const withBank = setUp([
    [manifest('bank-reconciliation'), (api) => api.provide(freshness)],
    [manifest('follow-up', { optional: ['bank-reconciliation'] }), () => {}],
  ]);
  t.equal(withBank.get('follow-up')!.api.optionalService('bank-reconciliation' as never), freshness);
  const withoutBank = setUp([[manifest('follow-up', { optional: ['bank-reconciliation'] }), () => {}]]);
  t.equal(withoutBank.get('follow-up')!.api.optionalService('bank-reconciliation' as never), undefined, 'not installed: undefined');
  t.throws(() => withoutBank.get('follow-up')!.api.service('bank-reconciliation' as never), { message: /not in its depends/ }, 'optional is not depends');
  t.throws(() => withBank.get('bank-reconciliation')!.api.optionalService('follow-up' as never), { message: /not in its optional/ }, 'undeclared');
});

t.test('a module hooks, subscribes to and emits only the events its manifest lists', async (t) => {
  const runtimes = setUp([[manifest('notes', { emits: ['note.created'], consumes: ['note.created'] }), () => {}]]);
  const { api } = runtimes.get('notes')!;
  api.hook('note.created', async () => {});
  t.throws(() => api.hook('invoice.posted', async () => {}), { message: /Module 'notes' listens to 'invoice.posted', which its manifest does not list in 'consumes'/ }, 'hook');
  t.throws(() => api.subscribe('invoice.posted', 'x', async () => {}), { message: /does not list in 'consumes'/ }, 'subscribe');
  await t.rejects(async () => api.emit(undefined as never, 'tenant', 'invoice.posted', {} as never), { message: /Module 'notes' emits 'invoice.posted', which its manifest does not list in 'emits'/ }, 'emit');
  await t.rejects(async () => api.emitMany(undefined as never, 'tenant', 'invoice.posted', []), { message: /does not list in 'emits'/ }, 'emitMany');
  t.throws(() => api.job('daily', '0 6 * * *', 'note.digest_requested' as never), { message: /does not list in 'emits'/ }, 'a job emits too');
});

t.test('at boot every consumed event has one emitter among core and the installed modules', async (t) => {
  const ledger = manifest('ledger', { emits: ['invoice.posted'] });
  const followUp = manifest('follow-up', { depends: ['ledger'], consumes: ['invoice.posted', 'tenant.module_enabled'] });
  t.doesNotThrow(() => checkEventWiring(setUp([[ledger, () => {}], [followUp, () => {}]]), log), "the ledger's and core's events");

  const orphan = manifest('sms', { consumes: ['followup.action_created'] });
  t.throws(() => checkEventWiring(setUp([[orphan, () => {}]]), log), { message: /Module 'sms' consumes 'followup.action_created', which no installed module emits/ }, 'no emitter');

  const soft = manifest('sms', { optional: ['follow-up'], consumes: ['followup.action_created'] });
  t.doesNotThrow(() => checkEventWiring(setUp([[soft, () => {}]]), log), 'the emitter is an optional module that is not installed');

  const twin = manifest('twin', { emits: ['invoice.posted'] });
  t.throws(() => checkEventWiring(setUp([[ledger, () => {}], [twin, () => {}]]), log), { message: /Event 'invoice.posted' is emitted by both 'ledger' and 'twin'/ }, 'one owner');
  t.throws(() => checkEventWiring(setUp([[manifest('x', { emits: ['tenant.module_enabled'] }), () => {}]]), log), { message: /emitted by both 'core' and 'x'/ }, "core's events are core's");
});

t.test('an installed optional module is set up before the module that uses it; a missing one changes nothing', async (t) => {
  const entry = (m: ModuleManifest) => [m.name, { manifest: m, dir: `/modules/${m.name}` }] as const;
  const followUp = manifest('follow-up', { depends: ['ledger'], optional: ['bank-reconciliation'] });
  const bank = manifest('bank-reconciliation', { depends: ['ledger'] });
  const zBank = manifest('zz-bank', { depends: ['ledger'] });
  const order = sortByDependencies(new Map([entry(manifest('ledger')), entry(followUp), entry(bank)])).map((m) => m.manifest.name);
  t.same(order, ['ledger', 'bank-reconciliation', 'follow-up']);
  // Without the edge, ties go by name: 'follow-up' before 'zz-bank'; with it, after.
  const renamed = manifest('follow-up', { depends: ['ledger'], optional: ['zz-bank'] });
  t.same(sortByDependencies(new Map([entry(manifest('ledger')), entry(renamed), entry(zBank)])).map((m) => m.manifest.name), ['ledger', 'zz-bank', 'follow-up']);
  t.same(sortByDependencies(new Map([entry(manifest('ledger')), entry(followUp)])).map((m) => m.manifest.name), ['ledger', 'follow-up'], 'optional module absent');
});
