/**
 * scorePromptPool: each prompt encoded once (native Model.scoreResponses) gives the rewards of scoring every full
 * prompt ++ response sequence (scoreSequences) within float32 summation-order noise; on tfjs it falls back to the
 * full sequences (identical numbers).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { groupByPrompt, scorePromptPool, scoreSequences, type ModelConfig } from '../../src/index.ts';
import { bothEngines, cloneWeights, describeNative, presetConfigs, randomWeights, type Engines } from './helpers.ts';

describeNative('scorePromptPool (prompt encoded once per pool)', () => {
  let engines: Engines;
  beforeAll(async () => {
    engines = await bothEngines();
  });
  const [, preset] = Object.entries(presetConfigs())[0];
  const config: ModelConfig = { ...preset, kind: 'reward' };
  const rng = Rng.fromSeed(800, 'engines-test/prompt-pool');
  const groups = Array.from({ length: 3 }, (_, g) => ({
    prompt: Array.from({ length: 4 + g * 3 }, () => rng.int(config.vocabSize)),
    responses: Array.from({ length: 11 }, () => Array.from({ length: 1 + rng.int(12) }, () => rng.int(config.vocabSize))),
  }));
  const full = groups.flatMap((g) => g.responses.map((r) => [...g.prompt, ...r]));

  // Tolerance 1e-5 of the largest |reward| (at least 1): the same float32 arithmetic in another summation order.
  it('equals scoring the full sequences within 1e-5 (native), exactly (tfjs fallback), for batch sizes 4 and 64', () => {
    const weights = randomWeights(config, 800);
    for (const engine of [engines.native, engines.tfjs]) {
      const model = engine.createModel(config, cloneWeights(weights));
      try {
        const reference = scoreSequences(model, full, 8);
        for (const batchSize of [4, 64]) {
          let seen = 0;
          const pooled = scorePromptPool(model, groups, batchSize, (done) => (seen = done));
          expect(seen).toBe(full.length);
          const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
          let worst = 0;
          reference.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - pooled[i]))));
          if (engine.name === 'tfjs') expect(worst).toBeLessThanOrEqual(1e-6 * scale);
          else expect(worst).toBeLessThanOrEqual(1e-5 * scale);
        }
      } finally {
        model.dispose();
      }
    }
  });
});

describe('groupByPrompt', () => {
  it('groups by prompt, keeps each distinct response once, and maps every pair to its score slot', () => {
    const { groups, slots } = groupByPrompt([
      { prompt: [1, 2], response: [5] },
      { prompt: [3], response: [5] },
      { prompt: [1, 2], response: [6, 7] },
      { prompt: [1, 2], response: [5] },
    ]);
    expect(groups).toEqual([
      { prompt: [1, 2], responses: [[5], [6, 7]] },
      { prompt: [3], responses: [[5]] },
    ]);
    expect([...slots]).toEqual([0, 2, 1, 0]);
  });
});
