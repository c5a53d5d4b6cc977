import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreCachedTasks, withoutRestored } from '../scripts/slurm/cache-selection.ts';
import type { JobSpec } from '../scripts/slurm/run-task.ts';
import { readTaskGraph, type PipelineTask, type PipelineTaskGraph } from '../scripts/slurm/task-graph.ts';
import { copyRepository, repositoryRoot } from './support/workspace.ts';

/**
 * Build item 3 of issue 25, without a cluster: what the Slurm runner submits, on the `test` preset's chain up to one
 * proxy cell (pretrain → label → the cell; the whole pipeline's version, with a fit-only edit submitting exactly fit,
 * runs on the test cluster in slurm-pipeline.test.ts). In a copy of the repository, every task is run once the way
 * its Slurm job runs it (scripts/slurm/run-task.ts: `nx run <task> --excludeTaskDependencies` with the upstream
 * digest), which fills the Nx cache with the jobs' own hashes. Then the selection (Nx's own task hasher and cache,
 * scripts/slurm/restore-cached.ts) must find every task in the cache and restore it, submitting nothing; after an edit
 * only the cell reads, it must submit exactly the cell, with no edge left. Since the cache starts empty, a hit proves
 * the selection hashed each task exactly as its job's Nx did.
 */
const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const CELL = 'proxy--test--tiny-n20-s0:train';
const TARGET = CELL;
let ws: string;
let graph: PipelineTaskGraph;

async function runAsJob(task: PipelineTask): Promise<void> {
  const specDir = join(ws, 'job-specs');
  await mkdir(specDir, { recursive: true });
  const spec: JobSpec = { task: task.id, root: ws, resultPath: join(specDir, `${task.id.replace(':', '.')}.result.json`), upstreamFiles: task.upstreamFiles };
  const specPath = join(specDir, `${task.id.replace(':', '.')}.json`);
  await writeFile(specPath, JSON.stringify(spec));
  await execa('node', ['--import', 'tsx', join(repositoryRoot, 'scripts', 'slurm', 'run-task.ts'), '--spec', specPath], { cwd: ws, env, all: true });
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('the Slurm runner submits only what must compute (real Nx hashes on the test preset)', () => {
  beforeAll(async () => {
    ws = await copyRepository(['test']);
    graph = await readTaskGraph(ws, TARGET, env);
    expect(graph.tasks.map((t) => t.id)).toEqual(['pretrain--test:run', 'label--test:run', CELL]);
  }, 120_000);

  afterAll(async () => {
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('with an empty cache submits every task, upstream edges intact', async () => {
    const selection = await restoreCachedTasks(ws, graph, env);
    expect(selection.restored).toEqual([]);
    expect(selection.toSubmit.tasks.map((t) => t.id)).toEqual(graph.tasks.map((t) => t.id));
    expect(selection.toSubmit.tasks.map((t) => t.upstream)).toEqual(graph.tasks.map((t) => t.upstream));
    // Only tasks with nothing upstream can be hashed before any job ran.
    for (const decision of selection.decisions) {
      const task = graph.byId.get(decision.id) as PipelineTask;
      expect(decision.hash !== undefined, decision.id).toBe(task.upstream.length === 0);
    }
  }, 120_000);

  it('after every task ran as a job: restores them all here, submits nothing, and the outputs come back byte for byte', async () => {
    for (const task of graph.tasks) await runAsJob(task);
    const label = join(ws, 'artifacts', 'test', 'label', 'manifest.json');
    const before = await sha256(label);
    await rm(join(ws, 'artifacts', 'test', 'label'), { recursive: true });

    const selection = await restoreCachedTasks(ws, graph, env);
    expect(selection.toSubmit.tasks).toEqual([]);
    expect(selection.restored.map((r) => r.id)).toEqual(graph.tasks.map((t) => t.id));
    for (const { hash } of selection.restored) expect(existsSync(join(ws, '.nx', 'cache', hash)), hash).toBe(true);
    expect(await sha256(label)).toBe(before);
  }, 300_000);

  it('after an edit only the cell reads, submits exactly the cell, its edges to restored tasks dropped', async () => {
    const path = join(ws, 'pipelines', 'test.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as { proxy: { training: { learningRate: number } } };
    config.proxy.training.learningRate *= 2;
    await writeFile(path, JSON.stringify(config, null, 2));
    const edited = await readTaskGraph(ws, TARGET, env);
    const selection = await restoreCachedTasks(ws, edited, env);
    expect(selection.toSubmit.tasks.map((t) => ({ id: t.id, upstream: t.upstream }))).toEqual([{ id: CELL, upstream: [] }]);
    expect(selection.restored.map((r) => r.id)).toEqual(['pretrain--test:run', 'label--test:run']);
    expect(selection.decisions.find((d) => d.id === CELL)?.reason).toBe('not in the Nx cache');
  }, 300_000);
});

describe('withoutRestored', () => {
  const task = (id: string, upstream: string[]): PipelineTask => ({ id, project: id, target: 'run', outputs: [], kind: id, upstream, upstreamFiles: [] });
  it('keeps edges between remaining tasks and drops those to restored ones', () => {
    const tasks = [task('a', []), task('b', ['a']), task('c', ['a', 'b']), task('d', ['c'])];
    const pruned = withoutRestored({ tasks, byId: new Map(tasks.map((t) => [t.id, t])) }, new Set(['a']));
    expect(pruned.tasks.map((t) => [t.id, t.upstream])).toEqual([
      ['b', []],
      ['c', ['b']],
      ['d', ['c']],
    ]);
    expect([...pruned.byId.keys()]).toEqual(['b', 'c', 'd']);
  });
});
