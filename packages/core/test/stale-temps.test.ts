import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempSibling, removeAbandonedTempDirs } from '../src/stale-temps.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
// The stage runs from the scratch workspace, where `--import tsx` would not resolve: name the loader by path.
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let workspace: string;
// A pid that has certainly exited: a child we ran to completion.
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'core-stale-temps-'));
  await writeFile(path.join(workspace, 'nx.json'), '{}\n');
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/** What killed runs of several stages leave behind, plus things that must survive a sweep. */
async function leftovers(): Promise<{ stale: string[]; kept: string[] }> {
  const artifacts = path.join(workspace, 'artifacts');
  const stale = [
    path.join(artifacts, 'test', `label.tmp-${deadPid}-0a1b2c`),
    path.join(artifacts, 'test', `pretrain.tmp-${deadPid}-0a1b2c-scratch`),
    path.join(artifacts, 'test', 'proxy', 'cells', `tiny-n20-s0.tmp-${deadPid}-ffee01`),
    path.join(artifacts, 'other', 'ppo', 'runs', `r.tmp-${deadPid}-ffee01.old`),
  ];
  const complete = path.join(artifacts, 'test', 'bon', 'pool');
  const kept = [
    path.join(artifacts, 'test', `label.tmp-${process.pid}-abcdef`), // a write in progress in a live process
    path.join(artifacts, 'test', 'label'),
    path.join(complete, `inner.tmp-${deadPid}-abcdef`), // inside a complete output: its own business
  ];
  for (const dir of [...stale, ...kept]) {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'partial.bin'), 'x');
  }
  await writeFile(path.join(complete, 'manifest.json'), '{}');
  return { stale, kept };
}

describe('removeAbandonedTempDirs', () => {
  it('removes temp dirs of dead processes anywhere under artifacts/, keeping live ones and complete outputs', async () => {
    const { stale, kept } = await leftovers();
    expect((await removeAbandonedTempDirs(path.join(workspace, 'artifacts'))).sort()).toEqual([...stale].sort());
    for (const dir of stale) expect(existsSync(dir)).toBe(false);
    for (const dir of kept) expect(existsSync(dir)).toBe(true);
  });

  it('a missing artifacts dir is nothing to clean', async () => {
    expect(await removeAbandonedTempDirs(path.join(workspace, 'artifacts'))).toEqual([]);
  });
});

describe('makeTempSibling', () => {
  it('makes a dir the sweep recognises as belonging to this process (kept while it lives)', async () => {
    const made = await makeTempSibling(path.join(workspace, 'artifacts', 'test', 'pretrain'), '-scratch');
    expect(path.basename(made)).toMatch(new RegExp(`^pretrain\\.tmp-${process.pid}-[0-9a-f]+-scratch$`));
    expect(await removeAbandonedTempDirs(path.join(workspace, 'artifacts'))).toEqual([]);
    expect(existsSync(made)).toBe(true);
  });
});

describe('the start of any stage', () => {
  it("removes other stages' abandoned temp dirs before the stage does anything (even before it reads its config)", async () => {
    const { stale, kept } = await leftovers();
    const cli = path.join(repoRoot, 'packages', 'fit', 'src', 'cli.ts');
    const result = spawnSync(process.execPath, ['--import', tsxLoader, cli, '--preset', 'no-such-preset'], { cwd: workspace, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('file not found');
    for (const dir of stale) expect(existsSync(dir)).toBe(false);
    for (const dir of kept) expect(existsSync(dir)).toBe(true);
  });
});
