import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { coefficientsForPeak } from '../src/findings/form-calibration.ts';
import { compareFormsHeldOut, type FormCurve } from '../src/findings/form-comparison.ts';
import { bonPeak, predictCurve, rlPeak } from '../src/curve-fits.ts';
import type { Method } from '../src/types.ts';
import { BON_D, RL_D } from './synthetic-curves.ts';

/**
 * Finding 2's held-out comparison of the two forms (form-comparison.ts) and its calibration (form-calibration.ts)
 * on synthetic curves whose form and coefficients are known.
 */

const PROMPTS = 64;

/** Gains of one curve from `form` plus per-prompt noise: a prompt effect on the slope (shared by its points) and independent noise. */
function curveFrom(form: Method, alpha: number, beta: number, d: readonly number[], rng: Rng, noise = 0.15): Float64Array[] {
  const slopes = Float64Array.from({ length: PROMPTS }, () => 0.1 * rng.normal());
  return d.map((dj) =>
    Float64Array.from({ length: PROMPTS }, (_, p) => (dj > 0 ? predictCurve(form, alpha, beta, dj) + slopes[p]! * dj + noise * rng.normal() : 0)),
  );
}

function bonData(form: Method, alpha: number, beta: number, rng: Rng): FormCurve {
  return { curve: `bon-${form}`, perPromptGain: curveFrom(form, alpha, beta, BON_D, rng), d: BON_D };
}

/** RL: d from the KL over all prompts, the same for both halves (as the stage's fits take it). */
function rlData(form: Method, alpha: number, beta: number, rng: Rng): FormCurve {
  return { curve: `rl-${form}`, perPromptGain: curveFrom(form, alpha, beta, RL_D, rng), d: RL_D };
}

describe('held-out form comparison: recovers the form the curves were drawn from', () => {
  const confidence = 0.95;
  // BoN d reaches 2.4 (n = 1024): a peak at d* = 1.8, R* = 1.
  const bonOwn = coefficientsForPeak('bon', 1.8, 1);
  const bonOther = coefficientsForPeak('rl', 1.8, 1);
  // RL d reaches 6.5: a peak at d* = 4, R* = 1.
  const rlOwn = coefficientsForPeak('rl', 4, 1);
  const rlOther = coefficientsForPeak('bon', 4, 1);

  it('draws each truth through the peak it was asked for', () => {
    expect(bonPeak(bonOwn.alpha, bonOwn.beta)!.d).toBeCloseTo(1.8, 12);
    expect(rlPeak(bonOther.alpha, bonOther.beta)!.gold).toBeCloseTo(1, 12);
    expect(rlPeak(rlOwn.alpha, rlOwn.beta)!.d).toBeCloseTo(4, 12);
    expect(bonPeak(rlOther.alpha, rlOther.beta)!.gold).toBeCloseTo(1, 12);
  });

  it('best-of-n curves drawn from d(α − βd): BoN’s form predicts them better, and RL’s does not', () => {
    const curves = [0, 1, 2].map((i) => bonData('bon', bonOwn.alpha, bonOwn.beta, Rng.fromSeed(1, `bon/${i}`)));
    const own = compareFormsHeldOut('bon', curves, Rng.fromSeed(1, 'split'), confidence)!;
    expect(own.curves).toHaveLength(3);
    expect(own.fitPrompts + own.scorePrompts).toBe(PROMPTS);
    expect(own.ownFormBetter).toBe(true);
    for (const c of own.curves) expect(c.ownMse).toBeLessThan(c.otherMse);
    // The fits on the fitting half come back near the truth.
    expect(own.curves[0]!.own.alpha).toBeCloseTo(bonOwn.alpha, 0);
    // The same curves judged as if RL's form were claimed: the claim is rejected, the other form is better.
    const swapped = compareFormsHeldOut('rl', curves, Rng.fromSeed(1, 'split'), confidence)!;
    expect(swapped.ownFormBetter).toBe(false);
    expect(swapped.advantage.high).toBeLessThan(0);
    expect(swapped.advantage.mean).toBeCloseTo(-own.advantage.mean, 12);
  });

  it('best-of-n curves drawn from d(α − β ln d): BoN’s form is not shown better', () => {
    const curves = [0, 1, 2].map((i) => bonData('rl', bonOther.alpha, bonOther.beta, Rng.fromSeed(2, `bon/${i}`)));
    const bon = compareFormsHeldOut('bon', curves, Rng.fromSeed(2, 'split'), confidence)!;
    expect(bon.ownFormBetter).toBe(false);
    expect(bon.advantage.high).toBeLessThan(0);
  });

  it('RL runs drawn from d(α − β ln d): RL’s form predicts them better', () => {
    const curves = [0, 1].map((i) => rlData('rl', rlOwn.alpha, rlOwn.beta, Rng.fromSeed(3, `rl/${i}`)));
    const rl = compareFormsHeldOut('rl', curves, Rng.fromSeed(3, 'split'), confidence)!;
    expect(rl.ownFormBetter).toBe(true);
    expect(rl.curves[0]!.own.beta).toBeCloseTo(rlOwn.beta, 1);
  });

  it('RL runs drawn from d(α − βd): RL’s form is not shown better', () => {
    const curves = [0, 1].map((i) => rlData('bon', rlOther.alpha, rlOther.beta, Rng.fromSeed(4, `rl/${i}`)));
    const rl = compareFormsHeldOut('rl', curves, Rng.fromSeed(4, 'split'), confidence)!;
    expect(rl.ownFormBetter).toBe(false);
    expect(rl.advantage.high).toBeLessThan(0);
  });

  it('cannot be run without curves, with too few prompts, or on curves of different prompt counts', () => {
    const rng = Rng.fromSeed(5, 'x');
    expect(compareFormsHeldOut('bon', [], rng, confidence)).toBeNull();
    const tiny: FormCurve = { curve: 'tiny', perPromptGain: BON_D.map(() => Float64Array.from([0, 1, 2])), d: BON_D };
    expect(compareFormsHeldOut('bon', [tiny], rng, confidence)).toBeNull();
    const full = bonData('bon', bonOwn.alpha, bonOwn.beta, rng);
    const fewer: FormCurve = { ...full, curve: 'fewer', perPromptGain: full.perPromptGain.map((row) => Array.from(row).slice(0, 40)) };
    expect(compareFormsHeldOut('bon', [full, fewer], rng, confidence)).toBeNull();
  });
});
