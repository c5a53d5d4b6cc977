import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyRepository } from './support/workspace.ts';
import {
  artifactDigests,
  crashNodeUnder,
  describeSlurm,
  jobState,
  nxBin,
  nxEnv,
  pipelineScript,
  readLastRun,
  scancelJob,
  tasksIn,
  waitFor,
} from './support/slurm.ts';

/**
 * The `test` preset through `npm run pipeline -- --executor slurm` on a real (one-node, loopback) Slurm cluster,
 * against the local executor in a second copy of the repository (each copy has its own artifacts and Nx cache):
 *   1. byte-identical Parquet, safetensors and findings.json; a second run with nothing changed submits no job (the
 *      runner restores every task from the Nx cache on the submitting machine), a fit-only change exactly one;
 *   2. a changed proxy grid entry computes only the new cells and what depends on them, and
 *   3. in the same run, the new cell's PPO job cancelled mid-run, then its node crashing mid-run, still ends with
 *      artifacts identical to the uninterrupted local run (resubmitted, then requeued, resuming from its checkpoint).
 */
const PRESET = 'test';
let slurmWorkspace: string;
let localWorkspace: string;

async function runLocal(workspace: string): Promise<void> {
  await execa('node', [nxBin, 'run', `fit:pipeline-${PRESET}`, '--outputStyle=stream'], { cwd: workspace, env: nxEnv, all: true });
}

function startSlurmRun(workspace: string): ResultPromise<{ cwd: string; env: typeof nxEnv; all: true; reject: false }> {
  return execa('node', ['--import', 'tsx', pipelineScript, '--preset', PRESET, '--executor', 'slurm'], {
    cwd: workspace,
    env: nxEnv,
    all: true,
    reject: false,
  });
}

async function runSlurm(workspace: string): Promise<string> {
  const result = await startSlurmRun(workspace);
  if (result.exitCode !== 0) throw new Error(`the Slurm run failed (exit ${result.exitCode}):\n${result.all}`);
  return result.all ?? '';
}

async function editPipeline(workspace: string, edit: (config: Record<string, Record<string, unknown>>) => void): Promise<void> {
  const path = join(workspace, 'pipelines', `${PRESET}.json`);
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  edit(config);
  await writeFile(path, JSON.stringify(config, null, 2));
}

