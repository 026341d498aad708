import t from 'tap';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dependencyClosure, discoverModules, loadRegistry, ModuleRegistryError, type InstalledModule } from '../../core/modules/registry.js';

const MANIFEST_API = fileURLToPath(new URL('../../core/modules/manifest.ts', import.meta.url));

interface FixtureModule {
  /** The folder; `_x` for an opt-in module. */
  folder: string;
  /** The manifest, as written (fields may be missing or wrong on purpose). */
  manifest: Record<string, unknown>;
}

const manifest = (name: string, depends: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ name, version: '1.0.0', summary: `The ${name} module`, depends, core: '^0.1.0', ...extra });

/** A modules/ folder of its own in a temp dir; removed at teardown. */
async function modulesDir(t: { teardown(fn: () => unknown): void }, modules: FixtureModule[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'congno-registry-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  for (const m of modules) {
    await fs.mkdir(path.join(dir, m.folder));
    await fs.writeFile(path.join(dir, m.folder, 'manifest.ts'),
      `import { defineModule } from ${JSON.stringify(MANIFEST_API)};\nexport default defineModule(${JSON.stringify(m.manifest, null, 2)} as any);\n`);
  }
  await fs.mkdir(path.join(dir, 'not-a-module')); // a folder without manifest.ts is ignored
  return dir;
}

const mod = (folder: string, depends: string[] = [], extra: Record<string, unknown> = {}): FixtureModule =>
  ({ folder, manifest: manifest(folder.replace(/^_/, ''), depends, extra) });
const names = (modules: InstalledModule[]): string[] => modules.map((m) => m.manifest.name);

async function refusal(promise: Promise<unknown>): Promise<ModuleRegistryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ModuleRegistryError) return err;
    throw err;
  }
  throw new Error('expected the registry to refuse, it loaded');
}

t.test('boot fails naming a missing dependency', async (t) => {
  const dir = await modulesDir(t, [mod('ledger'), mod('follow-up', ['ledger', 'sms'])]);
  const err = await refusal(loadRegistry(dir));
  t.equal(err.message, "Module 'follow-up' depends on 'sms', which is not installed (no modules/sms/manifest.ts)");
  t.equal((await refusal(loadRegistry(dir, ['postal']))).message, "Module 'postal' is not installed (no modules/postal/manifest.ts)", 'a module asked for in the configuration');
});

t.test('a dependency cycle is reported with its path', async (t) => {
  const two = await modulesDir(t, [mod('a', ['b']), mod('b', ['a'])]);
  t.match((await refusal(loadRegistry(two))).message, /^Module dependency cycle: (a → b → a|b → a → b)$/);
  t.equal((await refusal(loadRegistry(two, ['a']))).message, 'Module dependency cycle: a → b → a');

  const longer = await modulesDir(t, [mod('base'), mod('ledger', ['base', 'terms']), mod('terms', ['follow-up']), mod('follow-up', ['ledger'])]);
  t.equal((await refusal(loadRegistry(longer, ['ledger']))).message, 'Module dependency cycle: ledger → terms → follow-up → ledger');

  const self = await modulesDir(t, [mod('loop', ['loop'])]);
  t.equal((await refusal(loadRegistry(self))).message, 'Module dependency cycle: loop → loop');
});

t.test('an invalid manifest is refused naming its file and field', async (t) => {
  const cases: Array<[string, FixtureModule, RegExp]> = [
    ['bad name', { folder: 'Ledger_X', manifest: manifest('Ledger_X') }, /^modules\/Ledger_X\/manifest\.ts: invalid manifest at '\/name': must match pattern/],
    ['missing version', { folder: 'ledger', manifest: (({ version: _v, ...rest }) => rest)(manifest('ledger')) }, /^modules\/ledger\/manifest\.ts: invalid manifest at '\/': must have required properties version$/],
    ['version not semver', { folder: 'ledger', manifest: manifest('ledger', [], { version: '1.0' }) }, /^modules\/ledger\/manifest\.ts: invalid manifest at '\/version'/],
    ['depends not a list', { folder: 'ledger', manifest: manifest('ledger', [], { depends: 'base' }) }, /^modules\/ledger\/manifest\.ts: invalid manifest at '\/depends': must be array/],
    ['event name not <aggregate>.<past_tense>', { folder: 'ledger', manifest: manifest('ledger', [], { emits: ['InvoicePosted'] }) }, /^modules\/ledger\/manifest\.ts: invalid manifest at '\/emits\/0'/],
    ['unknown field', { folder: 'ledger', manifest: manifest('ledger', [], { dependencies: ['base'] }) }, /^modules\/ledger\/manifest\.ts: invalid manifest at '\/dependencies'/],
    ['name not matching the folder', { folder: 'ledger', manifest: manifest('accounting') }, /^modules\/ledger\/manifest\.ts declares name 'accounting'; it must be 'ledger'$/],
    ['opt-in folder with the underscore in the name', { folder: '_postal', manifest: manifest('_postal') }, /^modules\/_postal\/manifest\.ts: invalid manifest at '\/name'/],
  ];
  for (const [what, fixture, message] of cases) {
    const dir = await modulesDir(t, [fixture]);
    const wanted = [fixture.folder.replace(/^_/, '')];
    t.match((await refusal(loadRegistry(dir, wanted))).message, message, what);
  }

  const noDefault = await fs.mkdtemp(path.join(os.tmpdir(), 'congno-registry-'));
  t.teardown(() => fs.rm(noDefault, { recursive: true, force: true }));
  await fs.mkdir(path.join(noDefault, 'ledger'));
  await fs.writeFile(path.join(noDefault, 'ledger', 'manifest.ts'), 'export const name = "ledger";\n');
  t.equal((await refusal(loadRegistry(noDefault))).message, 'modules/ledger/manifest.ts must default-export defineModule({...})');
});

