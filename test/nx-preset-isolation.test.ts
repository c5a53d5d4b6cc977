import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineTasks, STAGES, taskNames, workspaceRoot } from '@goodhart/core';
import { copyRepository } from './support/workspace.ts';

/**
 * Must-show of per-preset task projects: a task's Nx hash is a function of what it reads, so adding a preset, adding a
 * cell to another preset or editing another preset's fields leaves every task hash of `test` as it was. The hashes are
 * Nx's own (support/nx-task-hashes.ts computes them as `nx run` does, project graph rebuilt for each version), read
 * in a copy of the repository holding `test` and `quick`.
 */
const root = workspaceRoot();
type Config = Record<string, unknown> & { seed: number; proxy: { grid: { seeds: number[] } } };

interface Hashed {
  label: string;
  hashes: Record<string, string>;
}

describe('a preset’s task hashes depend on that preset alone', () => {
  let dir: string;
  let results: Map<string, Hashed>;
  const fit = taskNames(STAGES.fit, 'test');
  const realFit = `${fit.project}:${fit.target}`;

  beforeAll(async () => {
    dir = await copyRepository(['test', 'quick']);
    const read = async (file: string): Promise<Config> => JSON.parse(await readFile(file, 'utf8')) as Config;
    const test = await read(join(dir, 'pipelines', 'test.json'));
    const quick = await read(join(dir, 'pipelines', 'quick.json'));
    const paper = await read(join(root, 'pipelines', 'paper.json'));
    const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
    const withQuick = (edit: (config: Config) => void): Record<string, string> => {
      const copy = structuredClone(quick);
      edit(copy);
      return { 'pipelines/quick.json': json(copy) };
    };
    const versions = [
      { label: 'base', config: test, graph: true },
      // The case: a copy of paper at another seed, as a seed sweep adds them.
      { label: 'new preset', config: test, graph: true, files: { 'pipelines/paper-seed7.json': json({ ...paper, name: 'paper-seed7', seed: 7 }) } },
      {
        label: 'cell added to quick',
        config: test,
        graph: true,
        files: withQuick((c) => c.proxy.grid.seeds.push(Math.max(...c.proxy.grid.seeds) + 1)),
      },
      {
        label: 'quick fields edited',
        config: test,
        graph: true,
        files: withQuick((c) => {
          c.seed += 1;
          c.description = 'edited';
          c.fit = { ...(c.fit as object | undefined), extrapolationFraction: 0.3 };
        }),
      },
      { label: 'quick removed', config: test, graph: true, files: { 'pipelines/quick.json': null } },
      // The control: an edit to test itself changes its hashes, so equal hashes above are not an accident.
      { label: 'test seed edited', config: { ...test, seed: test.seed + 1 }, graph: true },
    ];
    const versionsFile = join(dir, 'versions.json');
    await writeFile(versionsFile, JSON.stringify(versions));
    const { stdout } = await execa(
      'node',
      ['--import', 'tsx', join(root, 'test', 'support', 'nx-task-hashes.ts'), realFit, join(dir, 'pipelines', 'test.json'), versionsFile],
      { cwd: dir, env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } },
    );
    results = new Map((JSON.parse(stdout) as Hashed[]).map((r) => [r.label, r]));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hashes every task of test, and only those', async () => {
    const config = JSON.parse(await readFile(join(dir, 'pipelines', 'test.json'), 'utf8')) as unknown;
    const planned = pipelineTasks('test', config).map((t) => t.id);
    expect(Object.keys(results.get('base')!.hashes).sort()).toEqual([...planned].sort());
  });

  for (const label of ['new preset', 'cell added to quick', 'quick fields edited', 'quick removed']) {
    it(`${label}: every task hash of test is unchanged`, () => {
      expect(results.get(label)!.hashes).toEqual(results.get('base')!.hashes);
    });
  }

  it('an edit to test itself changes its hashes (the control)', () => {
    const pretrain = taskNames(STAGES.pretrain, 'test');
    const id = `${pretrain.project}:${pretrain.target}`;
    expect(results.get('test seed edited')!.hashes[id]).not.toBe(results.get('base')!.hashes[id]);
  });
});
