import type { CurveFit, Method, ScalingFit } from '../types.ts';
import { mean, olsLine } from './stats.ts';

/** A coefficient's trend against log10(RM parameters): where it came from, and its slope. */
export interface Trend {
  slope: number;
  source: 'scaling fit' | 'own least squares';
  slice: string;
  points: number;
}

/** The comparisons count a scaling fit's slice names ("comparisons=4000" or "…comparisons=4000…"), if any. */
export function sliceComparisons(slice: string): number | undefined {
  const match = /comparisons\s*=\s*(\d+(?:\.\d+)?)/.exec(slice);
  return match ? Number(match[1]) : undefined;
}

/**
 * The fitting library's trend of `coefficient` vs log10(parameters) at `comparisons`. The slice naming belongs to the
 * fitting library, so this looks for the count inside the slice text and, failing an exact match, takes the largest
 * count named (or, when no slice names one, the fit with the most points).
 */
export function findParameterScaling(scaling: readonly ScalingFit[], method: Method, coefficient: 'alpha' | 'beta', comparisons: number): ScalingFit | undefined {
  const candidates = scaling.filter((s) => s.method === method && s.coefficient === coefficient && s.against === 'log10_parameters' && Number.isFinite(s.slope));
  const exact = candidates.find((s) => sliceComparisons(s.slice) === comparisons);
  if (exact) return exact;
  const named = candidates.filter((s) => sliceComparisons(s.slice) !== undefined).sort((a, b) => sliceComparisons(b.slice)! - sliceComparisons(a.slice)!);
  if (named[0]) return named[0];
  return [...candidates].sort((a, b) => b.points.length - a.points.length)[0];
}

/**
 * A trend from the library's scaling fits when there is one, else a least-squares line through the per-curve
 * coefficients (averaged over seeds per size), so the finding still answers when the library skipped a slice.
 */
export function parameterTrend(scaling: readonly ScalingFit[], fits: readonly CurveFit[], method: Method, coefficient: 'alpha' | 'beta', comparisons: number): Trend | undefined {
  const found = findParameterScaling(scaling, method, coefficient, comparisons);
  if (found) return { slope: found.slope, source: 'scaling fit', slice: found.slice, points: found.points.length };
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
