import type { Rng } from '@goodhart/core';
import { MIN_RL_DISTANCE, predictCurve, type CoefficientFit } from '../curve-fits.ts';
import { leastSquaresThroughOrigin } from '../least-squares.ts';
import { SingularMatrixError } from '../linear-solve.ts';
import { tIntervalOfMean } from '../student-t.ts';
import type { Interval, Method } from '../types.ts';
import { meanOver, splitPrompts, type PromptSplit } from './prompt-split.ts';

/**
 * Finding 2's held-out test of the two forms: does each method's own form predict its curves better than the other
 * method's form? R² alone cannot say so: both forms have two coefficients and, over the d a curve spans, both can
 * reach a high R² on the same points. So each curve is fitted with BOTH forms on one random half of its prompts,
 * and both fits predict the other half's mean gains. Per held-out prompt p the difference of squared errors,
 *
 *   e_p = Σ_j (g_pj − other(d_j))² − (g_pj − own(d_j))²,
 *
 * averages over the held-out prompts to exactly the difference of the two forms' squared errors on the held-out
 * mean curve (the prompt-level noise cancels because it is the same for both forms). Given the fitting half, the
 * e_p are independent across held-out prompts, so a t interval over them is an interval for how much better the
 * own form predicts. The curves of one method share one split and are pooled by prompt (e_p summed over curves),
 * which keeps the correlation between curves scored on the same prompts. The own form "predicts better" when that
 * interval lies above 0: a direction shown by an interval, as every finding here must.
 *
 * Its false rejection (own form true, interval not above 0) and power (other form true, interval not above 0) were
 * measured on synthetic curves with this pipeline's noise before it was run on any reported curve: see
 * form-calibration.ts and docs/experiments/2026-12-07-finding-2.md.
 */

/** One curve's per-prompt data, as gains over each prompt's start (d = 0) so both forms pass through the origin. */
export interface FormCurve {
  curve: string;
  /** perPromptGain[j][p]: prompt p's gold at point j minus its gold at the curve's first (d = 0) point. */
  perPromptGain: readonly ArrayLike<number>[];
  /**
   * d per point: fixed by n for best-of-n, and for RL √(mean KL over all prompts), as the stage's fits take it. Both
   * halves use the same d: the KL at a step is the policy's, and a half's own mean KL would only add the noise of
   * its prompts to the x axis (where the RL form is steep, near d = 0, that noise alone would count against it).
   */
  d: readonly number[];
}

export interface CurveComparison {
  curve: string;
  /** Mean squared error of the two forms' predictions of the held-out mean gains, per point. */
  ownMse: number;
  otherMse: number;
  /** Mean over held-out prompts of e_p for this curve alone: > 0 when the own form predicted it better. */
  advantage: number;
  /** The two fits on the fitting half. */
  own: CoefficientFit;
  other: CoefficientFit;
}

export interface FormComparison {
  method: Method;
  /** The form the curves are claimed to follow (method) and the one it is compared with. */
  otherForm: Method;
  curves: CurveComparison[];
  /** Curves left out, with why (a half too degenerate to fit either form). */
  skipped: { curve: string; reason: string }[];
  fitPrompts: number;
  scorePrompts: number;
  /** Mean over held-out prompts of Σ_curves e_p with its two-sided t interval at `confidence`. */
  advantage: Interval;
  /** advantage.low > 0: the own form predicts this method's curves better. */
  ownFormBetter: boolean;
}

export function otherMethod(method: Method): Method {
  return method === 'bon' ? 'rl' : 'bon';
}

/**
 * The held-out comparison for the curves of one method. null when there are no curves, their prompt counts differ
 * (they cannot share a split), there are too few prompts to halve, or no curve could be fitted on its half.
 */
export function compareFormsHeldOut(method: Method, curves: readonly FormCurve[], splitRng: Rng, confidence: number): FormComparison | null {
  if (curves.length === 0) return null;
  const prompts = promptCount(curves[0]!);
  if (curves.some((curve) => promptCount(curve) !== prompts)) return null;
  const split = splitPrompts(prompts, splitRng);
  if (!split) return null;
  return compareOnSplit(method, curves, split, confidence);
}

/** The comparison on a given split (exported for the calibration, which draws its own). */
export function compareOnSplit(method: Method, curves: readonly FormCurve[], split: PromptSplit, confidence: number): FormComparison | null {
  const otherForm = otherMethod(method);
  const pooled = new Float64Array(split.measure.length);
  const compared: CurveComparison[] = [];
  const skipped: { curve: string; reason: string }[] = [];
  for (const curve of curves) {
    const result = compareCurve(method, otherForm, curve, split, pooled);
    if ('reason' in result) skipped.push({ curve: curve.curve, reason: result.reason });
    else compared.push(result);
  }
  if (compared.length === 0) return null;
  const interval = tIntervalOfMean(pooled, confidence);
  return {
    method,
    otherForm,
    curves: compared,
    skipped,
    fitPrompts: split.select.length,
    scorePrompts: split.measure.length,
    advantage: interval,
    ownFormBetter: interval.low > 0,
  };
}

