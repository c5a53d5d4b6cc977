import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStage, openStageOutput, stageOutputDir } from '@goodhart/core';
import { initEngine, loadCheckpoint, scoreSequences } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { openLabelArtifacts } from '../src/comparisons-data.ts';
import { runProxyCell, runProxySummary } from '../src/stage.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
let root: string;

beforeAll(async () => {
  await initEngine();
  const slow = await testPreset('slow', (c) => {
    (c.proxy.training as Record<string, unknown>).minSteps = 1_000_000;
  });
  root = await tempWorkspace([await testPreset('prx'), slow]);
  for (const preset of ['prx', 'slow']) {
    await runPretrain({ preset, backend: 'wasm', root, log: quiet });
    await runLabel({ preset, backend: 'wasm', root, log: quiet });
  }
});

describe('proxy stage on the test preset', () => {
  it('trains a cell, centres it on the initial policy and records its metrics', async () => {
    const { metrics, manifest } = await runProxyCell({ preset: 'prx', cell: 'small-n60-s0', backend: 'wasm', root, log: quiet });
    expect(metrics.comparisons).toBe(60);
    expect(metrics.validationLoss).toBeGreaterThan(0);
    expect(metrics.validationAccuracy).toBeGreaterThanOrEqual(0);
    expect(manifest.upstream.map((u) => u.stage)).toEqual(['pretrain', 'label']);

    const output = await openStage(root, 'prx', 'proxyCell', 'small-n60-s0');
    const reward = JSON.parse(await readFile(output.file('reward.json'), 'utf8')) as { shift: number };
    const model = await loadCheckpoint(join(output.dir, 'model'));
    const labelled = await openLabelArtifacts(root, 'prx');
    // The shift centres the first proxy.training.centeringSamples (32 here) initial-policy samples.
    const scores = scoreSequences(
      model,
      labelled.samples.slice(0, 32).map((s) => [...s.promptTokens, ...s.responseTokens]),
      16,
    );
    const centred = scores.reduce((sum, s) => sum + s + reward.shift, 0) / scores.length;
    expect(Math.abs(centred)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('gathers the grid into a summary, naming any cell not yet trained', async () => {
    await expect(runProxySummary({ preset: 'prx', root })).rejects.toThrow(/missing artifact: .*cells\/tiny-n20-s0\/manifest\.json is made by stage 'proxy'/);
    for (const cell of ['tiny-n20-s0', 'tiny-n60-s0', 'small-n20-s0']) await runProxyCell({ preset: 'prx', cell, backend: 'wasm', root, log: quiet });
    const { rows } = await runProxySummary({ preset: 'prx', root });
    expect(rows.map((r) => r.cell)).toEqual(['tiny-n20-s0', 'tiny-n60-s0', 'small-n20-s0', 'small-n60-s0']);
  });

  it('stops with an error naming the file when the comparisons are corrupt or truncated', async () => {
    const labelDir = stageOutputDir(root, 'prx', 'label');
    const path = join(labelDir, 'comparisons.parquet');
    const original = await readFile(path);
    try {
      await writeFile(path, original.subarray(0, Math.floor(original.length / 2)));
      await expect(runProxyCell({ preset: 'prx', cell: 'tiny-n20-s0', backend: 'wasm', root, log: quiet })).rejects.toThrow(
        /corrupt artifact: .*label\/comparisons\.parquet \(made by stage 'label'\)/,
      );
    } finally {
      await writeFile(path, original);
    }
  });

  it('a run killed midway leaves no manifest, so nothing downstream takes it for finished', async () => {
    const cell = 'tiny-n20-s0';
    const dir = stageOutputDir(root, 'slow', 'proxyCell', cell);
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages', 'proxy', 'src', 'cli.ts'), '--preset', 'slow', '--cell', cell], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        // Training has started (a progress line): kill it mid-run.
        if (/\[proxy tiny-n20-s0\]\s+\d+%/.test(seen)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited before training started:\n${seen}`)));
    });
    await new Promise((resolve) => child.on('exit', resolve));
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);
    await expect(openStageOutput(dir, 'proxy')).rejects.toThrow(/missing artifact/);
    await expect(runProxySummary({ preset: 'slow', root })).rejects.toThrow(/missing artifact: .*slow\/proxy\/cells\/tiny-n20-s0/);
  });
});