async function expectSameArtifacts(): Promise<void> {
  const local = await artifactDigests(localWorkspace, PRESET);
  const slurm = await artifactDigests(slurmWorkspace, PRESET);
  expect([...local.keys()].filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(10);
  expect([...local.keys()].filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(3);
  expect(local.has('fit/report/findings.json')).toBe(true);
  expect(slurm).toEqual(local);
}

describeSlurm('the pipeline on a Slurm cluster (--executor slurm)', () => {
  beforeAll(async () => {
    [slurmWorkspace, localWorkspace] = await Promise.all([copyRepository([PRESET]), copyRepository([PRESET])]);
    await runLocal(localWorkspace);
  }, 300_000);

  afterAll(async () => {
    for (const dir of [slurmWorkspace, localWorkspace]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives artifacts byte-identical to the local executor, then restores every task from the cache', async () => {
    await runSlurm(slurmWorkspace);
    const first = readLastRun(slurmWorkspace, PRESET);
    expect(tasksIn(first, 'failed')).toEqual([]);
    expect(first.outcomes.every((o) => o.phase === 'done' || o.phase === 'cached')).toBe(true);
    await expectSameArtifacts();

    // Nothing changed: every task is restored from the Nx cache on the submitting machine, no job is submitted.
    const output = await runSlurm(slurmWorkspace);
    const second = readLastRun(slurmWorkspace, PRESET);
    expect(second.submissions).toBe(0);
    expect(tasksIn(second, 'restored')).toHaveLength(first.outcomes.length);
    expect(output).toContain(
      `[slurm] 0 jobs submitted: 0 computed, 0 restored from the cache in a job, 0 failed, 0 stopped, 0 cancelled; ${first.outcomes.length} tasks restored here without a job`,
    );
    await expectSameArtifacts();
  }, 600_000);

  it('submits exactly one job, fit, after a fit-only change', async () => {
    const path = join(slurmWorkspace, 'pipelines', `${PRESET}.json`);
    const original = await readFile(path, 'utf8');
    await editPipeline(slurmWorkspace, (config) => {
      config.fit = { confidence: 0.9 };
    });
    try {
      const output = await runSlurm(slurmWorkspace);
      const run = readLastRun(slurmWorkspace, PRESET);
      expect(run.submissions).toBe(1);
      expect(tasksIn(run, 'done')).toEqual(['fit--test:run']);
      expect(tasksIn(run, 'restored')).toHaveLength(run.outcomes.length - 1);
      expect(output).toContain('[slurm] 1 job submitted: 1 computed');
    } finally {
      await writeFile(path, original);
    }
  }, 600_000);

  it('computes only the new grid cell and its dependents, and survives its PPO job being cancelled and its node crashing', async () => {
    // One grid entry changes (20 → 30 comparisons), and the PPO run follows the new tiny cell, so one run covers
    // both claims: the PPO run is one of the new cell's dependents, made long enough (60 iterations) to interrupt
    // twice. The local copy gets the same edit and runs uninterrupted.
    const edit = (config: Record<string, Record<string, unknown>>): void => {
      (config.proxy.grid as { comparisons: number[] }).comparisons = [30, 60];
      config.ppo.proxies = ['tiny-n30-s0'];
      config.ppo.iterations = 60;
      // The DPO run learns from a cell that must exist: it follows the new cell too.
      config.dpo.proxies = ['tiny-n30-s0'];
    };
    await Promise.all([editPipeline(slurmWorkspace, edit), editPipeline(localWorkspace, edit)]);
    const localRun = runLocal(localWorkspace);
    const ppoTask = 'ppo--test--tiny-n30-s0-kl0-small:train';
    const checkpoint = join(slurmWorkspace, 'artifacts', PRESET, 'ppo', 'work', 'tiny-n30-s0-kl0-small', 'current', 'state.json');
    const checkpointIteration = async (): Promise<number> => {
      try {
        return (JSON.parse(await readFile(checkpoint, 'utf8')) as { iteration: number }).iteration;
      } catch {
        return 0;
      }
    };
    const run = startSlurmRun(slurmWorkspace);
    const jobsOf = new Map<string, string>();
    run.all?.on('data', (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/(?:queued|running)\s+(\S+) \(job (\d+)\)/g)) jobsOf.set(match[1], match[2]);
    });

    // 1. scancel the PPO job once it has written a checkpoint: the runner submits it again and it resumes.
    const firstJob = await waitFor('the PPO job to checkpoint', async () => ((await checkpointIteration()) >= 2 ? jobsOf.get(ppoTask) : undefined), 300_000);
    await scancelJob(firstJob);
    const secondJob = await waitFor('the PPO job to be submitted again', () => (jobsOf.get(ppoTask) !== firstJob ? jobsOf.get(ppoTask) : undefined), 60_000);

    // 2. Crash its node once it is past another checkpoint: Slurm requeues it (--requeue) and it resumes again.
    const resumedAt = await waitFor(
      'the resubmitted PPO job to run',
      async () => ((await jobState(secondJob))?.state === 'RUNNING' ? checkpointIteration() : undefined),
      120_000,
    );
    await waitFor('a checkpoint from the resubmitted job', async () => ((await checkpointIteration()) > resumedAt ? true : undefined), 120_000);
    await crashNodeUnder(secondJob);
    await waitFor(
      'Slurm to requeue the job of the crashed node',
      async () => {
        const state = await jobState(secondJob);
        return state && state.restarts >= 1 && state.state === 'PENDING' ? state : undefined;
      },
      150_000,
      1000,
    );
    // A job requeued after a node failure waits 121 s (BeginTime); start it now, as an operator would.
    await execa('scontrol', ['update', `jobid=${secondJob}`, 'StartTime=now']);

    const result = await run;
    await localRun;
    expect(result.exitCode, result.all).toBe(0);
    const last = readLastRun(slurmWorkspace, PRESET);
    expect(tasksIn(last, 'done')).toEqual(
      [
        'proxy--test--tiny-n30-s0:train',
        'proxy--test--small-n30-s0:train',
        'bon--test--tiny-n30-s0:score',
        'bon--test--small-n30-s0:score',
        'proxy--test:run',
        'bon--test:run',
        ppoTask,
        'ppo--test:run',
        'dpo--test--tiny-n30-s0-dpo-b0p1:train',
        'dpo--test:run',
        'fit--test:run',
      ].sort(),
    );
    // Restored on the submitting machine, no job: the Nx cache held them.
    expect(tasksIn(last, 'cached')).toEqual([]);
    expect(tasksIn(last, 'restored')).toEqual(
      [
        'pretrain--test:run',
        'label--test:run',
        'bon--test--pool:sample',
        'proxy--test--tiny-n60-s0:train',
        'proxy--test--small-n60-s0:train',
        'bon--test--tiny-n60-s0:score',
        'bon--test--small-n60-s0:score',
      ].sort(),
    );
    const ppo = last.outcomes.find((o) => o.task === ppoTask);
    expect(ppo?.retries).toBe(1);
    expect(ppo?.requeues).toBeGreaterThanOrEqual(1);
    const log = await readFile(join(slurmWorkspace, 'artifacts', PRESET, 'slurm', 'logs', `${ppoTask.replace(':', '.')}-${secondJob}.log`), 'utf8');
    expect(log).toMatch(/resuming from the checkpoint at iteration/);
    await expectSameArtifacts();
  }, 900_000);
});