/**
 * Fits both forms on the fitting half and adds this curve's e_p to `pooled` (indexed like split.measure). Each point
 * is weighted by 1/variance of its per-prompt gains on the fitting half, in the fits and in the score: a best-of-n
 * or RL curve's spread grows along it (0 at d = 0), and unweighted squares would let its noisiest points decide. The
 * weights come from the fitting half only, so given that half the scored e_p stay independent across prompts.
 */
function compareCurve(method: Method, otherForm: Method, curve: FormCurve, split: PromptSplit, pooled: Float64Array): CurveComparison | { reason: string } {
  const fitHalf = halfMeans(curve, split.select);
  const scoreHalf = halfMeans(curve, split.measure);
  const weights = curve.perPromptGain.map((row, j) => {
    const variance = varianceOver(row, split.select, fitHalf.gain[j]!);
    return variance > MIN_VARIANCE ? 1 / variance : 0;
  });
  let own: CoefficientFit;
  let other: CoefficientFit;
  try {
    own = weightedFit(method, fitHalf.d, fitHalf.gain, weights);
    other = weightedFit(otherForm, fitHalf.d, fitHalf.gain, weights);
  } catch (error) {
    if (error instanceof RangeError || error instanceof SingularMatrixError) return { reason: error.message };
    throw error;
  }
  const ownPrediction = scoreHalf.d.map((d) => predictCurve(method, own.alpha, own.beta, d));
  const otherPrediction = scoreHalf.d.map((d) => predictCurve(otherForm, other.alpha, other.beta, d));
  const points = scoreHalf.d.length;
  let advantage = 0;
  for (let i = 0; i < split.measure.length; i++) {
    const p = split.measure[i]!;
    let e = 0;
    for (let j = 0; j < points; j++) {
      const g = curve.perPromptGain[j]![p]!;
      e += weights[j]! * ((g - otherPrediction[j]!) ** 2 - (g - ownPrediction[j]!) ** 2);
    }
    pooled[i] = pooled[i]! + e;
    advantage += e;
  }
  let ownSquares = 0;
  let otherSquares = 0;
  for (let j = 0; j < points; j++) {
    ownSquares += (scoreHalf.gain[j]! - ownPrediction[j]!) ** 2;
    otherSquares += (scoreHalf.gain[j]! - otherPrediction[j]!) ** 2;
  }
  return { curve: curve.curve, ownMse: ownSquares / points, otherMse: otherSquares / points, advantage: advantage / split.measure.length, own, other };
}

/** Below this a point's per-prompt gains do not vary (a d = 0 point: every gain is 0); it carries no weight. */
const MIN_VARIANCE = 1e-12;

/** A form fitted through the origin by weighted least squares (rows scaled by √weight); RL drops d ≤ MIN_RL_DISTANCE. */
function weightedFit(form: Method, d: readonly number[], gain: readonly number[], weights: readonly number[]): CoefficientFit {
  const rows = d.flatMap((dj, j) => (weights[j]! > 0 && (form === 'bon' || dj > MIN_RL_DISTANCE) ? [j] : []));
  if (rows.length < 2)
    throw new RangeError(`form comparison: needs at least 2 points with spread${form === 'rl' ? ` and d > ${MIN_RL_DISTANCE}` : ''}, got ${rows.length}`);
  const root = rows.map((j) => Math.sqrt(weights[j]!));
  const linear = Float64Array.from(rows, (j, i) => root[i]! * d[j]!);
  const curvature = Float64Array.from(rows, (j, i) => -root[i]! * (form === 'bon' ? d[j]! * d[j]! : d[j]! * Math.log(d[j]!)));
  const y = Float64Array.from(rows, (j, i) => root[i]! * gain[j]!);
  const fit = leastSquaresThroughOrigin([linear, curvature], y);
  return { alpha: fit.coefficients[0]!, beta: fit.coefficients[1]!, r2: fit.r2, points: rows.length };
}

function varianceOver(row: ArrayLike<number>, prompts: Int32Array, mean: number): number {
  let squares = 0;
  for (let i = 0; i < prompts.length; i++) squares += (row[prompts[i]!]! - mean) ** 2;
  return squares / (prompts.length - 1);
}

/** d and mean gain per point over the given prompts. */
function halfMeans(curve: FormCurve, prompts: Int32Array): { d: readonly number[]; gain: number[] } {
  return { d: curve.d, gain: curve.perPromptGain.map((row) => meanOver(row, prompts)) };
}

function promptCount(curve: FormCurve): number {
  return curve.perPromptGain[0]?.length ?? 0;
}
