import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { predictCurve } from '../src/curve-fits.ts';
import {
  calibrate,
  coefficientsForPeak,
  FORM_CALIBRATION_SCENARIOS,
  noiseModelOf,
  syntheticCurves,
  type NoiseModel,
} from '../src/findings/form-calibration.ts';
import type { FormCurve } from '../src/findings/form-comparison.ts';
import type { Method } from '../src/types.ts';
import { BON_D, RL_D } from './synthetic-curves.ts';

/**
 * The calibration of finding 2's held-out form comparison (form-calibration.ts): seeded, so it reproduces; the
 * synthetic curves carry the truth plus the noise model's residuals and nothing else; and with noise small enough
 * for the two forms to be told apart, the test keeps the true form and rejects the other, for each method.
 */

const PROMPTS = 64;

/** Per-prompt gains whose noise grows along the curve (a prompt's slope plus independent noise), 0 at d = 0. */
function noisyCurve(name: string, d: readonly number[], noise: number, rng: Rng): FormCurve {
  const slopes = Float64Array.from({ length: PROMPTS }, () => noise * rng.normal());
  return {
    curve: name,
    perPromptGain: d.map((dj) => Float64Array.from({ length: PROMPTS }, (_, p) => (dj > 0 ? 0.3 * dj + slopes[p]! * dj + noise * rng.normal() : 0))),
    d,
  };
}

function model(method: Method, noise: number, seed: number): NoiseModel {
  const d = method === 'bon' ? BON_D : RL_D;
  return noiseModelOf(
    method,
    [0, 1].map((i) => noisyCurve(`${method}-${i}`, d, noise, Rng.fromSeed(seed, `noise/${i}`))),
  );
}

describe('finding 2 calibration: synthetic curves of a known form with a run’s noise', () => {
  it('takes each prompt’s residuals from the mean curve, and draws the truth plus whole prompts’ residuals', () => {
    const bon = model('bon', 0.1, 1);
    expect(bon.curves).toHaveLength(2);
    for (const curve of bon.curves) {
      for (let j = 0; j < curve.d.length; j++) {
        const sum = curve.residuals.reduce((s, row) => s + row[j]!, 0);
        expect(Math.abs(sum)).toBeLessThan(1e-9);
      }
    }
    const quiet: NoiseModel = { method: 'bon', curves: bon.curves.map((c) => ({ ...c, residuals: c.residuals.map((row) => row.map(() => 0)) })) };
    const [curve] = syntheticCurves(quiet, 'rl', { peakAtFractionOfMaxD: 0.5, peakGain: 1 }, Rng.fromSeed(1, 'draw'));
    // With no residuals every prompt sits on the truth: RL's form through R* = 1 at d* = half the largest d.
    const { alpha, beta } = coefficientsForPeak('rl', Math.max(...BON_D) / 2, 1);
    for (let j = 0; j < BON_D.length; j++) {
      for (const p of [0, 5, PROMPTS - 1]) expect(curve!.perPromptGain[j]![p]).toBeCloseTo(predictCurve('rl', alpha, beta, BON_D[j]!), 12);
    }
  });

  it('reproduces: the same seed gives the same rates', () => {
    const bon = model('bon', 0.2, 2);
    const scenario = FORM_CALIBRATION_SCENARIOS[4]!;
    const first = calibrate(bon, scenario, 20, 0.95, Rng.fromSeed(1, 'calibration'));
    const again = calibrate(bon, scenario, 20, 0.95, Rng.fromSeed(1, 'calibration'));
    expect(again).toEqual(first);
    const other = calibrate(bon, scenario, 20, 0.95, Rng.fromSeed(2, 'calibration'));
    expect(other.replicates).toBe(20);
  });

  for (const method of ['bon', 'rl'] as const) {
    it(`${method}: with noise small enough to tell the forms apart, keeps the true form and rejects the other`, () => {
      const rates = calibrate(model(method, 0.05, 3), { peakAtFractionOfMaxD: 0.5, peakGain: 1 }, 100, 0.95, Rng.fromSeed(1, `calibration/${method}`));
      expect(rates.falseRejection).toBeLessThanOrEqual(0.05);
      expect(rates.power).toBeGreaterThanOrEqual(0.95);
      expect(rates.otherFoundBetter).toBeGreaterThanOrEqual(0.9);
    });
  }

  it('loses its power where the forms barely differ: a small gain peaking beyond the measured range, in large noise', () => {
    const rates = calibrate(model('rl', 0.6, 4), { peakAtFractionOfMaxD: 2, peakGain: 0.25 }, 100, 0.95, Rng.fromSeed(1, 'calibration/weak'));
    // The claim is then rarely shown (false rejection high), and the wrong form is still rarely accepted.
    expect(rates.falseRejection).toBeGreaterThan(0.5);
    expect(rates.power).toBeGreaterThanOrEqual(0.9);
  });
});