t.test('an incompatible core range is refused', async (t) => {
  const dir = await modulesDir(t, [mod('ledger'), mod('postal', ['ledger'], { core: '^2.0.0' })]);
  t.equal((await refusal(loadRegistry(dir))).message, "Module 'postal' needs core ^2.0.0; this is core 0.1.0");
  t.equal((await refusal(loadRegistry(dir, ['ledger']))).message, "Module 'postal' needs core ^2.0.0; this is core 0.1.0", 'any manifest under modules/ is checked, asked for or not');
  const compatible = await modulesDir(t, [mod('ledger', [], { core: '>=0.1.0 <1' })]);
  t.same(names(await loadRegistry(compatible)), ['ledger']);
});

t.test('topological order, ties by depth then name', async (t) => {
  const dir = await modulesDir(t, [
    mod('zalo'), mod('ledger'), mod('terms', ['ledger']), mod('sms', ['zalo']),
    mod('aging', ['terms', 'ledger']), mod('follow-up', ['terms', 'sms']), mod('bank', ['ledger']),
  ]);
  const modules = await loadRegistry(dir);
  t.same(names(modules), ['ledger', 'zalo', 'bank', 'sms', 'terms', 'aging', 'follow-up']);
  t.same(modules.map((m) => m.depth), [0, 0, 1, 1, 1, 2, 2]);
  t.equal(modules[0].dir, path.join(dir, 'ledger'), 'each module knows its folder');
  t.same(names(await loadRegistry(dir, ['follow-up'])), ['ledger', 'zalo', 'sms', 'terms', 'follow-up'], 'a wanted module brings its closure, nothing else');
  t.same(dependencyClosure(modules, 'follow-up').sort(), ['follow-up', 'ledger', 'sms', 'terms', 'zalo']);
  t.throws(() => dependencyClosure(modules, 'postal'), { message: "Module 'postal' is not installed" });
});

t.test('folders starting with _ hold opt-in modules', async (t) => {
  const dir = await modulesDir(t, [mod('ledger'), mod('_example'), mod('_postal', ['ledger']), mod('letters', ['postal'])]);
  t.same([...(await discoverModules(dir)).keys()].sort(), ['example', 'ledger', 'letters', 'postal'], 'discovered under their names without the _');
  t.same(names(await loadRegistry(dir, ['ledger'])), ['ledger']);
  t.same(names(await loadRegistry(dir, ['example'])), ['example'], 'installed when asked for by name');
  t.equal((await loadRegistry(dir, ['example']))[0].dir, path.join(dir, '_example'));
  t.same(names(await loadRegistry(dir)), ['ledger', 'postal', 'letters'], 'by default: every module that is not opt-in, with the opt-in ones it depends on');
  const none = await modulesDir(t, [mod('ledger'), mod('_example')]);
  t.same(names(await loadRegistry(none)), ['ledger'], 'by default an opt-in module stays out');
});

t.test('link modules come along when everything they link is installed', async (t) => {
  const dir = await modulesDir(t, [
    mod('ledger'), mod('follow-up', ['ledger']), mod('postal'), mod('sms'),
    mod('follow-up-postal', ['follow-up', 'postal'], { autoInstall: true }),
    mod('follow-up-sms', ['follow-up', 'sms'], { autoInstall: true }),
    // A link that needs another link: found whatever the folder order.
    mod('a-reminder-letters', ['follow-up-postal', 'sms'], { autoInstall: true }),
  ]);
  t.same(names(await loadRegistry(dir, ['follow-up'])), ['ledger', 'follow-up'], 'one side alone: no link');
  t.same(names(await loadRegistry(dir, ['follow-up', 'postal'])), ['ledger', 'postal', 'follow-up', 'follow-up-postal']);
  t.same(names(await loadRegistry(dir, ['follow-up', 'postal', 'sms'])),
    ['ledger', 'postal', 'sms', 'follow-up', 'follow-up-postal', 'follow-up-sms', 'a-reminder-letters'], 'links of links too');
  t.same(names(await loadRegistry(dir)), ['ledger', 'postal', 'sms', 'follow-up', 'follow-up-postal', 'follow-up-sms', 'a-reminder-letters']);

  const optIn = await modulesDir(t, [mod('follow-up'), mod('_postal'), mod('follow-up-postal', ['follow-up', 'postal'], { autoInstall: true })]);
  t.same(names(await loadRegistry(optIn)), ['follow-up'], 'a link never drags in an opt-in module');
  t.same(names(await loadRegistry(optIn, ['follow-up', 'postal'])), ['follow-up', 'postal', 'follow-up-postal'], 'but comes along once it is installed');
});
