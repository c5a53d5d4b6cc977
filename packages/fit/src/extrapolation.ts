import { fitCurve, MIN_RL_DISTANCE, predictCurve } from './curve-fits.ts';
import { SingularMatrixError } from './linear-solve.ts';
import type { CurveFit, Method } from './types.ts';
import { assertFiniteArray, assertSameLength } from '@goodhart/core';

export type Extrapolation = NonNullable<CurveFit['extrapolation']>;

/**
 * The paper's test of the functional forms (chosen on n ≤ 1,000, then used to predict n up to 60,000): fit only the
 * points with d ≤ fraction·max d, predict the rest, and report how far the predictions land from the measured gold.
 * null when either side has fewer than 2 points (RL counts only points with d > 0, which the fit can use), or when
 * the fitted part cannot determine α and β.
 */
export function extrapolationCheck(method: Method, d: ArrayLike<number>, gold: ArrayLike<number>, fraction: number): Extrapolation | null {
  assertSameLength('extrapolation: d and gold', d, gold);
  assertFiniteArray('extrapolation: d', d);
  assertFiniteArray('extrapolation: gold', gold);
  if (!(fraction > 0)) throw new RangeError(`extrapolation fraction must be positive, got ${fraction}`);

  const usable = Array.from(d, (value, i) => ({ d: value, gold: gold[i]! })).filter((point) => method === 'bon' || point.d > MIN_RL_DISTANCE);
  if (usable.length === 0) return null;
  const fitUpToD = fraction * Math.max(...usable.map((point) => point.d));
  const fitted = usable.filter((point) => point.d <= fitUpToD);
  const predicted = usable.filter((point) => point.d > fitUpToD);
  if (fitted.length < 2 || predicted.length < 2) return null;

  let coefficients: { alpha: number; beta: number };
  try {
    coefficients = fitCurve(
      method,
      fitted.map((point) => point.d),
      fitted.map((point) => point.gold),
    );
  } catch (error) {
    if (error instanceof SingularMatrixError) return null;
    throw error;
  }
  let squares = 0;
  let maxAbsError = 0;
  for (const point of predicted) {
    const error = predictCurve(method, coefficients.alpha, coefficients.beta, point.d) - point.gold;
    squares += error * error;
    maxAbsError = Math.max(maxAbsError, Math.abs(error));
  }
  return {
    fitUpToD,
    fittedPoints: fitted.length,
    predictedPoints: predicted.length,
    rmse: Math.sqrt(squares / predicted.length),
    maxAbsError,
  };
}
