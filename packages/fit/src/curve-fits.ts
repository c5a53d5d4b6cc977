import { leastSquaresThroughOrigin, rSquared } from './least-squares.ts';
import type { Method } from './types.ts';
import { assertFiniteArray, assertSameLength } from '@goodhart/core';

/**
 * The paper's functional forms (paper-notes §4), fitted by least squares through the origin on one curve's mean
 * gold:  R_bon(d) = d(α − β·d)  (design [d, −d²])  and  R_RL(d) = d(α − β·ln d)  (design [d, −d·ln d]).
 * d = sqrt(KL). Both forms are 0 at d = 0 by construction, which is what the normalisation R(0) = 0 asks for.
 */

/**
 * RL points at or below this d are dropped: ln d is undefined at 0, and KL estimates at step 0 come out ≈ 0 (or
 * slightly negative, clamped to 0 by distanceFromKl), carrying no information about β.
 */
export const MIN_RL_DISTANCE = 1e-12;

export interface CoefficientFit {
  alpha: number;
  beta: number;
  r2: number;
  /** Points the fit used (RL drops d ≤ MIN_RL_DISTANCE). */
  points: number;
}

export interface Peak {
  d: number;
  gold: number;
}

/** d = sqrt(KL), with small negative KL estimates (sampling noise around 0) treated as 0. */
export function distanceFromKl(kl: number): number {
  return Math.sqrt(Math.max(kl, 0));
}

export function fitBon(d: ArrayLike<number>, gold: ArrayLike<number>): CoefficientFit {
  checkCurve('fitBon', d, gold);
  const n = d.length;
  const linear = new Float64Array(n);
  const quadratic = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    linear[i] = d[i]!;
    quadratic[i] = -d[i]! * d[i]!;
  }
  const fit = leastSquaresThroughOrigin([linear, quadratic], gold);
  return { alpha: fit.coefficients[0]!, beta: fit.coefficients[1]!, r2: fit.r2, points: n };
}

export function fitRl(d: ArrayLike<number>, gold: ArrayLike<number>): CoefficientFit {
  checkCurve('fitRl', d, gold);
  const kept = keepPositive(d, gold);
  if (kept.d.length < 2) {
    throw new RangeError(`fitRl: needs at least 2 points with d > ${MIN_RL_DISTANCE}, got ${kept.d.length}`);
  }
  const fit = leastSquaresThroughOrigin([kept.d, rlLogColumn(kept.d)], kept.gold);
  return { alpha: fit.coefficients[0]!, beta: fit.coefficients[1]!, r2: fit.r2, points: kept.d.length };
}

export function fitCurve(method: Method, d: ArrayLike<number>, gold: ArrayLike<number>): CoefficientFit {
  return method === 'bon' ? fitBon(d, gold) : fitRl(d, gold);
}

export function predictBon(alpha: number, beta: number, d: number): number {
  return d * (alpha - beta * d);
}

/** d·ln d → 0 as d → 0, so the RL form is continued by R(0) = 0. */
export function predictRl(alpha: number, beta: number, d: number): number {
  return d > 0 ? d * (alpha - beta * Math.log(d)) : 0;
}

export function predictCurve(method: Method, alpha: number, beta: number, d: number): number {
  return method === 'bon' ? predictBon(alpha, beta, d) : predictRl(alpha, beta, d);
}

/**
 * Maximum of d(α − βd): d* = α/2β, R* = α²/4β. null when β ≤ 0 (gold never turns down) and also when α ≤ 0,
 * where d* ≤ 0: the curve only falls for d > 0, so there is no peak on the KL axis either.
 */
export function bonPeak(alpha: number, beta: number): Peak | null {
  if (!(beta > 0) || !(alpha > 0)) return null;
  return { d: alpha / (2 * beta), gold: (alpha * alpha) / (4 * beta) };
}

/**
 * Maximum of d(α − β ln d): setting α − β ln d − β = 0 gives d* = e^(α/β − 1) and R* = β·d*. For β > 0 this is
 * always an interior maximum (d* > 0 for any α); null when β ≤ 0.
 */
export function rlPeak(alpha: number, beta: number): Peak | null {
  if (!(beta > 0)) return null;
  const d = Math.exp(alpha / beta - 1);
  return { d, gold: beta * d };
}

export function peakOf(method: Method, alpha: number, beta: number): Peak | null {
  return method === 'bon' ? bonPeak(alpha, beta) : rlPeak(alpha, beta);
}

export interface CurveData {
  d: ArrayLike<number>;
  gold: ArrayLike<number>;
}

export interface SharedAlphaCoefficients {
  alpha: number;
  /** β per curve, in input order. */
  betas: number[];
  /** R² of each curve's points under (shared α, its own β). */
  r2s: number[];
  /** Points each curve contributed after dropping d ≤ MIN_RL_DISTANCE. */
  points: number[];
}

/**
 * RL curves of one RM-size sweep with α shared and β per curve (paper §4). The stacked design has one α column (d
 * on every curve's rows) and one −d·ln d column per curve, zero on the other curves' rows.
 */
export function fitRlSharedAlpha(curves: readonly CurveData[]): SharedAlphaCoefficients {
  if (curves.length === 0) throw new RangeError('fitRlSharedAlpha: no curves');
  const kept = curves.map((curve, c) => {
    checkCurve(`fitRlSharedAlpha curve ${c}`, curve.d, curve.gold);
    const positive = keepPositive(curve.d, curve.gold);
    if (positive.d.length === 0) throw new RangeError(`fitRlSharedAlpha: curve ${c} has no points with d > ${MIN_RL_DISTANCE}`);
    return positive;
  });
  const total = kept.reduce((sum, curve) => sum + curve.d.length, 0);
  const alphaColumn = new Float64Array(total);
  const betaColumns = kept.map(() => new Float64Array(total));
  const y = new Float64Array(total);
  let row = 0;
  kept.forEach((curve, c) => {
    const log = rlLogColumn(curve.d);
    for (let i = 0; i < curve.d.length; i++, row++) {
      alphaColumn[row] = curve.d[i]!;
      betaColumns[c]![row] = log[i]!;
      y[row] = curve.gold[i]!;
    }
  });
  const fit = leastSquaresThroughOrigin([alphaColumn, ...betaColumns], y);
  const alpha = fit.coefficients[0]!;
  const betas = kept.map((_, c) => fit.coefficients[c + 1]!);
  const r2s = kept.map((curve, c) =>
    rSquared(
      curve.gold,
      Array.from(curve.d, (d) => predictRl(alpha, betas[c]!, d)),
    ),
  );
  return { alpha, betas, r2s, points: kept.map((curve) => curve.d.length) };
}

function checkCurve(name: string, d: ArrayLike<number>, gold: ArrayLike<number>): void {
  assertSameLength(`${name}: d and gold`, d, gold);
  assertFiniteArray(`${name}: d`, d);
  assertFiniteArray(`${name}: gold`, gold);
}

function keepPositive(d: ArrayLike<number>, gold: ArrayLike<number>): { d: Float64Array; gold: Float64Array } {
  const keptD: number[] = [];
  const keptGold: number[] = [];
  for (let i = 0; i < d.length; i++) {
    if (d[i]! > MIN_RL_DISTANCE) {
      keptD.push(d[i]!);
      keptGold.push(gold[i]!);
    }
  }
  return { d: Float64Array.from(keptD), gold: Float64Array.from(keptGold) };
}

function rlLogColumn(d: Float64Array): Float64Array {
  return d.map((value) => -value * Math.log(value));
}
