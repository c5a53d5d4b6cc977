import { lstat, mkdtemp, readFile, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNxTask } from './support/nx-run.ts';
import { copyRepository } from './support/workspace.ts';

/**
 * `artifacts` may be a symlink (to a bigger disk) and stays one. Nx 24 deletes a symlink on its outputs' path when it
 * restores them from the cache, writing a real directory in its place (the link's target keeps the old files), and
 * refuses to cache outputs below a link; the plugin declares outputs at their real path instead.
 */
let workspace: string;
let outside: string;

function runPretrainTask(): Promise<{ cached: boolean; output: string }> {
  return runNxTask(workspace, 'pretrain--test:run');
}

async function isLink(path: string): Promise<boolean> {
  return (await lstat(path)).isSymbolicLink();
}

async function recordedPreset(dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, 'test', 'pretrain', 'manifest.json'), 'utf8')) as { pipeline: string };
  return manifest.pipeline;
}

beforeAll(async () => {
  workspace = await copyRepository(['test']);
  outside = await mkdtemp(join(tmpdir(), 'goodhart-outside-'));
});

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
  if (outside) await rm(outside, { recursive: true, force: true });
});

describe('an artifacts directory that is a symlink', () => {
  it('stays a link into the workspace, and Nx caches and restores through it', async () => {
    // The cache first filled while artifacts was a real directory, then the directory moved and a link took its place.
    expect((await runPretrainTask()).cached).toBe(false);
    const store = join(workspace, 'store');
    await rename(join(workspace, 'artifacts'), store);
    await symlink('store', join(workspace, 'artifacts'), 'dir');
    await rm(join(store, 'test', 'pretrain'), { recursive: true });

    await runPretrainTask();
    expect(await isLink(join(workspace, 'artifacts'))).toBe(true);
    expect(await recordedPreset(store)).toBe('test');

    expect((await runPretrainTask()).cached).toBe(true);
    await rm(join(store, 'test', 'pretrain'), { recursive: true });
    expect((await runPretrainTask()).cached).toBe(true);
    expect(await isLink(join(workspace, 'artifacts'))).toBe(true);
    expect(await recordedPreset(store)).toBe('test');
  });

  it('stays a link out of the workspace, whose tasks Nx then does not cache', async () => {
    await rm(join(workspace, 'artifacts'));
    await symlink(outside, join(workspace, 'artifacts'), 'dir');
    const first = await runPretrainTask();
    expect(first.output).toContain(`artifacts/test is a link to ${join(outside, 'test')}, outside the workspace`);
    expect((await runPretrainTask()).cached).toBe(false);
    expect(await isLink(join(workspace, 'artifacts'))).toBe(true);
    expect(await recordedPreset(outside)).toBe('test');
  });
});
