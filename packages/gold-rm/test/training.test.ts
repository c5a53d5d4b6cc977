import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { activeEngine, initEngine, initWeights, type ModelConfig } from '@goodhart/model';
import { buildGoldComparisons } from '../src/comparisons.ts';
import { validateGoldRmHyperparameters, type GoldRmHyperparameters } from '../src/hyperparameters.ts';
import { trainGoldRm } from '../src/training.ts';

const HYPER: GoldRmHyperparameters = {
  seed: 1,
  policy: 'small',
  size: 'small',
  prompts: 4,
  temperatures: [1],
  responseTokens: [4, 8],
  samplesPerSetting: 1,
  validationFraction: 0.25,
  sampleBatchSize: 4,
  scoringBatchSize: 8,
  epochs: 1,
  minSteps: 0,
  batchSize: 2,
  learningRate: 0.001,
  warmupSteps: 0,
  weightDecay: 0,
  gradientClip: 1,
};

describe('gold RM training', () => {
  it('stops with a clear error on a non-finite loss, before touching a weight', async () => {
    await initEngine();
    const config: ModelConfig = { kind: 'reward', vocabSize: 16, contextLength: 8, layers: 1, dModel: 8, heads: 2, mlpRatio: 2 };
    const weights = initWeights(config, Rng.fromSeed(1, 'nan-test'));
    // A finite head so large that every reward overflows float32: r_a − r_b is ∞ − ∞.
    weights.get('reward.w')!.data.fill(1e38);
    const model = activeEngine().createModel(config, weights);
    const sequences = [
      [1, 2, 3],
      [4, 5],
      [6, 7, 8, 9],
      [3, 3],
    ];
    const comparisons = [
      { promptId: 0, a: 0, b: 1, preferred: 0 as const },
      { promptId: 0, a: 2, b: 3, preferred: 1 as const },
    ];
    const before = model.weights().get('ln_f.g')?.data.slice() ?? model.weights().values().next().value!.data.slice();
    expect(() => trainGoldRm(model, sequences, comparisons, HYPER, Rng.fromSeed(1, 'order'))).toThrow(
      /^gold-rm: training diverged at step 1 of 1 \((loss \S+, )?gradient norm NaN\); nothing was written\. Lower gold\.model\.training\.learningRate/,
    );
    const after = model.weights().get('ln_f.g')?.data ?? model.weights().values().next().value!.data;
    expect(Array.from(after)).toEqual(Array.from(before));
    model.dispose();
  });

  it('builds comparisons of every untied pair of a prompt, held-out prompts apart', () => {
    const samples = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3].map((promptId) => ({ promptId }));
    const human = [1, 2, 2, 0, 5, 3, 1, 1, 1, 4, 2, 0];
    const { train, validation, ties } = buildGoldComparisons(samples, human, 0.25, Rng.fromSeed(3));
    expect(ties).toBe(1 + 3); // prompt 0: one tied pair; prompt 2: all three
    expect(train.length + validation.length).toBe(4 * 3 - ties);
    const validationPrompts = new Set(validation.map((c) => c.promptId));
    for (const c of train) expect(validationPrompts.has(c.promptId)).toBe(false);
    for (const c of [...train, ...validation]) {
      expect(samples[c.a].promptId).toBe(samples[c.b].promptId);
      expect(c.preferred).toBe(human[c.a] > human[c.b] ? 0 : 1);
    }
  });

  it('validates its hyperparameters, naming the field and what is allowed', () => {
    expect(() => validateGoldRmHyperparameters({ ...HYPER, learningRate: 0, temperatures: [] })).toThrow(
      /invalid gold RM hyperparameters:\n {2}temperatures: got \[\]; allowed: a non-empty list of numbers > 0\n {2}learningRate: got 0; allowed: \(0, 1\]/,
    );
    expect(() => validateGoldRmHyperparameters({ ...HYPER, responseTokens: [4] })).toThrow(
      /samplesPerSetting: temperatures × responseTokens × samplesPerSetting must be ≥ 2/,
    );
  });
});
