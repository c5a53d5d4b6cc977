import type { Interval } from '../types.ts';

/** Small statistics the findings need (the bootstrap itself is core's). */

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
