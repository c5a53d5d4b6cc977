import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cellName, gridCells, initBackend, parseCell, parsePipeline, Rng } from '@goodhart/core';
import { scoreSequences, Transformer, type ModelConfig } from '@goodhart/model';
import type { ComparisonRow } from '../src/comparisons-data.ts';
import { evaluatePairs, pairwiseLoss, trainRewardModel } from '../src/reward-training.ts';
import { testPreset } from '../../../test/support/workspace.ts';

const config: ModelConfig = { kind: 'reward', vocabSize: 24, contextLength: 16, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };

/** A learnable preference: the response holding more copies of token 7 is preferred. */
function syntheticPairs(count: number, rng: Rng): ComparisonRow[] {
  const response = (sevens: number): number[] => rng.shuffle([...Array.from({ length: sevens }, () => 7), ...Array.from({ length: 6 - sevens }, () => 1 + rng.int(6))]);
  return Array.from({ length: count }, () => {
    const x = rng.int(7);
    let y = rng.int(7);
    while (y === x) y = rng.int(7);
    const prompt = Array.from({ length: 1 + rng.int(4) }, () => 10 + rng.int(10));
    return { promptTokens: prompt, tokensA: response(x), tokensB: response(y), preferred: x > y ? 0 : 1, goldPreferred: x > y ? 0 : 1, goldA: x, goldB: y };
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('pairwise reward-model loss', () => {
  it('equals −log σ(r_preferred − r_other) computed from separately scored sequences', () => {
    const model = Transformer.init(config, Rng.fromSeed(1));
    const rows = syntheticPairs(6, Rng.fromSeed(2));
    const loss = tf.tidy(() => pairwiseLoss(model, rows).dataSync()[0]);
    const a = scoreSequences(model, rows.map((r) => [...r.promptTokens, ...r.tokensA]), 1);
    const b = scoreSequences(model, rows.map((r) => [...r.promptTokens, ...r.tokensB]), 1);
    const expected = rows.reduce((sum, r, i) => {
      const d = r.preferred === 0 ? a[i] - b[i] : b[i] - a[i];
      return sum + Math.log1p(Math.exp(-d));
    }, 0) / rows.length;
    expect(loss).toBeCloseTo(expected, 5);
    const evaluation = evaluatePairs(model, rows, 4);
    expect(evaluation.loss).toBeCloseTo(expected, 5);
    model.dispose();
  });

  it('training lowers held-out loss and raises accuracy on a learnable preference', () => {
    const model = Transformer.init(config, Rng.fromSeed(3));
    const train = syntheticPairs(400, Rng.fromSeed(4));
    const heldOut = syntheticPairs(200, Rng.fromSeed(5));
    const before = evaluatePairs(model, heldOut, 64);
    const curve = trainRewardModel(
      model,
      train,
      { epochs: 6, minSteps: 0, batchSize: 32, learningRate: 0.01, warmupSteps: 5, weightDecay: 0, gradientClip: 1, centeringSamples: 10 },
      Rng.fromSeed(6),
      'synthetic',
    );
    const after = evaluatePairs(model, heldOut, 64);
    expect(curve).toHaveLength(Math.ceil(400 / 32) * 6);
    expect(after.loss).toBeLessThan(before.loss - 0.2);
    expect(after.accuracy).toBeGreaterThan(0.85);
    model.dispose();
  });
});

describe('grid cells', () => {
  it('names, enumerates and parses cells of the grid, and rejects others with the grid listed', async () => {
    const preset = parsePipeline(await testPreset('cells'));
    const cells = gridCells(preset);
    expect(cells.map(cellName)).toEqual(['tiny-n20-s0', 'tiny-n60-s0', 'small-n20-s0', 'small-n60-s0']);
    expect(parseCell('small-n60-s0', preset)).toEqual({ size: 'small', comparisons: 60, seed: 0 });
    expect(() => parseCell('small-n61-s0', preset)).toThrow(/not in the proxy.grid of "cells"; the grid has: tiny-n20-s0/);
    expect(() => parseCell('small', preset)).toThrow(/<size>-n<comparisons>-s<seed>/);
  });
});
