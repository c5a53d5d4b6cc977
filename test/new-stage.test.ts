import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellName, cellsOf, workspaceRoot } from '@goodhart/core';
import { copyRepository } from './support/workspace.ts';

/**
 * A new stage is one package plus one registry entry: on a copy of the workspace, the fixture package
 * test/fixtures/echo-stage becomes packages/echo and one entry is added to the registry; nothing else is edited.
 * Nx then has its per-cell tasks (after label), runs and caches them, and reruns them only when a field the entry
 * reads changes.
 */
const root = workspaceRoot();
const NX = join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** The registry entry, as a person adding the stage would write it. */
const ENTRY = `
  echo: {
    package: 'echo',
    fanOut: 'cell',
    fields: ['seed', 'proxy.training.epochs'],
    upstream: [{ entry: 'label' }],
    output: (cell) => ['cells', cell],
    args: (cell) => ['--cell', cell],
    ownProject: { target: 'run' },
    externalDependencies: [],
    describe: (preset, cell) => \`Count the comparisons cell \${cell} of "\${preset}" takes.\`,
  },
`;

let dir: string;

async function nx(args: string[]): Promise<string> {
  const result = await execa('node', [NX, ...args], { cwd: dir, env: NX_ENV, all: true });
  return stripVTControlCharacters(result.all ?? '');
}

/** Tasks `nx run` executed (not restored from the cache). */
async function ran(task: string): Promise<string[]> {
  const output = await nx(['run', task, '--outputStyle=stream']);
  return (
    output
      .split('\n')
      .map((line) => /^> nx run (\S+?)(\s+\[(?:local cache|existing outputs match the cache, left as is)\])?\s*$/.exec(line.trim()))
      // Stage tasks live in projects of their own (`label--test:run`); the package's no-op aliases run nothing.
      .filter((m): m is RegExpExecArray => m !== null && !m[2] && m[1].split(':')[0].includes('--'))
      .map((m) => m[1])
      .sort()
  );
}

async function editPipeline(edit: (config: { proxy: { training: { epochs: number } }; bon: { scoring: { batchSize: number } } }) => void): Promise<void> {
  const file = join(dir, 'pipelines', 'test.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  edit(config);
  await writeFile(file, JSON.stringify(config, null, 2));
}

beforeAll(async () => {
  dir = await copyRepository(['test']);
  await cp(join(root, 'test', 'fixtures', 'echo-stage'), join(dir, 'packages', 'echo'), { recursive: true });
  const registry = join(dir, 'packages', 'core', 'src', 'pipeline', 'registry.ts');
  const source = await readFile(registry, 'utf8');
  const end = '} as const satisfies Record<string, StageEntry>;';
  expect(source).toContain(end);
  await writeFile(registry, source.replace(end, `${ENTRY}${end}`));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a new stage from one package and one registry entry', () => {
  it('gets one cached task per grid cell, after label, hashing only the fields it reads', async () => {
    const config = JSON.parse(await readFile(join(dir, 'pipelines', 'test.json'), 'utf8'));
    const cells = cellsOf(config.proxy.grid).map(cellName);
    const echo = JSON.parse(await nx(['show', 'project', 'echo', '--json'])) as { targets: Record<string, { dependsOn?: unknown }> };
    expect(Object.keys(echo.targets).sort()).toEqual(cells.map((cell) => `test--${cell}`).sort());
    const unit = JSON.parse(await nx(['show', 'project', `echo--test--${cells[0]}`, '--json'])) as {
      targets: { run: { options: { command: string }; inputs: unknown[]; dependsOn: unknown[]; outputs: string[] } };
    };
    expect(unit.targets.run.options.command).toBe(`node --import tsx packages/echo/src/cli.ts --preset test --cell ${cells[0]}`);
    expect(unit.targets.run.inputs).toContainEqual({ json: '{workspaceRoot}/pipelines/test.json', fields: ['seed', 'proxy.training.epochs'] });
    expect(unit.targets.run.dependsOn).toEqual([{ projects: ['label--test'], target: 'run' }]);
    expect(unit.targets.run.outputs).toEqual([`{workspaceRoot}/artifacts/test/echo/cells/${cells[0]}`]);
  });

  it('runs after its upstream, records its fields in its manifest, and is cached until one of them changes', async () => {
    const config = JSON.parse(await readFile(join(dir, 'pipelines', 'test.json'), 'utf8'));
    const cell = cellsOf(config.proxy.grid).map(cellName)[0];
    const task = `echo:test--${cell}`;
    expect(await ran(task)).toEqual(['label--test:run', 'pretrain--test:run', `echo--test--${cell}:run`].sort());
    const manifest = JSON.parse(await readFile(join(dir, 'artifacts', 'test', 'echo', 'cells', cell, 'manifest.json'), 'utf8'));
    expect(manifest.stage).toBe('echo');
    expect(manifest.config).toEqual({
      seed: config.seed,
      proxy: { training: { epochs: config.proxy.training.epochs } },
      cell: expect.objectContaining({ comparisons: expect.any(Number) }),
    });
    expect(await ran(task)).toEqual([]);
    await editPipeline((c) => {
      c.bon.scoring.batchSize += 1;
    });
    expect(await ran(task)).toEqual([]);
    await editPipeline((c) => {
      c.proxy.training.epochs += 1;
    });
    expect(await ran(task)).toEqual([`echo--test--${cell}:run`]);
  });
});
