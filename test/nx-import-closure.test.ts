import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineTasks, workspaceRoot } from '@goodhart/core';
import { ImportClosure, importSpecifiers } from '../tools/nx-plugin/import-closure.ts';

/**
 * The per-task source inputs of the Nx plugin: each task hashes the files its entry point reaches. Checked on a small
 * workspace built here (every kind of import) and on the repository's own best-of-n tasks.
 */
const root = workspaceRoot();

describe('importSpecifiers', () => {
  it('lists runtime imports of every form and leaves type-only ones out', () => {
    const text = [
      "import { a } from './a.ts';",
      'import {\n  b,\n  type B,\n} from "./b.ts";',
      "import type { C } from './c.ts';",
      "export type { D } from './d.ts';",
      "export * from './e.ts';",
      "import './f.ts';",
      "const g = await import('./g.ts');",
      "const h = await import(/* optional */ './h.ts');",
      "const worker = new URL('./worker.ts', import.meta.url);",
      'const dynamic = await import(name);',
      "import { readFile } from 'node:fs/promises';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['./a.ts', './b.ts', './e.ts', './f.ts', './g.ts', './h.ts', './worker.ts', 'node:fs/promises']);
  });
});

describe('ImportClosure on a small workspace', () => {
  let dir: string;
  const put = async (path: string, text: string): Promise<void> => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'goodhart-closure-'));
    await put('packages/lib/package.json', JSON.stringify({ name: '@w/lib', exports: { '.': './src/index.ts' } }));
    await put('packages/lib/src/index.ts', "export * from './used.ts';\nexport { x } from './js-named.js';\n");
    await put('packages/lib/src/used.ts', "import { y } from './dir';\nexport const u = y;\n");
    await put('packages/lib/src/js-named.ts', 'export const x = 1;\n');
    await put('packages/lib/src/dir/index.ts', "import { u } from '../used.ts';\nexport const y = 2;\n");
    await put('packages/lib/src/unused.ts', 'export const nobody = 0;\n');
    await put('packages/app/package.json', JSON.stringify({ name: '@w/app', exports: './src/index.ts' }));
    await put('packages/app/src/main.ts', "import { u } from '@w/lib';\nimport type { T } from './types.ts';\nimport 'zod';\nawait import('./late.ts');\n");
    await put('packages/app/src/late.ts', "new Worker(new URL('./worker.ts', import.meta.url));\n");
    await put('packages/app/src/worker.ts', 'export {};\n');
    await put('packages/app/src/types.ts', 'export type T = number;\n');
    await put('packages/app/src/other.ts', "import './main.ts';\n");
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('follows relative, workspace-package, dynamic and worker imports, through cycles, and nothing else', () => {
    const closure = new ImportClosure(dir, 'packages');
    expect(closure.of('packages/app/src/main.ts')).toEqual([
      'packages/app/src/late.ts',
      'packages/app/src/main.ts',
      'packages/app/src/worker.ts',
      'packages/lib/src/dir/index.ts',
      'packages/lib/src/index.ts',
      'packages/lib/src/js-named.ts',
      'packages/lib/src/used.ts',
    ]);
    expect(closure.packageDirOf('packages/lib/src/used.ts')).toBe('packages/lib');
    expect(() => closure.of('packages/app/src/missing.ts')).toThrow(/missing\.ts does not exist/);
  });
});

describe('the best-of-n tasks of the repository', () => {
  const closure = new ImportClosure(root, 'packages');
  const tasks = pipelineTasks('quick', JSON.parse(readFileSync(join(root, 'pipelines', 'quick.json'), 'utf8')));
  const closureOf = (entry: string): string[] => closure.of(tasks.find((t) => t.entry === entry)!.main);

  it('the curve code reaches the curves task only; the pool code the pool and the curves (the scorings read its manifest)', () => {
    expect(closureOf('bonCurves')).toContain('packages/bon/src/curves.ts');
    expect(closureOf('bonPool')).not.toContain('packages/bon/src/curves.ts');
    expect(closureOf('bonScore')).not.toContain('packages/bon/src/curves.ts');
    expect(closureOf('bonPool')).toContain('packages/bon/src/pool.ts');
    expect(closureOf('bonScore')).not.toContain('packages/bon/src/pool.ts');
    const reach = tasks.filter((t) => closure.of(t.main).includes('packages/bon/src/curves.ts')).map((t) => t.entry);
    expect(reach).toEqual(['bonCurves']);
  });

  it('every task reaches its entry point and core; pretrain reaches its worker script', () => {
    for (const task of tasks) expect(closure.of(task.main)).toEqual(expect.arrayContaining([task.main, 'packages/core/src/index.ts']));
    expect(closureOf('pretrain')).toContain('packages/pretrain/src/train-worker.ts');
  });
});
