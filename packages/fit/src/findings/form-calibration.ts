import type { Rng } from '@goodhart/core';
import { predictCurve } from '../curve-fits.ts';
import type { Method } from '../types.ts';
import { compareOnSplit, otherMethod, type FormCurve } from './form-comparison.ts';
import { splitPrompts } from './prompt-split.ts';
import { mean } from './stats.ts';

/**
 * Calibration of finding 2's held-out form comparison (form-comparison.ts) on synthetic curves whose form is known.
 * Each synthetic curve is a true curve of one form plus this pipeline's noise: the per-prompt residuals of real
 * curves (a prompt's gains minus the mean gains, at every point), drawn a whole prompt at a time with replacement
 * and jointly across the curves of one method, so the noise keeps its size at each point, its correlation along a
 * curve and between curves scored on the same prompts, and its tails. The truth carries nothing of the real curves
 * but their d grid.
 *
 * - false rejection: the truth has the method's own form, and the test does not find the own form better;
 * - power: the truth has the other method's form, and the test does not find the own form better.
 */

/** The noise of one real curve: its d per point and, per prompt, its residual gains. */
export interface NoiseCurve {
  curve: string;
  /** d per point over all prompts (where the truth is evaluated). */
  d: readonly number[];
  /** residuals[p][j]: prompt p's gain at point j minus the mean gain at j over all prompts. */
  residuals: readonly Float64Array[];
}

/** The curves of one method whose noise the synthetic curves carry; all have the same prompts. */
export interface NoiseModel {
  method: Method;
  curves: readonly NoiseCurve[];
}

/**
 * A true curve given by where it peaks: d* as a multiple of each curve's largest d, and the gain R* at the peak.
 * Both forms are drawn through the same peak, so they differ only in shape: the test must tell them apart by shape.
 */
export interface Scenario {
  peakAtFractionOfMaxD: number;
  peakGain: number;
}

/**
 * The truths the calibration draws, fixed before any reported curve was compared: peaks inside the measured range,
 * at its end and beyond it (a curve still rising at its last point), each at a small, a middling and a large gain
 * (gold s.d. of the initial policy). Over all of them the two forms differ least where the gain is small.
 */
export const FORM_CALIBRATION_SCENARIOS: readonly Scenario[] = [0.5, 1, 2].flatMap((peakAtFractionOfMaxD) =>
  [0.25, 0.5, 1].map((peakGain) => ({ peakAtFractionOfMaxD, peakGain })),
);

/** α and β of a form with its maximum at (d*, R*): BoN d* = α/2β, R* = α²/4β; RL d* = e^(α/β − 1), R* = β·d*. */
export function coefficientsForPeak(form: Method, peakD: number, peakGain: number): { alpha: number; beta: number } {
  if (!(peakD > 0) || !(peakGain > 0)) throw new RangeError(`coefficientsForPeak: d* and R* must be positive, got ${peakD} and ${peakGain}`);
  if (form === 'bon') return { alpha: (2 * peakGain) / peakD, beta: peakGain / (peakD * peakD) };
  const beta = peakGain / peakD;
  return { alpha: beta * (1 + Math.log(peakD)), beta };
}

/** One synthetic replicate: every curve of the model redrawn with its truth from `form`, prompts drawn jointly. */
export function syntheticCurves(model: NoiseModel, form: Method, scenario: Scenario, rng: Rng): FormCurve[] {
  const prompts = model.curves[0]?.residuals.length ?? 0;
  if (prompts === 0) throw new RangeError('syntheticCurves: the noise model has no prompts');
  if (model.curves.some((c) => c.residuals.length !== prompts)) throw new RangeError('syntheticCurves: the noise curves have different prompt counts');
  const drawn = Int32Array.from({ length: prompts }, () => rng.int(prompts));
  return model.curves.map((noise) => {
    const maxD = Math.max(...noise.d);
    const { alpha, beta } = coefficientsForPeak(form, scenario.peakAtFractionOfMaxD * maxD, scenario.peakGain);
    const truth = noise.d.map((d) => predictCurve(form, alpha, beta, d));
    const perPromptGain = truth.map((t, j) => Float64Array.from(drawn, (p) => t + noise.residuals[p]![j]!));
    return { curve: noise.curve, perPromptGain, d: noise.d };
  });
}

export interface CalibrationRates {
  scenario: Scenario;
  replicates: number;
  /** Truth of the method's own form: share where the test did not find the own form better. */
  falseRejection: number;
  /** Truth of the other method's form: share where the test did not find the own form better. */
  power: number;
  /** Truth of the other form: share where the other form was found significantly better (interval below 0). */
  otherFoundBetter: number;
  /** Truth of the method's own form: share where the other form was found significantly better (interval below 0). */
  otherFoundBetterUnderOwn: number;
}

/** Runs `replicates` synthetic replicates of each truth through the decision rule of form-comparison.ts. */
export function calibrate(model: NoiseModel, scenario: Scenario, replicates: number, confidence: number, rng: Rng): CalibrationRates {
  const own = model.method;
  const other = otherMethod(own);
  let falseRejections = 0;
  let rejections = 0;
  let otherBetter = 0;
  let otherBetterUnderOwn = 0;
  for (let r = 0; r < replicates; r++) {
    const ownTruth = judge(model, own, scenario, confidence, rng.fork(`own/${r}`));
    if (!ownTruth.ownFormBetter) falseRejections++;
    if (ownTruth.otherFormBetter) otherBetterUnderOwn++;
    const otherTruth = judge(model, other, scenario, confidence, rng.fork(`other/${r}`));
    if (!otherTruth.ownFormBetter) rejections++;
    if (otherTruth.otherFormBetter) otherBetter++;
  }
  return {
    scenario,
    replicates,
    falseRejection: falseRejections / replicates,
    power: rejections / replicates,
    otherFoundBetter: otherBetter / replicates,
    otherFoundBetterUnderOwn: otherBetterUnderOwn / replicates,
  };
}

/** One replicate: synthetic curves drawn from `truth`, judged for the model's method. A curve that cannot be fitted counts against the claim. */
function judge(model: NoiseModel, truth: Method, scenario: Scenario, confidence: number, rng: Rng): { ownFormBetter: boolean; otherFormBetter: boolean } {
  const curves = syntheticCurves(model, truth, scenario, rng.fork('curves'));
  const split = splitPrompts(curves[0]!.perPromptGain[0]!.length, rng.fork('split'));
  if (!split) throw new RangeError('calibrate: too few prompts to halve');
  const comparison = compareOnSplit(model.method, curves, split, confidence);
  if (!comparison) return { ownFormBetter: false, otherFormBetter: false };
  return { ownFormBetter: comparison.ownFormBetter, otherFormBetter: comparison.advantage.high < 0 };
}

/**
 * The noise of real curves: per prompt, gains over the curve's start minus the mean gains. Curves with a different
 * prompt count from the first are left out (they cannot be drawn jointly).
 */
export function noiseModelOf(method: Method, curves: readonly FormCurve[]): NoiseModel {
  const prompts = curves[0]?.perPromptGain[0]?.length ?? 0;
  const kept = curves.filter((c) => c.perPromptGain[0]?.length === prompts);
  return {
    method,
    curves: kept.map((curve) => {
      const points = curve.perPromptGain.length;
      const means = curve.perPromptGain.map((row) => mean(row));
      const residuals = Array.from({ length: prompts }, (_, p) => Float64Array.from({ length: points }, (_, j) => curve.perPromptGain[j]![p]! - means[j]!));
      return { curve: curve.curve, d: [...curve.d], residuals };
    }),
  };
}
