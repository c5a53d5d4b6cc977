import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSlurmSettings } from '../scripts/slurm/job-settings.ts';
import { runOnSlurm } from '../scripts/slurm/runner.ts';
import { readTaskGraph } from '../scripts/slurm/task-graph.ts';
import { globToRegExp, upstreamDigest } from '../scripts/slurm/upstream-digest.ts';
import { describeSlurm, jobState, nxEnv, waitFor } from './support/slurm.ts';
import { slurmFixtureWorkspace } from './support/slurm-fixture.ts';
import { repositoryRoot } from './support/workspace.ts';

/**
 * The runner's mechanics on a small Nx workspace of one-second tasks (test/support/slurm-fixture.ts): the task
 * graph as Nx gives it, failures, concurrent writes to the Nx cache, Ctrl-C.
 */
let workspace: string;

beforeAll(async () => {
  workspace = await slurmFixtureWorkspace();
});

afterAll(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

describe('the task graph from Nx', () => {
  it('lists the tasks upstream first, drops no-op aliases, and keeps the upstream outputs Nx hashes', async () => {
    const graph = await readTaskGraph(workspace, 'p:failing', nxEnv);
    const ids = graph.tasks.map((t) => t.id);
    expect(ids.sort()).toEqual(['p:after-broken', 'p:base', 'p:broken', 'p:side-1', 'p:side-2', 'p:side-3', 'p:side-4'].sort());
    const order = graph.tasks.map((t) => t.id);
    expect(order.indexOf('p:base')).toBeLessThan(order.indexOf('p:broken'));
    expect(order.indexOf('p:broken')).toBeLessThan(order.indexOf('p:after-broken'));
    expect(graph.byId.get('p:after-broken')?.upstream).toEqual(['p:broken']);
    expect(graph.byId.get('p:side-1')?.upstreamFiles).toEqual([{ glob: '**/manifest.json', dir: 'out/base' }]);
    expect(graph.byId.get('p:base')?.outputs).toEqual(['out/base']);
  });

  it('reads the pipeline graph of the test preset: one job per cell, scoring and PPO run', async () => {
    const graph = await readTaskGraph(repositoryRoot, 'fit:pipeline-test', nxEnv);
    const ids = graph.tasks.map((t) => t.id);
    expect(ids[0]).toBe('pretrain--test:run');
    expect(ids.at(-1)).toBe('fit--test:run');
    expect(ids).not.toContain('fit:pipeline-test'); // the no-op alias the user names
    expect(ids).toContain('proxy--test--tiny-n20-s0:train');
    expect(ids).toContain('ppo--test--tiny-n20-s0-kl0-small:train');
    expect(ids.some((id) => id.startsWith('proxy:test--'))).toBe(false); // no-op aliases are not jobs
    expect(graph.byId.get('ppo--test--tiny-n20-s0-kl0-small:train')?.kind).toBe('ppo');
    expect(graph.byId.get('fit--test:run')?.upstreamFiles.map((f) => f.dir)).toContain('artifacts/test/pretrain');
  });
});

describe('the upstream digest', () => {
  it('changes with a matching upstream file and ignores the others', async () => {
    expect(globToRegExp('**/manifest.json').test('manifest.json')).toBe(true);
    expect(globToRegExp('**/manifest.json').test('a/b/manifest.json')).toBe(true);
    expect(globToRegExp('*.json').test('a/b.json')).toBe(false);
    const inputs = [{ glob: '**/manifest.json', dir: 'out/digest' }];
    const empty = await upstreamDigest(workspace, inputs);
    await execa('mkdir', ['-p', join(workspace, 'out', 'digest', 'sub')]);
    await writeFile(join(workspace, 'out', 'digest', 'sub', 'manifest.json'), '{"v":1}');
    const one = await upstreamDigest(workspace, inputs);
    await writeFile(join(workspace, 'out', 'digest', 'weights.bin'), 'not hashed');
    expect(await upstreamDigest(workspace, inputs)).toBe(one);
    await writeFile(join(workspace, 'out', 'digest', 'sub', 'manifest.json'), '{"v":2}');
    const two = await upstreamDigest(workspace, inputs);
    expect(new Set([empty, one, two]).size).toBe(3);
  });
});

describeSlurm('the Slurm runner', () => {
  const settings = resolveSlurmSettings(undefined, {});

  it('stops the dependents of a failed job and names it; concurrent jobs write the Nx cache safely', async () => {
    const graph = await readTaskGraph(workspace, 'p:failing', nxEnv);
    const lines: string[] = [];
    const report = await runOnSlurm({ root: workspace, preset: 'fixture', graph, settings, env: nxEnv, pollMs: 500, print: (line) => lines.push(line) });
    const phase = (id: string): string | undefined => report.outcomes.find((o) => o.task === id)?.phase;
    expect(report.firstFailure?.task).toBe('p:broken');
    expect(report.firstFailure?.reason).toBe('FAILED, exit code 1'); // Nx's exit code for a failed task
    expect(existsSync(report.firstFailure?.log ?? '')).toBe(true);
    expect(lines.some((line) => /failed\s+p:broken \(job \d+\) FAILED, exit code 1; log: .*p\.broken-\d+\.log/.test(line))).toBe(true);
    expect(phase('p:after-broken')).toBe('stopped');
    const stopped = report.outcomes.find((o) => o.task === 'p:after-broken')?.jobIds[0] ?? '';
    expect(await jobState(stopped)).toMatchObject({ state: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    expect(existsSync(join(workspace, 'out', 'after-broken'))).toBe(false);
    for (const side of [1, 2, 3, 4]) expect(phase(`p:side-${side}`)).toBe('done');

    // The four sides ran at once and each stored its cache entry; with their outputs gone, a second run restores
    // every one of them from the cache, byte for byte.
    await rm(join(workspace, 'out'), { recursive: true, force: true });
    const sides = await readTaskGraph(workspace, 'p:sides', nxEnv);
    const again = await runOnSlurm({ root: workspace, preset: 'fixture', graph: sides, settings, env: nxEnv, pollMs: 500, print: () => {} });
    expect(again.outcomes.map((o) => o.phase)).toEqual(sides.tasks.map(() => 'cached'));
    for (const side of [1, 2, 3, 4]) expect(await readFile(join(workspace, 'out', `side-${side}`, 'data.txt'), 'utf8')).toBe(`side-${side} output`);
  }, 180_000);

  it('cancels exactly the jobs it submitted on Ctrl-C', async () => {
    const foreign = (await execa('sbatch', ['--parsable', '--output=/dev/null', '--wrap', 'sleep 120'])).stdout.trim().split(';')[0];
    try {
      const runner = execa(
        'node',
        ['--import', 'tsx', join(repositoryRoot, 'test', 'support', 'run-on-slurm.ts'), workspace, 'p:slow-chain', 'fixture-interrupt'],
        {
          cwd: workspace,
          all: true,
          reject: false,
        },
      );
      const jobs = new Set<string>();
      let slowRunning = false;
      runner.all?.on('data', (chunk: Buffer) => {
        for (const match of chunk.toString().matchAll(/(queued|running)\s+(\S+) \(job (\d+)\)/g)) {
          jobs.add(match[3]);
          if (match[1] === 'running' && match[2] === 'p:slow') slowRunning = true;
        }
      });
      await waitFor('the slow task to run', () => (slowRunning ? true : undefined), 90_000);
      runner.kill('SIGINT');
      const result = await runner;
      expect(result.exitCode, result.all).toBe(130);
      expect(result.all).toMatch(/interrupted: cancelling the \d+ jobs? this run submitted/);
      const states = await Promise.all([...jobs].map(async (id) => [id, (await jobState(id))?.state] as const));
      for (const [id, state] of states) expect(['CANCELLED', 'COMPLETED'], `job ${id}`).toContain(state);
      expect(states.filter(([, state]) => state === 'CANCELLED').length).toBeGreaterThanOrEqual(2); // slow and after-slow
      expect(['RUNNING', 'PENDING']).toContain((await jobState(foreign))?.state);
    } finally {
      await execa('scancel', [foreign], { reject: false });
    }
  }, 180_000);
});
