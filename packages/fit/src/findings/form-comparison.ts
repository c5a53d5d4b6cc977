import type { Rng } from '@goodhart/core';
import { distanceFromKl, fitCurve, predictCurve, type CoefficientFit } from '../curve-fits.ts';
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
   * d per point: fixed by n for best-of-n (`fixed`), or from the mean KL of whichever prompts are averaged for RL
   * (`kl`, perPromptKl[j][p]), so each half of the prompts has its own d.
   */
  distance: { kind: 'fixed'; d: readonly number[] } | { kind: 'kl'; perPromptKl: readonly ArrayLike<number>[] };
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

/** Fits both forms on the fitting half and adds this curve's e_p to `pooled` (indexed like split.measure). */
function compareCurve(method: Method, otherForm: Method, curve: FormCurve, split: PromptSplit, pooled: Float64Array): CurveComparison | { reason: string } {
  const fitHalf = halfMeans(curve, split.select);
  const scoreHalf = halfMeans(curve, split.measure);
  let own: CoefficientFit;
  let other: CoefficientFit;
  try {
    own = fitCurve(method, fitHalf.d, fitHalf.gain);
    other = fitCurve(otherForm, fitHalf.d, fitHalf.gain);
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
      e += (g - otherPrediction[j]!) ** 2 - (g - ownPrediction[j]!) ** 2;
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

/** d and mean gain per point over the given prompts (RL's d from the mean KL over the same prompts). */
function halfMeans(curve: FormCurve, prompts: Int32Array): { d: number[]; gain: number[] } {
  const gain = curve.perPromptGain.map((row) => meanOver(row, prompts));
  const d = curve.distance.kind === 'fixed' ? [...curve.distance.d] : curve.distance.perPromptKl.map((row) => distanceFromKl(meanOver(row, prompts)));
  return { d, gain };
}

function promptCount(curve: FormCurve): number {
  return curve.perPromptGain[0]?.length ?? 0;
}
