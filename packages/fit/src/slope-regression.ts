import { assertFiniteArray } from '@goodhart/core';
import { studentTQuantile } from './student-t.ts';

/**
 * The slope of a coefficient against a covariate (α or β against log10 RM parameters), with a t interval: the
 * question of finding 3 is whether the trend's direction is real, and with five RM sizes and one seed the slope
 * has 3 degrees of freedom. Points may come in groups that share the slope but not the level (one group per
 * policy size, say): each group gets its own intercept, which is ordinary least squares after centring x and y
 * within groups (Frisch–Waugh), with one degree of freedom spent per group.
 *
 * The residual scatter about the line carries every source of noise at once — the prompts behind each fitted
 * coefficient, the seed of each RM's training, and how far the trend is from a straight line — so the interval
 * does not depend on any one of them being modelled right. Replicate seeds of a size are extra points.
 */

export interface SlopePoint {
  x: number;
  y: number;
  /** Points with different groups get different intercepts; default one group. */
  group?: string;
}

export interface SlopeEstimate {
  slope: number;
  /** Two-sided t interval; NaN when there are no residual degrees of freedom. */
  low: number;
  high: number;
  standardError: number;
  /** points − groups − 1. */
  degreesOfFreedom: number;
  points: number;
  groups: number;
  /** Share of the within-group variance of y the slope explains. */
  r2: number;
}

/** null when x does not vary within any group (no slope to estimate). */
export function slopeWithInterval(points: readonly SlopePoint[], confidence: number): SlopeEstimate | null {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  assertFiniteArray(
    'slope regression: x',
    points.map((p) => p.x),
  );
  assertFiniteArray(
    'slope regression: y',
    points.map((p) => p.y),
  );
  const groups = new Map<string, SlopePoint[]>();
  for (const point of points) {
    const key = point.group ?? '';
    const members = groups.get(key);
    if (members) members.push(point);
    else groups.set(key, [point]);
  }
  const centred: { x: number; y: number }[] = [];
  for (const members of groups.values()) {
    const meanX = members.reduce((sum, p) => sum + p.x, 0) / members.length;
    const meanY = members.reduce((sum, p) => sum + p.y, 0) / members.length;
    for (const p of members) centred.push({ x: p.x - meanX, y: p.y - meanY });
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of centred) {
    sxx += p.x * p.x;
    sxy += p.x * p.y;
    syy += p.y * p.y;
  }
  // Relative to the spread of x, so sizes that differ by rounding error do not count as a slope's support.
  if (!(sxx > 1e-24 * Math.max(1, ...points.map((p) => p.x * p.x)))) return null;
  const slope = sxy / sxx;
  const residual = Math.max(syy - slope * sxy, 0);
  const degreesOfFreedom = points.length - groups.size - 1;
  const standardError = degreesOfFreedom > 0 ? Math.sqrt(residual / degreesOfFreedom / sxx) : Number.NaN;
  const half = degreesOfFreedom > 0 ? studentTQuantile(1 - (1 - confidence) / 2, degreesOfFreedom) * standardError : Number.NaN;
  return {
    slope,
    low: slope - half,
    high: slope + half,
    standardError,
    degreesOfFreedom,
    points: points.length,
    groups: groups.size,
    r2: syy > 0 ? 1 - residual / syy : Number.NaN,
  };
}
