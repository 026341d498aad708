/**
 * Module boundaries, read from the source (no app boot, no database): a module reaches another
 * only through that module's public.ts, only when the other is in its manifest's `depends` or
 * `optional`, and its SQL names only the other module's published tables.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODULES_DIR = path.join(PROJECT_ROOT, 'modules');

interface ModuleInfo {
  /** The manifest's name (`example` for the folder `_example`). */
  name: string;
  dir: string;
  /** depends and optional: the modules it may reach. */
  reachable: Set<string>;
  depends: Set<string>;
  hasManifest: boolean;
  hasPublic: boolean;
  publicTables: Set<string>;
  /** Its .ts files outside migrations/, test/ included. */
  files: string[];
}

async function listFiles(dir: string, accept: (file: string) => boolean, skipMigrations: boolean): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || (skipMigrations && entry.name === 'migrations')) continue;
      found.push(...await listFiles(full, accept, skipMigrations));
    } else if (accept(entry.name)) {
      found.push(full);
    }
  }
  return found.sort();
}

const importModule = async (file: string): Promise<Record<string, unknown>> => import(pathToFileURL(file).href);
const relative = (file: string): string => path.relative(PROJECT_ROOT, file);
const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

async function readModule(folder: string): Promise<ModuleInfo> {
  const dir = path.join(MODULES_DIR, folder);
  const manifestFile = path.join(dir, 'manifest.ts');
  const publicFile = path.join(dir, 'public.ts');
  const hasManifest = existsSync(manifestFile);
  const manifest = hasManifest
    ? (await importModule(manifestFile)).default as { name: string; depends: string[]; optional?: string[] }
    : { name: folder.replace(/^_/, ''), depends: [] };
  const optional = (manifest as { optional?: string[] }).optional ?? [];
  const hasPublic = existsSync(publicFile);
  const published = hasPublic ? (await importModule(publicFile)).publicTables : undefined;
  return {
    name: manifest.name, dir, hasManifest, hasPublic,
    depends: new Set(manifest.depends),
    reachable: new Set([...manifest.depends, ...optional]),
    publicTables: new Set(Array.isArray(published) ? published as string[] : []),
    files: await listFiles(dir, (f) => f.endsWith('.ts'), true),
  };
}

const folders = (await fs.readdir(MODULES_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const modules = await Promise.all(folders.map(readModule));
const moduleByDir = new Map(modules.map((m) => [m.dir, m]));

/** Table → owning module name, from the `create table` statements of each module's migrations. */
const tableOwner = new Map<string, string>();
for (const m of modules) {
  const migrationsDir = path.join(m.dir, 'migrations');
  if (!existsSync(migrationsDir)) continue;
  for (const file of await listFiles(migrationsDir, (f) => /\.(ts|sql)$/.test(f), false)) {
    const text = await fs.readFile(file, 'utf8');
    for (const match of text.matchAll(/create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?(?:"?\w+"?\.)?"?([a-z0-9_]+)"?/gi)) {
      tableOwner.set(match[1].toLowerCase(), m.name);
    }
  }
}

interface ImportSite { file: string; line: number; specifier: string; target: string }

/** Relative specifiers of static imports, `import '…'`, `export … from '…'` and `import('…')`, multi-line ones included. */
function importSites(file: string, text: string): ImportSite[] {
  const sites: ImportSite[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1/g)) {
    const specifier = match[2];
    if (!specifier.startsWith('.')) continue; // packages and node: builtins
    sites.push({ file, line: lineAt(text, match.index), specifier, target: path.resolve(path.dirname(file), specifier) });
  }
  return sites;
}

/** The module folder a path lies in, if any (modules/README.md and the like belong to none). */
function owningModule(target: string): ModuleInfo | undefined {
  const rel = path.relative(MODULES_DIR, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return moduleByDir.get(path.join(MODULES_DIR, rel.split(path.sep)[0]));
}

const sources = new Map<string, string>();
for (const m of modules) for (const file of m.files) sources.set(file, await fs.readFile(file, 'utf8'));

let crossModuleImports = 0;
const importViolations: string[] = [];
for (const a of modules) {
  for (const file of a.files) {
    const inTests = file.startsWith(path.join(a.dir, 'test') + path.sep);
    for (const site of importSites(file, sources.get(file)!)) {
      const b = owningModule(site.target);
      if (!b || b === a) continue;
      crossModuleImports++;
      const where = `${relative(file)}:${site.line}: imports ${site.specifier}`;
      const isLedgerFixtures = b.name === 'ledger' && site.target === path.join(b.dir, 'test', 'fixtures.js');
      if (inTests && isLedgerFixtures) {
        if (!a.depends.has('ledger')) importViolations.push(`${where} (module ledger is not in depends of ${a.name})`);
      } else if (!a.reachable.has(b.name)) {
        importViolations.push(`${where} (module ${b.name} is not in depends/optional of ${a.name})`);
      } else if (site.target !== path.join(b.dir, 'public.js')) {
        importViolations.push(`${where} (module ${b.name}: only its public.ts may be imported)`);
      }
    }
  }
}

// Longest names first, and whole identifiers only, so `ledger_move_line` is never read as `ledger_move`.
const tableNames = [...tableOwner.keys()].sort((x, y) => y.length - x.length);
const tablePattern = new RegExp(`(?<![a-z0-9_])(${tableNames.join('|')})(?![a-z0-9_])`, 'gi');
const tableViolations: string[] = [];
for (const a of modules) {
  for (const file of a.files) {
    sources.get(file)!.split('\n').forEach((text, i) => {
      const trimmed = text.trimStart();
      if (trimmed.startsWith('//') || trimmed.startsWith('*') || trimmed.startsWith('/*')) return;
      for (const match of text.matchAll(tablePattern)) {
        const table = match[1].toLowerCase();
        const owner = tableOwner.get(table)!;
        if (owner === a.name) continue;
        const b = modules.find((m) => m.name === owner)!;
        const where = `${relative(file)}:${i + 1}: uses table ${table}`;
        if (!a.reachable.has(owner)) tableViolations.push(`${where} (module ${owner} is not in depends/optional of ${a.name})`);
        else if (!b.publicTables.has(table)) tableViolations.push(`${where} (module ${owner}: not in its publicTables)`);
      }
    });
  }
}

t.test('the scanners find what is there', async (t) => {
  for (const table of ['ledger_partner', 'ledger_invoice', 'bank_reconciliation_line']) {
    t.ok(tableOwner.has(table), `the migrations create ${table}`);
  }
  t.equal(tableOwner.get('followup_item'), 'follow-up', 'a table maps to its module, whatever its prefix');
  t.ok(crossModuleImports > 0, `cross-module imports are found (${crossModuleImports})`);
});

t.test('every module has a manifest.ts and a public.ts', async (t) => {
  const missing = modules.flatMap((m) => [
    ...m.hasManifest ? [] : [`${relative(m.dir)}/manifest.ts is missing`],
    ...m.hasPublic ? [] : [`${relative(m.dir)}/public.ts is missing`],
  ]);
  t.same(missing, [], 'each module folder publishes its surface in public.ts');
});

t.test('modules import one another only through public.ts, and only what their manifest declares', async (t) => {
  t.same(importViolations, [], 'cross-module imports');
});

t.test('modules name only the published tables of the modules they declare', async (t) => {
  t.same(tableViolations, [], 'cross-module table names');
});
