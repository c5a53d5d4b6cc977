import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStage, openStageOutput, readParquetFile, stageOutputDir, stageWorkDir, tableRows, type Manifest } from '@goodhart/core';
import { initEngine } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runDpoRun } from '../src/stage.ts';
import { runDpoSummary } from '../src/summary.ts';
import { evaluationSteps } from '../src/evaluation.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
const PRESET = 'dp';
const DPO_RUN = 'tiny-n20-s0-dpo-b0p1';
const IPO_RUN = 'tiny-n20-s0-ipo-b0p1';
// 20 comparisons, 4 per step, 3 epochs: 15 steps.
const STEPS = 15;
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    Object.assign(c.dpo, { losses: ['dpo', 'ipo'], epochs: 3, batchSize: 4, checkpointEvery: 2, learningRate: 0.003 });
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const runDir = (run: string): string => stageOutputDir(root, PRESET, 'dpoRun', run);

async function manifestOf(run: string): Promise<Manifest> {
  return (await openStageOutput(runDir(run), 'dpo')).manifest;
}

async function curveRows(run: string): Promise<Record<string, unknown>[]> {
  const output = await openStageOutput(runDir(run), 'dpo');
  return tableRows(await readParquetFile(output.file('curve.parquet')));
}

async function waitFor(path: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - started > timeoutMs) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('evaluation steps', () => {
  it('are step 0 and a geometric grid from step 1 to the last', () => {
    expect(evaluationSteps(15, 3)).toEqual([0, 1, 15]);
    expect(evaluationSteps(100, 4)).toEqual([0, 1, 10, 100]);
    expect(evaluationSteps(5, 2)).toEqual([0, 5]);
  });
});

describe('dpo stage on the test preset', () => {
  let first: Manifest;

  it('trains, evaluates at step 0 (KL 0, implicit accuracy ½) and along training, and leaves no work directory', async () => {
    const result = await runDpoRun({ preset: PRESET, run: DPO_RUN, backend: 'wasm', root, log: quiet });
    expect(result.resumedFrom).toBe(0);
    const rows = await curveRows(DPO_RUN);
    expect(rows.map((r) => r.step)).toEqual(evaluationSteps(STEPS, 3));
    expect(rows[0].kl).toBe(0);
    expect(rows[0].implicit_accuracy).toBe(0.5);
    expect(Number(rows.at(-1)!.kl)).not.toBe(0);
    for (const row of rows) {
      expect(Number(row.gold_low)).toBeLessThanOrEqual(Number(row.gold));
      expect(Number(row.gold_high)).toBeGreaterThanOrEqual(Number(row.gold));
      expect(Number(row.implicit_reward)).toBeCloseTo(0.1 * Number(row.kl), 12);
    }
    const train = tableRows(await readParquetFile(join(runDir(DPO_RUN), 'train.parquet')));
    expect(train).toHaveLength(STEPS);
    expect(existsSync(stageWorkDir(root, PRESET, 'dpoRun', DPO_RUN))).toBe(false);
    first = await manifestOf(DPO_RUN);
  });

  it('a rerun from scratch writes the same bytes', async () => {
    await rm(runDir(DPO_RUN), { recursive: true, force: true });
    await runDpoRun({ preset: PRESET, run: DPO_RUN, backend: 'wasm', root, log: quiet });
    expect((await manifestOf(DPO_RUN)).files).toEqual(first.files);
  });

  it('a run killed with SIGKILL midway leaves no output, and its rerun resumes and writes the same bytes', async () => {
    await rm(runDir(DPO_RUN), { recursive: true, force: true });
    const child = execa('node', ['--import', 'tsx', 'packages/dpo/src/cli.ts', '--preset', PRESET, '--run', DPO_RUN, '--backend', 'wasm'], {
      cwd: root,
      reject: false,
    });
    const work = stageWorkDir(root, PRESET, 'dpoRun', DPO_RUN);
    await waitFor(join(work, 'current', 'complete'), 120_000);
    const state = JSON.parse(await readFile(join(work, 'current', 'state.json'), 'utf8')) as { step: number };
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal, `the run finished before the kill: ${killed.stdout}`).toBe('SIGKILL');
    expect(state.step).toBeGreaterThan(0);
    expect(existsSync(join(runDir(DPO_RUN), 'manifest.json'))).toBe(false);

    const logs: string[] = [];
    const resumed = await runDpoRun({ preset: PRESET, run: DPO_RUN, backend: 'wasm', root, log: (line) => logs.push(line) });
    expect(resumed.resumedFrom).toBeGreaterThan(0);
    expect(resumed.resumedFrom).toBeLessThan(STEPS);
    expect(logs.join('\n')).toMatch(new RegExp(`resuming from the checkpoint at step \\d+ of ${STEPS}`));
    expect((await manifestOf(DPO_RUN)).files).toEqual(first.files);
  });

  it('IPO trains on the same batches; the summary gathers both runs for fit', async () => {
    await runDpoRun({ preset: PRESET, run: IPO_RUN, backend: 'wasm', root, log: quiet });
    const dpo = await curveRows(DPO_RUN);
    const ipo = await curveRows(IPO_RUN);
    // Same initial policy, same step-0 samples.
    expect(ipo[0].gold).toBe(dpo[0].gold);
    expect(ipo.at(-1)!.kl).not.toBe(dpo.at(-1)!.kl);
    const summary = await runDpoSummary({ preset: PRESET, root });
    expect([...new Set(summary.rows.map((r) => r.run))]).toEqual([DPO_RUN, IPO_RUN]);
    const output = await openStage(root, PRESET, 'dpoSummary');
    expect(output.manifest.files.map((f) => f.path).sort()).toEqual(['curves.parquet', 'curves_by_prompt.parquet']);
  });

  it('refuses a run that is not in the preset, naming the runs there are', async () => {
    await expect(runDpoRun({ preset: PRESET, run: 'tiny-n20-s0-dpo-b9', backend: 'wasm', root, log: quiet })).rejects.toThrow(
      /DPO run "tiny-n20-s0-dpo-b9" is not in "dp"; its runs are: tiny-n20-s0-dpo-b0p1, tiny-n20-s0-ipo-b0p1/,
    );
  });
});
