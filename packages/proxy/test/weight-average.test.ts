import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline, openStage } from '@goodhart/core';
import { initEngine, loadCheckpoint, readCheckpoint, readProxyCell } from '@goodhart/model';
import { runLabel } from '@goodhart/label';
import { runPretrain } from '@goodhart/pretrain';
import { runProxyAverage } from '../src/average-stage.ts';
import { openLabelArtifacts } from '../src/comparisons-data.ts';
import { centeringShift, runProxyCell } from '../src/stage.ts';
import { averageWeights } from '../src/weight-average.ts';
import { tempWorkspace, testPreset } from '../../../test/support/workspace.ts';

const quiet = (): void => {};
const PRESET = 'wa';
const members = ['tiny-n20-s0', 'tiny-n20-s1', 'tiny-n20-s2'];
let root: string;

beforeAll(async () => {
  await initEngine();
  const preset = await testPreset(PRESET, (c) => {
    c.proxy.grid = { sizes: ['tiny'], comparisons: [20], seeds: [0, 1, 2] };
    c.sources = { 'tiny-warm': { kind: 'weightAverage', members: { size: 'tiny', comparisons: 20, seeds: [0, 1, 2] } } };
    delete c.ppo;
  });
  root = await tempWorkspace([preset]);
  await runPretrain({ preset: PRESET, backend: 'wasm', root, log: quiet });
  await runLabel({ preset: PRESET, backend: 'wasm', root, log: quiet });
  for (const cell of members) await runProxyCell({ preset: PRESET, cell, backend: 'wasm', root, log: quiet });
});

describe('a weight-averaged RM', () => {
  it("has the elementwise mean of its members' weights, centred on the initial policy like a cell", async () => {
    const { shift } = await runProxyAverage({ preset: PRESET, source: 'tiny-warm', backend: 'wasm', root, log: quiet });
    const config = loadPipeline(PRESET, root);
    const checkpoints = await Promise.all(members.map(async (cell) => readCheckpoint(join((await openStage(root, config, 'proxyCell', cell)).dir, 'model'))));
    const output = await openStage(root, config, 'proxyAverage', 'tiny-warm');
    const averaged = await readCheckpoint(join(output.dir, 'model'));
    expect(averaged.config).toEqual(checkpoints[0].config);
    expect([...averaged.weights.keys()]).toEqual([...checkpoints[0].weights.keys()]);
    let differs = 0;
    for (const [name, tensor] of averaged.weights) {
      const parts = checkpoints.map((c) => c.weights.get(name)!.data);
      tensor.data.forEach((value, i) => {
        expect(value).toBe(Math.fround((parts[0][i] + parts[1][i] + parts[2][i]) / 3));
        if (parts[0][i] !== parts[1][i]) differs++;
      });
    }
    // The members did differ (seeded heads and data orders), so the mean is not one of them.
    expect(differs).toBeGreaterThan(0);
    const proxy = await readProxyCell(output);
    expect(proxy.shift).toBe(shift);
    const model = await loadCheckpoint(join(output.dir, 'model'));
    expect(centeringShift(model, await openLabelArtifacts(root, PRESET), config.proxy.training)).toBe(shift);
    model.dispose();
  });

  it('refuses members of different architectures and a source that is not a weight average', async () => {
    const a = { config: { vocabSize: 4, contextLength: 4, layers: 1, dModel: 2, heads: 1, mlpRatio: 1 } as never, weights: new Map() };
    const b = { ...a, config: { ...(a.config as object), dModel: 4 } as never };
    expect(() => averageWeights([a, b])).toThrow(/members must share one architecture/);
    expect(() => averageWeights([a])).toThrow(/at least 2 members/);
    await expect(runProxyAverage({ preset: PRESET, source: 'tiny-n20-s0', backend: 'wasm', root, log: quiet })).rejects.toThrow(
      /"tiny-n20-s0" is not a weightAverage source of "wa"; its weight averages are: tiny-warm/,
    );
  });
});
