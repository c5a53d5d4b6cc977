import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNxTask } from './support/nx-run.ts';
import { copyRepository } from './support/workspace.ts';

/**
 * Runs Nx for real on a copy of the workspace (its own cache directory), editing the pipeline file between runs:
 * a field pretrain does not read must leave it cached; a field it reads must rerun it.
 */
let workspace: string;

async function copyWorkspace(): Promise<string> {
  const dir = await copyRepository(['test']);
  return dir;
}

function runPretrainTask(): Promise<{ cached: boolean; output: string }> {
  return runNxTask(workspace, 'pretrain--test:run');
}

async function editPipeline(edit: (config: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const path = join(workspace, 'pipelines', 'test.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  edit(config);
  await writeFile(path, JSON.stringify(config, null, 2));
}

async function recordedSteps(): Promise<number> {
  const manifest = JSON.parse(await readFile(join(workspace, 'artifacts', 'test', 'pretrain', 'manifest.json'), 'utf8')) as {
    config: { pretrain: { steps: number } };
  };
  return manifest.config.pretrain.steps;
}

beforeAll(async () => {
  workspace = await copyWorkspace();
});

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

describe('Nx caching of the pretrain stage', () => {
  it('runs, then hits the cache when nothing changed', async () => {
    expect((await runPretrainTask()).cached).toBe(false);
    expect(await recordedSteps()).toBe(12);
    expect((await runPretrainTask()).cached).toBe(true);
  });

  it('stays cached when a field pretrain does not read changes, and restores deleted outputs', async () => {
    await editPipeline((config) => {
      config.policy.sizes = ['tiny'];
      (config as Record<string, unknown>).description = 'edited';
    });
    await rm(join(workspace, 'artifacts'), { recursive: true, force: true });
    expect((await runPretrainTask()).cached).toBe(true);
    expect(await recordedSteps()).toBe(12);
  });

  it('reruns when a field pretrain reads changes', async () => {
    await editPipeline((config) => {
      config.pretrain.steps = 10;
    });
    expect((await runPretrainTask()).cached).toBe(false);
    expect(await recordedSteps()).toBe(10);
  });
});
