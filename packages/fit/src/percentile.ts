import { quantileOfSorted } from '@goodhart/core';
import type { Interval } from './types.ts';

/**
 * Two-sided percentile interval from bootstrap draws, reported around the full-data estimate (not the mean of the
 * draws, which is biased for non-linear statistics such as fitted coefficients). Quantiles interpolate linearly
 * between order statistics (R's type 7), so the interval moves smoothly with the number of resamples.
 * `draws` is sorted in place. With no draws the interval is NaN on both sides.
 */
export function percentileInterval(estimate: number, draws: Float64Array, confidence: number): Interval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (draws.length === 0) return { mean: estimate, low: Number.NaN, high: Number.NaN };
  draws.sort();
  const tail = (1 - confidence) / 2;
  return { mean: estimate, low: quantileOfSorted(draws, tail), high: quantileOfSorted(draws, 1 - tail) };
}
