import type { CurveFit, Method, ScalingFit } from '../types.ts';
import { mean, olsLine } from './stats.ts';

/** A coefficient's trend against log10(RM parameters): where it came from, and its slope. */
export interface Trend {
  slope: number;
  source: 'scaling fit' | 'own least squares';
  /** The slices averaged, joined by "; ". */
  slice: string;
  points: number;
}

/** The comparisons count a scaling fit's slice names ("comparisons=4000" or "…comparisons=4000…"), if any. */
export function sliceComparisons(slice: string): number | undefined {
  const match = /comparisons\s*=\s*(\d+(?:\.\d+)?)/.exec(slice);
  return match ? Number(match[1]) : undefined;
}

/**
 * The fitting library's trends of `coefficient` vs log10(parameters) at `comparisons`. The slice naming belongs to
 * the fitting library ("comparisons=4000 seed=0 …"), so this looks for the count inside the slice text; several
 * slices can match (one per seed or policy), and all are returned. Failing an exact match it takes the largest count
 * named, or, when no slice names one, the fit with the most points.
 */
export function findParameterScaling(scaling: readonly ScalingFit[], method: Method, coefficient: 'alpha' | 'beta', comparisons: number): ScalingFit[] {
  const candidates = scaling.filter((s) => s.method === method && s.coefficient === coefficient && s.against === 'log10_parameters' && Number.isFinite(s.slope));
  const exact = candidates.filter((s) => sliceComparisons(s.slice) === comparisons);
  if (exact.length > 0) return exact;
  const named = candidates.filter((s) => sliceComparisons(s.slice) !== undefined);
  if (named.length > 0) {
    const largest = Math.max(...named.map((s) => sliceComparisons(s.slice)!));
    return named.filter((s) => sliceComparisons(s.slice) === largest);
  }
  const widest = [...candidates].sort((a, b) => b.points.length - a.points.length)[0];
  return widest ? [widest] : [];
}

/**
 * A trend from the library's scaling fits when there is one, else a least-squares line through the per-curve
 * coefficients (averaged over seeds per size), so the finding still answers when the library skipped a slice.
 */
export function parameterTrend(scaling: readonly ScalingFit[], fits: readonly CurveFit[], method: Method, coefficient: 'alpha' | 'beta', comparisons: number): Trend | undefined {
  const found = findParameterScaling(scaling, method, coefficient, comparisons);
  if (found.length > 0) {
    // Replicate slices (seeds, policies) are averaged: the finding is about the direction, not one replicate.
    return { slope: mean(found.map((s) => s.slope)), source: 'scaling fit', slice: found.map((s) => s.slice).join('; '), points: found.reduce((n, s) => n + s.points.length, 0) };
  }
  const bySize = new Map<number, number[]>();
  for (const fit of fits) {
    const value = coefficient === 'alpha' ? fit.alpha.mean : fit.beta.mean;
    if (!Number.isFinite(value) || fit.proxy.parameters <= 0) continue;
    const list = bySize.get(fit.proxy.parameters) ?? [];
    list.push(value);
    bySize.set(fit.proxy.parameters, list);
  }
  if (bySize.size < 2) return undefined;
  const xs = [...bySize.keys()].map((p) => Math.log10(p));
  const ys = [...bySize.values()].map((v) => mean(v));
  return { slope: olsLine(xs, ys).slope, source: 'own least squares', slice: `comparisons=${comparisons}`, points: xs.length };
}
