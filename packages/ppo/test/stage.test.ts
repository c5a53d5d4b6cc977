import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStage, openStageOutput, readParquetFile, tableRows } from '@goodhart/core';
import { initEngine } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyCell } from '@goodhart/proxy';
import { runDir, runPpoRun, workDir } from '../src/stage.ts';
import { runPpoSummary } from '../src/summary.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
const PRESET = 'pp';
const RUN = 'tiny-n20-s0-kl0-small';
const ITERATIONS = 16;
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    Object.assign(c.ppo, { iterations: ITERATIONS, checkpointEvery: 2 });
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runProxyCell({ preset: PRESET, cell: 'tiny-n20-s0', backend: 'wasm', root, log: quiet });
});

async function curveRows(): Promise<Record<string, unknown>[]> {
  const output = await openStageOutput(runDir(root, PRESET, RUN), 'ppo');
  return tableRows(await readParquetFile(output.file('curve.parquet')));
}

async function waitFor(path: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!existsSync(path)) {
    if (Date.now() - started > timeoutMs) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ppo stage on the test preset', () => {
  let uninterrupted: Record<string, unknown>[];

  it('evaluates at iteration 0 and on a geometric grid, KL 0 at the start, gold and proxy with intervals', async () => {
    const result = await runPpoRun({ preset: PRESET, run: RUN, backend: 'wasm', root, log: quiet });
    expect(result.resumedFrom).toBe(0);
    uninterrupted = await curveRows();
    expect(uninterrupted.map((r) => r.step)).toEqual([0, 1, 16]);
    for (const column of ['kl', 'kl_k2', 'kl_k3', 'kl_exact', 'kl_k1_negative', 'd']) expect(uninterrupted[0][column], column).toBe(0);
    for (const row of uninterrupted) {
      expect(Number(row.gold_low)).toBeLessThanOrEqual(Number(row.gold));
      expect(Number(row.gold_high)).toBeGreaterThanOrEqual(Number(row.gold));
      for (const estimator of ['kl', 'kl_k2', 'kl_k3', 'kl_exact']) {
        expect(Number(row[`${estimator}_low`]), estimator).toBeLessThanOrEqual(Number(row[estimator]));
        expect(Number(row[`${estimator}_high`]), estimator).toBeGreaterThanOrEqual(Number(row[estimator]));
      }
      for (const estimator of ['kl_k2', 'kl_k3', 'kl_exact']) expect(Number(row[estimator]), estimator).toBeGreaterThanOrEqual(0);
      // The curves' distance is the exact per-token KL's.
      expect(row.d).toBeCloseTo(Math.sqrt(Number(row.kl_exact)), 12);
    }
    expect(existsSync(workDir(root, PRESET, RUN))).toBe(false);
  });

  it('a run killed midway leaves no output, and its rerun resumes and ends with the same numbers', async () => {
    await rm(runDir(root, PRESET, RUN), { recursive: true, force: true });
    const child = execa('node', ['--import', 'tsx', 'packages/ppo/src/cli.ts', '--preset', PRESET, '--run', RUN, '--backend', 'wasm'], {
      cwd: root,
      reject: false,
    });
    // The second checkpoint (iteration 4), then a hard kill: no chance to clean up.
    await waitFor(join(workDir(root, PRESET, RUN), 'current', 'complete'), 60_000);
    const state = JSON.parse(await readFile(join(workDir(root, PRESET, RUN), 'current', 'state.json'), 'utf8')) as { iteration: number };
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal, `the run finished before the kill: ${killed.stdout}`).toBe('SIGKILL');
    expect(state.iteration).toBeGreaterThan(0);
    expect(existsSync(join(runDir(root, PRESET, RUN), 'manifest.json'))).toBe(false);

    const logs: string[] = [];
    const resumed = await runPpoRun({ preset: PRESET, run: RUN, backend: 'wasm', root, log: (line) => logs.push(line) });
    expect(resumed.resumedFrom).toBeGreaterThan(0);
    expect(resumed.resumedFrom).toBeLessThan(ITERATIONS);
    expect(logs.join('\n')).toMatch(/resuming from the checkpoint at iteration \d+ of 16/);
    expect(await curveRows()).toEqual(uninterrupted);
  });

  it('gathers every run into the summary the fit stage reads', async () => {
    const summary = await runPpoSummary({ preset: PRESET, root });
    expect(summary.rows.map((r) => r.step)).toEqual([0, 1, 16]);
    const manifest = await openStage(root, PRESET, 'ppoSummary');
    expect(manifest.manifest.files.map((f) => f.path).sort()).toEqual(['curves.parquet', 'curves_by_prompt.parquet']);
  });
});
