import { beforeAll, describe, expect, it } from 'vitest';
import { cellName, gridCells, parseCell, parsePipeline, Rng } from '@goodhart/core';
import { createEngine, initWeights, REWARD_HEAD, scoreSequences, tokenBatch, type Engine, type Model, type ModelConfig } from '@goodhart/model';
import type { ComparisonRow } from '../src/comparisons-data.ts';
import { evaluatePairs, pairSequences, pairwiseLoss, trainRewardModel } from '../src/reward-training.ts';
import { testPreset } from '../../../test/support/workspace.ts';

const config: ModelConfig = { kind: 'reward', vocabSize: 24, contextLength: 16, layers: 1, dModel: 16, heads: 2, mlpRatio: 2 };

/** A learnable preference: the response holding more copies of token 7 is preferred. */
function syntheticPairs(count: number, rng: Rng): ComparisonRow[] {
  const response = (sevens: number): number[] =>
    rng.shuffle([...Array.from({ length: sevens }, () => 7), ...Array.from({ length: 6 - sevens }, () => 1 + rng.int(6))]);
  return Array.from({ length: count }, () => {
    const x = rng.int(7);
    let y = rng.int(7);
    while (y === x) y = rng.int(7);
    const prompt = Array.from({ length: 1 + rng.int(4) }, () => 10 + rng.int(10));
    return {
      promptTokens: prompt,
      tokensA: response(x),
      tokensB: response(y),
      preferred: x > y ? 0 : 1,
      goldPreferred: x > y ? 0 : 1,
      goldA: x,
      goldB: y,
      humanPreferred: x > y ? 0 : 1,
    };
  });
}

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine('tfjs', 'wasm');
});

function rewardModel(seed: number): Model {
  return engine.createModel(config, initWeights(config, Rng.fromSeed(seed)));
}

describe('pairwise reward-model loss', () => {
  it('equals −log σ(r_preferred − r_other) computed from separately scored sequences', () => {
    const model = rewardModel(1);
    try {
      const rows = syntheticPairs(6, Rng.fromSeed(2));
      const sequences = pairSequences(rows);
      expect(sequences).toHaveLength(12);
      expect(sequences[0]).toEqual([...rows[0].promptTokens, ...rows[0].tokensA]);
      expect(sequences[6]).toEqual([...rows[0].promptTokens, ...rows[0].tokensB]);
      // both responses of every pair in one left-padded batch, as training runs it
      const rewards = model.forward(tokenBatch(sequences), { heads: 'last' }).heads[REWARD_HEAD];
      const { loss, gradients } = pairwiseLoss(rewards, rows);
      const a = scoreSequences(
        model,
        rows.map((r) => [...r.promptTokens, ...r.tokensA]),
        1,
      );
      const b = scoreSequences(
        model,
        rows.map((r) => [...r.promptTokens, ...r.tokensB]),
        1,
      );
      for (let i = 0; i < rows.length; i++) {
        expect(Math.abs(rewards[i] - a[i]), `a ${i}`).toBeLessThan(1e-5);
        expect(Math.abs(rewards[6 + i] - b[i]), `b ${i}`).toBeLessThan(1e-5);
      }
      const expected =
        rows.reduce((sum, r, i) => {
          const d = r.preferred === 0 ? a[i] - b[i] : b[i] - a[i];
          return sum + Math.log1p(Math.exp(-d));
        }, 0) / rows.length;
      expect(loss).toBeCloseTo(expected, 5);
      expect(Object.keys(gradients.heads!)).toEqual([REWARD_HEAD]);
      expect(gradients.logProbs).toBeUndefined();
      const evaluation = evaluatePairs(model, rows, 4);
      expect(evaluation.loss).toBeCloseTo(expected, 5);
      expect(Array.from(evaluation.differences, (d, i) => Math.abs(d - (a[i] - b[i]))).every((e) => e < 1e-6)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('its gradient equals central finite differences of the loss, and is opposite within each pair', () => {
    const rows = syntheticPairs(5, Rng.fromSeed(7));
    const rng = Rng.fromSeed(8, 'rewards');
    // margins of both signs and sizes, including one deep in the saturated tail
    const rewards = Float32Array.from({ length: 10 }, () => 2 * rng.normal());
    rewards[0] = 12;
    rewards[5] = -12;
    const { loss, gradients } = pairwiseLoss(rewards, rows);
    const gradient = gradients.heads![REWARD_HEAD];
    expect(gradient).toHaveLength(10);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    for (let i = 0; i < 10; i++) {
      const at = (delta: number): { loss: number; x: number } => {
        const changed = Float32Array.from(rewards);
        changed[i] = rewards[i] + delta;
        return { loss: pairwiseLoss(changed, rows).loss, x: changed[i] };
      };
      const plus = at(1e-3);
      const minus = at(-1e-3);
      const numeric = (plus.loss - minus.loss) / (plus.x - minus.x);
      expect(Math.abs(gradient[i] - numeric), `reward ${i}: ${gradient[i]} vs ${numeric}`).toBeLessThan(1e-6 + 1e-3 * Math.abs(numeric));
    }
    for (let i = 0; i < 5; i++) expect(gradient[i] + gradient[5 + i]).toBeCloseTo(0, 7);
    // the gradient pushes the preferred reward up
    rows.forEach((row, i) => expect(Math.sign(gradient[row.preferred === 0 ? i : 5 + i]), `pair ${i}`).toBe(-1));
    expect(() => pairwiseLoss(new Float32Array(9), rows)).toThrow(/expected 10 rewards for 5 pairs, got 9/);
  });

  it('training lowers held-out loss and raises accuracy on a learnable preference', () => {
    const model = rewardModel(3);
    try {
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
      expect(model.steps).toBe(curve.length);
      expect(curve.map((row) => row.step)).toEqual(curve.map((_, i) => i + 1));
      expect(curve.at(-1)!.epoch).toBe(6);
      for (const row of curve) {
        expect(Number.isFinite(row.loss), `step ${row.step} loss`).toBe(true);
        expect(row.gradientNorm, `step ${row.step} gradient norm`).toBeGreaterThan(0);
        expect(row.learningRate, `step ${row.step} learning rate`).toBeGreaterThan(0);
        expect(row.learningRate, `step ${row.step} learning rate`).toBeLessThanOrEqual(0.01 + 1e-12);
      }
      expect(after.loss).toBeLessThan(before.loss - 0.2);
      expect(after.accuracy).toBeGreaterThan(0.85);
      expect(after.goldAccuracy).toBe(after.accuracy); // no label noise here
      expect(after.humanAccuracy).toBe(after.goldAccuracy); // and this human agrees with gold
    } finally {
      model.dispose();
    }
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
