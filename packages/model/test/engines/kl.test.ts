/**
 * The exact per-token KL (src/kl-estimators.ts) reads both models' full next-token distributions through the decode
 * sessions every engine has; here the native engine against the tfjs reference on the same weights and responses:
 * per-response sums agree within 1e-5 nats + 1e-5 relative, with left-padded prompts of different lengths, responses
 * of different lengths (rows that ended are fed a filler token), on the tiny config and the `test` preset's shapes.
 */
import { afterAll, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { exactTokenKl } from '../../src/kl-estimators.ts';
import { bothEngines, cloneWeights, describeNative, fmt, presetConfigs, printMeasured, randomWeights, record, TINY } from './helpers.ts';

const ABSOLUTE = 1e-5;
const RELATIVE = 1e-5;

describeNative('exact per-token KL: native vs tfjs', () => {
  afterAll(() => printMeasured('kl'));

  const configs = { tiny: TINY, ...presetConfigs() };
  for (const [label, config] of Object.entries(configs)) {
    it(`${label}: per-response sums agree within ${ABSOLUTE} nats + ${RELATIVE} relative; equal models measure exactly 0 on both`, async () => {
      const engines = await bothEngines();
      const rng = Rng.fromSeed(3, `engines-test/kl/${label}`);
      const policyWeights = randomWeights(config, 31);
      // Sharpen the policy so the KL is well above the rounding.
      policyWeights.get('wte')!.data.forEach((value, i, data) => (data[i] = value * 4));
      const referenceWeights = randomWeights(config, 32);
      const promptLengths = [5, 1, 3, 7];
      const responseLengths = [4, 6, 1, 5];
      const prompts = promptLengths.map((n) => Array.from({ length: n }, () => rng.int(config.vocabSize)));
      const responses = responseLengths.map((n) => Array.from({ length: n }, () => rng.int(config.vocabSize)));
      const measuredKl: Record<'native' | 'tfjs', Float64Array> = { native: new Float64Array(0), tfjs: new Float64Array(0) };
      for (const name of ['native', 'tfjs'] as const) {
        const policy = engines[name].createModel(config, cloneWeights(policyWeights));
        const reference = engines[name].createModel(config, cloneWeights(referenceWeights));
        try {
          measuredKl[name] = exactTokenKl(policy, reference, prompts, responses);
          expect(Array.from(exactTokenKl(reference, reference, prompts, responses)), `${name}: equal models`).toEqual([0, 0, 0, 0]);
        } finally {
          policy.dispose();
          reference.dispose();
        }
      }
      let worst = 0;
      measuredKl.tfjs.forEach((reference, b) => {
        const error = Math.abs(measuredKl.native[b] - reference);
        worst = Math.max(worst, error);
        expect(error, `row ${b}: native ${measuredKl.native[b]} vs tfjs ${reference}`).toBeLessThan(ABSOLUTE + RELATIVE * reference);
        expect(reference).toBeGreaterThan(0.01);
      });
      record(`exact per-token KL ${label}: max |native − tfjs| ${fmt(worst)} nats (KL ${Array.from(measuredKl.tfjs, (v) => v.toFixed(3)).join(', ')})`);
    });
  }
});
