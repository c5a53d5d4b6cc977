/**
 * The workspace source a module reaches: the files of its import closure inside the workspace, followed through
 * relative imports, workspace packages (`@goodhart/core` → the package's `exports`), literal dynamic imports and
 * worker scripts (`new URL('./x.ts', import.meta.url)`). Type-only imports are left out (erased before anything
 * runs); npm packages are left out (their versions are hashed as external dependencies). Any other mention of an
 * import in a comment is followed too: a file too many is hashed, never one too few.
 *
 * The Nx plugin hashes exactly these files into a task, so an edit reruns the tasks whose entry point reaches it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`, `new URL('x', import.meta.url)`. */
const SPECIFIERS =
  /\b(import|export)(\s+type\b)?\s+[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)?['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]|\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g;

/** The runtime import specifiers in a module's text (type-only imports and exports are erased, so not listed). */
export function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIERS)) {
    if (match[3] !== undefined) {
      if (match[2] === undefined) found.push(match[3]);
    } else {
      const specifier = match[4] ?? match[5] ?? match[6];
      if (specifier !== undefined) found.push(specifier);
    }
  }
  return found;
}

/** A workspace package: its directory (relative to the root) and its entry points by subpath (`.`, `./x`). */
interface WorkspacePackage {
  dir: string;
  exports: Map<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The path an `exports` value leads to (a string, or the `import`/`default` condition). */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value)) return exportTarget(value.import ?? value.default);
  return undefined;
}

/** Workspace packages by npm name, from `<root>/<packagesDir>/*\/package.json`. */
export function workspacePackages(root: string, packagesDir: string): Map<string, WorkspacePackage> {
  const packages = new Map<string, WorkspacePackage>();
  let entries: string[];
  try {
    entries = readdirSync(join(root, packagesDir));
  } catch {
    return packages;
  }
  for (const entry of entries.sort()) {
    const dir = `${packagesDir}/${entry}`;
    let pkg: unknown;
    try {
      pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (!isObject(pkg) || typeof pkg.name !== 'string') continue;
    const exports = new Map<string, string>();
    const raw = pkg.exports;
    const rootExport = exportTarget(raw);
    if (rootExport !== undefined) exports.set('.', rootExport);
    else if (isObject(raw)) {
      for (const [subpath, value] of Object.entries(raw)) {
        const target = exportTarget(value);
        if (target !== undefined) exports.set(subpath, target);
      }
    }
    if (!exports.has('.') && typeof pkg.main === 'string') exports.set('.', pkg.main);
    packages.set(pkg.name, { dir, exports });
  }
  return packages;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A relative specifier's file, as Node and tsx resolve it: as written, `.js` → `.ts`, then `.ts` or `/index.ts` added. */
function resolveFile(base: string): string | undefined {
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find(isFile);
}

export class ImportClosure {
  private readonly packages: Map<string, WorkspacePackage>;
  private readonly specifiers = new Map<string, string[]>();
  private readonly closures = new Map<string, string[]>();

  constructor(
    private readonly root: string,
    packagesDir: string,
  ) {
    this.packages = workspacePackages(root, packagesDir);
  }

  /** The workspace package directory a workspace-relative file is in, if any. */
  packageDirOf(file: string): string | undefined {
    for (const { dir } of this.packages.values()) if (file.startsWith(`${dir}/`)) return dir;
    return undefined;
  }

  /** Where a specifier in `from` (absolute) leads inside the workspace; undefined for npm packages and built-ins. */
  private resolve(specifier: string, from: string): string | undefined {
    if (specifier.startsWith('.')) return resolveFile(resolve(dirname(from), specifier));
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    const pkg = this.packages.get(name);
    if (!pkg) return undefined;
    const subpath = `.${specifier.slice(name.length)}`;
    const target = pkg.exports.get(subpath) ?? (subpath === '.' ? undefined : subpath);
    return target === undefined ? undefined : resolveFile(join(this.root, pkg.dir, target));
  }

  private specifiersOf(file: string): string[] {
    let found = this.specifiers.get(file);
    if (!found) {
      found = importSpecifiers(readFileSync(file, 'utf8'));
      this.specifiers.set(file, found);
    }
    return found;
  }

  /**
   * The workspace files `entry` (relative to the root) reaches, itself included, relative to the root with forward
   * slashes and sorted; throws when the entry point does not exist.
   */
  of(entry: string): string[] {
    const cached = this.closures.get(entry);
    if (cached) return cached;
    const start = join(this.root, entry);
    if (!existsSync(start)) throw new Error(`entry point ${entry} does not exist`);
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      for (const specifier of this.specifiersOf(file)) {
        const next = this.resolve(specifier, file);
        if (next === undefined || seen.has(next)) continue;
        const inside = relative(this.root, next);
        if (inside.startsWith('..') || inside.split(sep).includes('node_modules')) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    const closure = [...seen].map((file) => relative(this.root, file).split(sep).join('/')).sort();
    this.closures.set(entry, closure);
    return closure;
  }
}
