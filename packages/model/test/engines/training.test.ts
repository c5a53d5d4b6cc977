/**
 * Requirement 3: 50 AdamW steps of languageModelStep on the same fixed random windows give the same loss curve on
 * both engines within 1e-3 nats (absolute), from the same initWeights. Weight decay and global-norm clipping are on,
 * so the decay ranges and the clip scale are exercised too.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { defaultAdamW, languageModelStep, type AdamWOptions, type ModelConfig } from '../../src/index.ts';
import {
  bothEngines,
  cloneWeights,
  describeNative,
  fmt,
  presetConfigs,
  printMeasured,
  randomWeights,
  randomWindows,
  record,
  relativeL2,
  TINY,
  type Engines,
} from './helpers.ts';

const STEPS = 50;
const TOLERANCE = 1e-3;
const OPTIONS: AdamWOptions = { ...defaultAdamW, weightDecay: 0.1 };

describeNative('native vs tfjs training', () => {
  let engines: Engines;
  beforeAll(async () => {
    engines = await bothEngines();
  });
  afterAll(() => printMeasured('training'));

  const [presetLabel, presetConfig] = Object.entries(presetConfigs())[0];
  const cases: [string, ModelConfig, number][] = [
    ['tiny (V50 C16 L2 d32 h4)', TINY, 2],
    [presetLabel, presetConfig, 2],
  ];

  for (const [label, config, rows] of cases) {
    it(`${label}: ${STEPS} AdamW steps (lr 1e-3, β 0.9/0.95, weight decay 0.1, clip 1) on fixed random windows give the same loss curve within ${TOLERANCE} nats (absolute)`, () => {
      const weights = randomWeights(config, 500, [], false);
      const native = engines.native.createModel(config, cloneWeights(weights));
      const tfjs = engines.tfjs.createModel(config, cloneWeights(weights));
      const rng = Rng.fromSeed(500, 'engines-test/training-windows');
      const windowWidth = config.contextLength + 1;
      // four fixed batches, cycled
      const batches = Array.from({ length: 4 }, () => randomWindows(rng, config.vocabSize, rows, windowWidth));
      const curves = { native: [] as number[], tfjs: [] as number[] };
      const norms = { native: [] as number[], tfjs: [] as number[] };
      try {
        for (let step = 0; step < STEPS; step++) {
          const windows = batches[step % batches.length];
          const a = languageModelStep(native, windows, rows, windowWidth, 1e-3, OPTIONS);
          const b = languageModelStep(tfjs, windows, rows, windowWidth, 1e-3, OPTIONS);
          curves.native.push(a.loss);
          curves.tfjs.push(b.loss);
          norms.native.push(a.gradientNorm);
          norms.tfjs.push(b.gradientNorm);
        }
        let worst = 0;
        for (let i = 0; i < STEPS; i++) worst = Math.max(worst, Math.abs(curves.native[i] - curves.tfjs[i]));
        let worstWeight = 0;
        const reference = tfjs.weights();
        for (const [name, tensor] of native.weights()) worstWeight = Math.max(worstWeight, relativeL2(tensor.data, reference.get(name)!.data));
        const clipped = norms.tfjs.filter((n) => n > OPTIONS.gradientClip).length;
        record(
          `training ${label}: loss ${curves.tfjs[0].toFixed(4)} → ${curves.tfjs[STEPS - 1].toFixed(4)}; max |Δloss| ${fmt(worst)} nats; ` +
            `final weights worst relative L2 ${fmt(worstWeight)}; clipped steps ${clipped}/${STEPS}; steps ${native.steps}/${tfjs.steps}`,
        );
        expect(worst).toBeLessThanOrEqual(TOLERANCE);
        expect(native.steps).toBe(STEPS);
        expect(tfjs.steps).toBe(STEPS);
        // it learned something (the curve is not flat), so agreement is not trivial
        expect(curves.tfjs[STEPS - 1]).toBeLessThan(curves.tfjs[0] - 0.05);
      } finally {
        native.dispose();
        tfjs.dispose();
      }
    });
  }
});
