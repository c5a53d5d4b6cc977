import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGES, workspaceRoot } from '@goodhart/core';

/**
 * The layers, read from the import statements of every package's source:
 *   core                 imports no other package of the workspace and no tfjs;
 *   native               core only;
 *   gold                 core and model (the human labeller, and the gold RM it scores with through model);
 *   model                core and native; it never locates or opens a stage's output (stages hand it what they
 *                        opened through the registry);
 *   stages               core, model, gold; never another stage.
 * And nothing outside a package reaches past its public entries (the `exports` of its package.json: its src/index.ts,
 * and core's light pipeline entry): not another package, not scripts/, not the root tests. A package's own tests may
 * import its src.
 */
const root = workspaceRoot();
const STAGE_PACKAGES = [...new Set(Object.values(STAGES).map((entry) => entry.package))];
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  native: ['core'],
  gold: ['core', 'model'],
  model: ['core', 'native'],
  ...Object.fromEntries(STAGE_PACKAGES.map((pkg) => [pkg, ['core', 'model', 'gold']])),
};
/** core's names for finding and opening stage outputs; the model package may not use them. */
const STAGE_OUTPUT_API = ['openStage', 'openStageOutput', 'stageOutputDir', 'stageWorkDir', 'stageHint', 'STAGES', 'pipelineTasks', 'planPipeline'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Module specifiers of a file's static imports, re-exports and dynamic imports, with the names it imports. */
function imports(file: string): { specifier: string; names: string[] }[] {
  const text = readFileSync(file, 'utf8');
  const found: { specifier: string; names: string[] }[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    found.push({
      specifier: match[2],
      names: match[1]
        .replace(/[{}*]/g, ' ')
        .split(/[\s,]+/)
        .filter((n) => n && n !== 'as' && n !== 'type'),
    });
  }
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ specifier: match[1], names: [] });
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push({ specifier: match[1], names: [] });
  return found;
}

/** The workspace package an import reaches: `@goodhart/x`, or a relative path into packages/x. */
function packageOf(file: string, specifier: string): string | undefined {
  const scoped = /^@goodhart\/([a-z-]+)/.exec(specifier);
  if (scoped) return scoped[1];
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(join(root, 'packages'), resolve(file, '..', specifier));
  return target.startsWith('..') ? undefined : target.split(sep)[0];
}

/** The files a package's `exports` name, absolute, by subpath (`.`, `./pipeline`). */
function publicEntries(pkg: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as {
    exports?: string | Record<string, string>;
    main?: string;
  };
  const exports = typeof manifest.exports === 'string' ? { '.': manifest.exports } : (manifest.exports ?? { '.': manifest.main ?? './src/index.ts' });
  return new Map(Object.entries(exports).map(([subpath, file]) => [subpath, resolve(root, 'packages', pkg, file)]));
}

/** The package a file belongs to (packages/<pkg>/...), or undefined for scripts/ and test/. */
function ownPackage(file: string): string | undefined {
  const path = relative(join(root, 'packages'), file);
  return path.startsWith('..') ? undefined : path.split(sep)[0];
}

/** Why an import reaches past the public entries of another package, or undefined when it does not. */
function pastEntry(file: string, specifier: string): string | undefined {
  const target = packageOf(file, specifier);
  if (target === undefined || target === ownPackage(file) || !existsSync(join(root, 'packages', target, 'package.json'))) return undefined;
  const entries = publicEntries(target);
  const scoped = /^@goodhart\/[a-z-]+(\/.*)?$/.exec(specifier);
  const reached = scoped ? entries.has(scoped[1] ? `.${scoped[1]}` : '.') : [...entries.values()].includes(resolve(file, '..', specifier));
  const allowed = [...entries.keys()].map((subpath) => `@goodhart/${target}${subpath.slice(1)}`).join(', ');
  return reached ? undefined : `${relative(root, file)} imports ${specifier}, past the public entries of ${target} (${allowed})`;
}

const packages = readdirSync(join(root, 'packages')).filter((name) => name in ALLOWED || readdirSync(join(root, 'packages', name)).includes('src'));

describe('package layers, from the imports', () => {
  it('knows every package', () => {
    expect(packages.filter((pkg) => !(pkg in ALLOWED))).toEqual([]);
  });

  it('each package imports only the layers below it; core imports no tfjs; a stage never imports another stage', () => {
    const violations: string[] = [];
    for (const pkg of packages) {
      for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
        for (const { specifier } of imports(file)) {
          const target = packageOf(file, specifier);
          if (target !== undefined && target !== pkg && !ALLOWED[pkg].includes(target))
            violations.push(`${relative(root, file)} imports ${specifier} (${pkg} may import: ${ALLOWED[pkg].join(', ') || 'no workspace package'})`);
          if (pkg === 'core' && specifier.startsWith('@tensorflow/'))
            violations.push(`${relative(root, file)} imports ${specifier}: core must not import tfjs`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('the model package neither locates nor opens stage outputs', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(join(root, 'packages', 'model', 'src'))) {
      for (const { specifier, names } of imports(file)) {
        if (specifier !== '@goodhart/core') continue;
        for (const name of names.filter((n) => STAGE_OUTPUT_API.includes(n))) violations.push(`${relative(root, file)} imports ${name} from core`);
      }
      if (/['"`/]artifacts['"`/]/.test(readFileSync(file, 'utf8'))) violations.push(`${relative(root, file)} spells the artifacts directory`);
    }
    expect(violations).toEqual([]);
  });

  it('nothing outside a package imports past its public entries: other packages, scripts/ and the root tests', () => {
    // tools/ is left out on purpose: the Nx plugin reads this workspace's own registry by relative path, since the
    // package name resolves through node_modules, which the tests' copies of the workspace share with the original.
    const files = [
      ...packages.flatMap((pkg) =>
        ['src', 'test'].flatMap((dir) => (existsSync(join(root, 'packages', pkg, dir)) ? sourceFiles(join(root, 'packages', pkg, dir)) : [])),
      ),
      ...sourceFiles(join(root, 'scripts')),
      ...sourceFiles(join(root, 'test')),
    ];
    expect(files.length).toBeGreaterThan(100);
    const violations = files.flatMap((file) => imports(file).flatMap(({ specifier }) => pastEntry(file, specifier) ?? []));
    expect(violations).toEqual([]);
  });

  it('catches a violation (the scanner is not blind)', () => {
    const file = join(root, 'packages', 'core', 'src', 'x.ts');
    expect(packageOf(file, '@goodhart/model')).toBe('model');
    expect(packageOf(file, '../../model/src/index.ts')).toBe('model');
    expect(packageOf(file, './grid.ts')).toBe('core');
    const script = join(root, 'scripts', 'x.ts');
    expect(pastEntry(script, '@goodhart/ppo')).toBeUndefined();
    expect(pastEntry(script, '@goodhart/core/pipeline')).toBeUndefined();
    expect(pastEntry(script, '../packages/ppo/src/index.ts')).toBeUndefined();
    expect(pastEntry(script, '../packages/ppo/src/trainer.ts')).toMatch(/past the public entries of ppo/);
    expect(pastEntry(script, '@goodhart/ppo/src/trainer.ts')).toMatch(/past the public entries of ppo/);
    expect(pastEntry(join(root, 'packages', 'ppo', 'test', 'x.test.ts'), '../src/trainer.ts')).toBeUndefined();
    expect(pastEntry(join(root, 'packages', 'fit', 'test', 'x.test.ts'), '../../ppo/src/trainer.ts')).toMatch(/past the public entries of ppo/);
  });
});
