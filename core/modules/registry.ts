import { Value } from 'typebox/value';
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { ManifestSchema, type ModuleManifest } from './manifest.js';
import { CORE_VERSION } from '../version.js';

export interface InstalledModule {
  manifest: ModuleManifest;
  /** Absolute path of the module's folder. */
  dir: string;
  /** Distance from a module without dependencies (0) — used to order ties. */
  depth: number;
}

export class ModuleRegistryError extends Error {}

/** Folder names under `modules/` that hold a manifest; `_x` folders are opt-in modules named `x`. */
export async function discoverModules(modulesDir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const entries = await fs.readdir(modulesDir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(modulesDir, e.name);
    const hasManifest = await fs.stat(path.join(dir, 'manifest.ts')).then(() => true, () => false);
    if (hasManifest) found.set(e.name.replace(/^_/, ''), dir);
  }
  return found;
}

/**
 * Reads, validates and orders the modules a server installs: `wanted` (empty = every folder not
 * starting with `_`) plus their dependency closure. Only `manifest.ts` files are imported.
 * Fails with a message naming a missing dependency, an invalid manifest or a cycle.
 */
export async function loadRegistry(modulesDir: string, wanted: string[] = []): Promise<InstalledModule[]> {
  const folders = await discoverModules(modulesDir);
  const optIn = (dir: string): boolean => path.basename(dir).startsWith('_');
  // By default every module that is not opt-in; link modules are not roots (they come along
  // below only when what they link is installed, so they never drag in an opt-in module).
  const roots = [...wanted];
  if (roots.length === 0) {
    for (const [name, dir] of folders) if (!optIn(dir) && !(await readManifest(dir)).autoInstall) roots.push(name);
  }

  const manifests = new Map<string, { manifest: ModuleManifest; dir: string }>();
  const visit = async (name: string, requiredBy?: string): Promise<void> => {
    if (manifests.has(name)) return;
    const dir = folders.get(name);
    if (!dir) {
      throw new ModuleRegistryError(requiredBy
        ? `Module '${requiredBy}' depends on '${name}', which is not installed (no modules/${name}/manifest.ts)`
        : `Module '${name}' is not installed (no modules/${name}/manifest.ts)`);
    }
    const manifest = await readManifest(dir);
    if (manifest.name !== name) {
      throw new ModuleRegistryError(`modules/${path.basename(dir)}/manifest.ts declares name '${manifest.name}'; it must be '${name}'`);
    }
    manifests.set(name, { manifest, dir });
    for (const dep of manifest.depends) await visit(dep, name);
  };
  for (const name of roots) await visit(name);

  // Link modules whose dependencies are all installed come along too (repeat: one link can complete another).
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, dir] of folders) {
      if (manifests.has(name) || optIn(dir)) continue;
      const manifest = await readManifest(dir);
      if (manifest.autoInstall && manifest.depends.every((d) => manifests.has(d))) {
        await visit(name);
        grew = true;
      }
    }
  }
  return sortByDependencies(manifests);
}

export async function readManifest(dir: string): Promise<ModuleManifest> {
  const file = path.join(dir, 'manifest.ts');
  const mod = (await import(file)) as { default?: unknown };
  const manifest = mod.default;
  const where = `modules/${path.basename(dir)}/manifest.ts`;
  if (!manifest || typeof manifest !== 'object') throw new ModuleRegistryError(`${where} must default-export defineModule({...})`);
  const data = { ...(manifest as Record<string, unknown>) };
  const error = Value.Errors(ManifestSchema, data)[0] as { instancePath?: string; message?: string } | undefined;
  if (error) throw new ModuleRegistryError(`${where}: invalid manifest at '${error.instancePath || '/'}': ${error.message}`);
  const m = manifest as ModuleManifest;
  if (!semver.satisfies(CORE_VERSION, m.core)) {
    throw new ModuleRegistryError(`Module '${m.name}' needs core ${m.core}; this is core ${CORE_VERSION}`);
  }
  return m;
}

/** Topological order by `depends` (and installed `optional`); ties by depth, then name. */
export function sortByDependencies(manifests: Map<string, { manifest: ModuleManifest; dir: string }>): InstalledModule[] {
  const depth = new Map<string, number>();
  const stack: string[] = [];
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(' → ');
      throw new ModuleRegistryError(`Module dependency cycle: ${cycle}`);
    }
    stack.push(name);
    const entry = manifests.get(name)!;
    let d = 0;
    // An optional dependency that is installed is set up first too, so its service exists.
    const before = [...entry.manifest.depends, ...(entry.manifest.optional ?? []).filter((o) => manifests.has(o))];
    for (const dep of before) d = Math.max(d, depthOf(dep) + 1);
    stack.pop();
    depth.set(name, d);
    return d;
  };
  for (const name of manifests.keys()) depthOf(name);
  return [...manifests.entries()]
    .map(([name, { manifest, dir }]) => ({ manifest, dir, depth: depth.get(name)! }))
    .sort((a, b) => a.depth - b.depth || a.manifest.name.localeCompare(b.manifest.name));
}

/** `name` plus everything it depends on, transitively. */
export function dependencyClosure(modules: InstalledModule[], name: string): string[] {
  const byName = new Map(modules.map((m) => [m.manifest.name, m]));
  const out = new Set<string>();
  const walk = (n: string): void => {
    if (out.has(n)) return;
    const m = byName.get(n);
    if (!m) throw new ModuleRegistryError(`Module '${n}' is not installed`);
    out.add(n);
    m.manifest.depends.forEach(walk);
  };
  walk(name);
  return [...out];
}
