import { existsSync } from 'node:fs';
import { readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRepository, repositoryRoot } from './support/workspace.ts';

/**
 * `npm run pipeline -- --preset test --seeds ...` for real on a copy of the workspace (its own Nx cache): two seeds
 * write both seeds' artifacts and the cross-seed report; adding a third computes only the third seed's tasks (Nx says
 * every task of the first two was restored from the cache). The preset's own seed (7) is not among them, so both
 * first seeds are variants: seed variants share nothing with each other's hashes.
 */
let workspace: string;

function pipeline(args: string[]) {
  return execa('node', ['--import', 'tsx', join(workspace, 'scripts', 'pipeline.ts'), '--preset', 'test', ...args], {
    cwd: workspace,
    env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', GOODHART_BACKEND: 'wasm' },
    all: true,
    reject: false,
  });
}

/**
 * Per seed, in order, the tasks the runner announced and whether Nx restored each from its cache: the runner's
 * `[pipeline] task k/n: <task> (cache)` lines, split at its `[pipeline] seed` headers. (Nx's own "Cache: h/n hit" line
 * also counts the alias `fit:pipeline-<preset>`, an nx:noop that is never cached.)
 */
function tasksBySeed(output: string): { task: string; cached: boolean }[][] {
  return output
    .split(/^\[pipeline\] seed /m)
    .slice(1)
    .map((part) => [...part.matchAll(/^\[pipeline\] task \d+\/\d+: (\S+)( \(cache\))?/gm)].map((m) => ({ task: m[1]!, cached: m[2] !== undefined })));
}

beforeAll(async () => {
  workspace = await copyRepository(['test']);
  await symlink(join(repositoryRoot, 'scripts'), join(workspace, 'scripts'), 'dir');
});

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

describe('npm run pipeline --seeds', () => {
  // Every form of a bad list is in packages/core/test/seed-variant.test.ts; here, that the runner stops on one.
  it('refuses a bad seed list naming the flag, before Nx starts', { timeout: 600_000 }, async () => {
    for (const bad of ['1,1', '0']) {
      const result = await pipeline(['--seeds', bad]);
      expect(result.exitCode).toBe(1);
      expect(result.all).toMatch(/^pipeline: --seeds: /m);
    }
    expect(existsSync(join(workspace, '.nx', 'cache'))).toBe(false);
  });

  it('runs each seed, then computes only a new seed and writes the findings × seeds table', { timeout: 1_800_000 }, async () => {
    const first = await pipeline(['--seeds', '1,2']);
    expect(first.exitCode, first.all).toBe(0);
    for (const variant of ['test@s1', 'test@s2']) {
      const manifest = JSON.parse(await readFile(join(workspace, 'artifacts', variant, 'fit', 'manifest.json'), 'utf8')) as { pipeline: string; seed: number };
      expect(manifest).toMatchObject({ pipeline: variant, seed: Number(variant.slice(-1)) });
    }
    expect(first.all).toMatch(/\[pipeline\] seed 1 \(1\/2\): preset "test@s1"/);
    expect(first.all).toMatch(/\[pipeline\] seed 2 \(2\/2\): preset "test@s2"/);
    // Different seeds, different draws: the pretrained LMs differ.
    const pretrained = async (variant: string): Promise<string> =>
      JSON.stringify((JSON.parse(await readFile(join(workspace, 'artifacts', variant, 'pretrain', 'manifest.json'), 'utf8')) as { files: unknown }).files);
    expect(await pretrained('test@s1')).not.toBe(await pretrained('test@s2'));

    const second = await pipeline(['--seeds', '1,2,3']);
    expect(second.exitCode, second.all).toBe(0);
    const [s1, s2, s3] = tasksBySeed(second.all ?? '');
    // Every task of the test preset (18 with its DPO run and summary), announced once per seed.
    expect(s1!.length).toBe(18);
    expect(s1!.every((t) => t.cached && t.task.includes('--test@s1'))).toBe(true);
    expect(s2!.every((t) => t.cached && t.task.includes('--test@s2'))).toBe(true);
    expect(s3!.map((t) => t.cached)).toEqual(s1!.map(() => false));
    expect(s2!.length).toBe(18);
    expect(existsSync(join(workspace, 'artifacts', 'test@s3', 'fit', 'manifest.json'))).toBe(true);

    const summary = await readFile(join(workspace, 'artifacts', 'test', 'seeds-1-2-3', 'summary.md'), 'utf8');
    expect(summary).toContain('## Findings × seeds');
    expect(summary).toMatch(/\| finding \| seed 1 \| seed 2 \| seed 3 \| holds at \|/);
    for (let id = 1; id <= 9; id += 1) expect(summary).toMatch(new RegExp(`^\\| ${id}\\. .*\\|$`, 'm'));
    const json = JSON.parse(await readFile(join(workspace, 'artifacts', 'test', 'seeds-1-2-3', 'seeds.json'), 'utf8')) as {
      seeds: { seed: number; preset: string; findings: { id: number; evidence: string }[] }[];
      pooled: { slopes: { name: string }[] };
    };
    expect(json.seeds.map((s) => s.preset)).toEqual(['test@s1', 'test@s2', 'test@s3']);
    expect(json.seeds.every((s) => s.findings.length === 9 && s.findings.every((f) => f.evidence.length > 0))).toBe(true);
    expect(json.pooled.slopes.map((s) => s.name)).toEqual(['alpha_bon', 'beta_bon', 'beta_rl', 'alpha_bon_data', 'beta_bon_data']);
    // The report of the first two seeds stays as it was written.
    expect(existsSync(join(workspace, 'artifacts', 'test', 'seeds-1-2', 'summary.md'))).toBe(true);
  });
});
