import type { Rng } from '@goodhart/core';
import type { Interval } from '../types.ts';

/** Small statistics the findings need; the fitting library has its own, and this module must not depend on it. */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Linear-interpolated quantile of an ascending array, q in [0, 1]. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

/**
 * Mean of `values` over prompts with a percentile bootstrap interval (prompts resampled with replacement).
 * The caller passes a stream forked by a label, so each curve's interval is reproducible on its own.
 */
export function bootstrapMean(values: ArrayLike<number>, rng: Rng, resamples: number, confidence: number): Interval {
  const count = values.length;
  if (count === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN };
  let total = 0;
  for (let p = 0; p < count; p++) total += values[p]!;
  const draws = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let p = 0; p < count; p++) sum += values[rng.int(count)]!;
    draws[b] = sum / count;
  }
  draws.sort();
  const tail = (1 - confidence) / 2;
  return { mean: total / count, low: quantileOfSorted(draws, tail), high: quantileOfSorted(draws, 1 - tail) };
}

/**
 * Piecewise-linear interpolation of y at x over points sorted by x; undefined outside [x_first, x_last] so callers
 * never compare against an extrapolated value.
 */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number | undefined {
  if (xs.length === 0 || x < xs[0]! || x > xs[xs.length - 1]!) return undefined;
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]!) {
      const span = xs[i]! - xs[i - 1]!;
      if (span <= 0) return ys[i]!;
      const t = (x - xs[i - 1]!) / span;
      return ys[i - 1]! * (1 - t) + ys[i]! * t;
    }
  }
  return ys[ys.length - 1]!;
}

/** Ordinary least-squares slope and intercept of y on x; NaN when x does not vary. */
export function olsLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  if (!(sxx > 0)) return { slope: Number.NaN, intercept: Number.NaN };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Index of the largest value (first one on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Half the width of an interval: a symmetric stand-in for its standard error scale. */
export function halfWidth(interval: Interval): number {
  return (interval.high - interval.low) / 2;
}
