import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONE_TASK_ENV, workspaceRoot } from '@goodhart/core';
import { useModelGold } from './support/gold-model.ts';
import { copyRepository } from './support/workspace.ts';

/**
 * The gold RM in the Nx graph: a cached `gold-rm:P` task only for presets with gold.kind "model", hashing the fields
 * it reads, upstream of label, the best-of-n pool and every PPO run. Nx runs for real on a copy of the workspace
 * whose `test` preset uses the tiny model gold.
 */
const root = workspaceRoot();
const NX = join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', GOODHART_BACKEND: 'wasm' };
let dir: string;

interface Target {
  options?: { command?: string; env?: Record<string, string> };
  inputs?: unknown[];
  dependsOn?: { projects?: string[]; target: string }[];
}

async function nx(args: string[]): Promise<string> {
  return (await execa('node', [NX, ...args], { cwd: dir, env: NX_ENV })).stdout;
}

/** The stage target of a preset-wide task (`gold-rm--P:run`), and the dependsOn entry naming it. */
const stage = (pkg: string, preset: string): { projects: string[]; target: string } => ({ projects: [`${pkg}--${preset}`], target: 'run' });

async function targets(project: string): Promise<Record<string, Target>> {
  return (JSON.parse(await nx(['show', 'project', project, '--json'])) as { targets: Record<string, Target> }).targets;
}

async function editTest(edit: (config: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const path = join(dir, 'pipelines', 'test.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  edit(config);
  await writeFile(path, JSON.stringify(config, null, 2));
}

/** The tasks `nx run` executed rather than restored from the cache. */
async function ran(task: string): Promise<string[]> {
  const out = stripVTControlCharacters(await nx(['run', task, '--outputStyle=stream']));
  const executed: string[] = [];
  for (const line of out.split('\n')) {
    const match = /^> nx run (\S+?)(\s+\[(?:local cache|existing outputs match the cache, left as is)\])?\s*$/.exec(line.trim());
    // Stage tasks live in projects of their own (`label--test:run`); the package's no-op aliases run nothing.
    if (match && !match[2] && match[1].split(':')[0].includes('--')) executed.push(match[1]);
  }
  return executed.sort();
}

beforeAll(async () => {
  dir = await copyRepository(['test', 'quick']);
  await editTest(useModelGold);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Nx plugin: the gold RM stage', () => {
  it('adds gold-rm:P hashing the fields it reads, upstream of label, the pool and every PPO run', async () => {
    for (const preset of ['test', 'quick']) {
      expect((await targets('gold-rm'))[`pipeline-${preset}`].dependsOn).toEqual([stage('gold-rm', preset)]);
      const target = (await targets(`gold-rm--${preset}`)).run;
      expect(target.options?.command).toBe(`node --import tsx packages/gold-rm/src/cli.ts --preset ${preset}`);
      // Every other task runs before or after the gold RM, so it takes every thread the pipeline has.
      expect(target.options?.env).toEqual({ [LONE_TASK_ENV]: '1' });
      expect(target.inputs).toContainEqual({
        json: `{workspaceRoot}/pipelines/${preset}.json`,
        fields: ['seed', 'policy', 'gold', 'label.prompts', 'label.evalPrompts', 'compute'],
      });
      expect(target.dependsOn).toEqual([stage('pretrain', preset)]);
      const needsGold = stage('gold-rm', preset);
      expect((await targets(`label--${preset}`)).run.dependsOn).toContainEqual(needsGold);
      expect((await targets(`bon--${preset}--pool`)).sample.dependsOn).toContainEqual(needsGold);
    }
    expect((await targets('ppo--test--tiny-n20-s0-kl0-small')).train.dependsOn).toContainEqual(stage('gold-rm', 'test'));
  });

  it('has no gold-rm task for a lexicon gold', async () => {
    await editTest((config) => {
      config.gold.kind = 'lexicon';
      delete config.gold.model;
    });
    expect((await targets('gold-rm'))['pipeline-test']).toBeUndefined();
    expect((await targets('label--test')).run.dependsOn).toEqual([stage('pretrain', 'test')]);
    await editTest(useModelGold);
  });

  it('runs before label; a gold.model change reruns it and label, a label-only change leaves it cached', async () => {
    expect(await ran('label:pipeline-test')).toEqual(['gold-rm--test:run', 'label--test:run', 'pretrain--test:run']);
    expect(await ran('label:pipeline-test')).toEqual([]);
    await editTest((config) => {
      (config.label as { temperature: number }).temperature = 0.9;
    });
    expect(await ran('label:pipeline-test')).toEqual(['label--test:run']);
    await editTest((config) => {
      (config.gold.model as { training: { learningRate: number } }).training.learningRate = 0.002;
    });
    expect(await ran('label:pipeline-test')).toEqual(['gold-rm--test:run', 'label--test:run']);
  });
});
