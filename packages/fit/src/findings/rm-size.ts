import type { CurveFit, FitInput, FitResults } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { parameterTrend, type Trend } from './scaling-lookup.ts';
import { distinct, groupBy, sizesByParameters } from './selection.ts';
import { mean } from './stats.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 3. At the largest comparisons count that has at least two RM sizes, the trends of the coefficients against
 * log10(parameters) must go the paper's way: α_bon slope > 0, β_bon slope < 0, and — when the RL runs sweep RM size
 * too — β_RL slope < 0. Predicted peaks (d*, R*) per size are reported alongside. Null with fewer than two sizes.
 */
export function checkRmSize(input: FitInput, results: FitResults): Check {
  const byCount = groupBy(input.bon, (curve) => String(curve.proxy.comparisons));
  const counts = [...byCount.keys()].map(Number).filter((c) => distinct(byCount.get(String(c))!.map((curve) => curve.proxy.size)).length >= 2);
  const allSizes = sizesByParameters(input.bon.map((curve) => curve.proxy));
  if (counts.length === 0) {
    return {
      holds: null,
      evidence: `Needs BoN curves of at least two RM sizes at one comparisons count; this preset has ${allSizes.length} RM size(s) (${allSizes.map((s) => s.size).join(', ') || 'none'}).`,
      numbers: { rm_sizes: allSizes.length },
    };
  }
  const comparisons = Math.max(...counts);
  const bonFits = results.bon.filter((fit) => fit.proxy.comparisons === comparisons);
  const alphaBon = parameterTrend(results.scaling, bonFits, 'bon', 'alpha', comparisons);
  const betaBon = parameterTrend(results.scaling, bonFits, 'bon', 'beta', comparisons);

  // The RL sweep: unpenalised runs of one policy against RMs of at least two sizes.
  const rlFits = results.rl.filter((fit) => fit.klCoefficient === 0);
  const rlSizes = distinct(rlFits.map((fit) => fit.proxy.size));
  const rlComparisons = rlFits.length > 0 ? Math.max(...rlFits.map((fit) => fit.proxy.comparisons)) : comparisons;
  const betaRl = rlSizes.length >= 2 ? parameterTrend(results.scaling, rlFits.filter((f) => f.proxy.comparisons === rlComparisons), 'rl', 'beta', rlComparisons) : undefined;

  const sizes = sizesByParameters(bonFits.map((fit) => fit.proxy));
  const peaks = sizes.map((s) => peakOf(bonFits.filter((fit) => fit.proxy.size === s.size)));
  const numbers: FindingNumbers = {
    rm_sizes: sizes.length,
    comparisons,
    alpha_bon_slope: num(alphaBon?.slope),
    alpha_bon_source: alphaBon?.source ?? null,
    beta_bon_slope: num(betaBon?.slope),
    beta_bon_source: betaBon?.source ?? null,
    rl_rm_sizes: rlSizes.length,
    beta_rl_slope: num(betaRl?.slope),
    beta_rl_source: betaRl?.source ?? null,
  };
  sizes.forEach((s, i) => {
    numbers[`peak_d_${s.size}`] = num(peaks[i]!.d);
    numbers[`peak_gold_${s.size}`] = num(peaks[i]!.gold);
  });
  const first = peaks[0]!;
  const last = peaks[peaks.length - 1]!;
  numbers.peaks_later_and_higher = Number.isFinite(first.d) && Number.isFinite(last.d) ? last.d > first.d && last.gold > first.gold : null;

  const holds = positive(alphaBon) && negative(betaBon) && (betaRl === undefined || negative(betaRl));
  const rlText = betaRl ? `, β_RL ${fmt(betaRl.slope, 4)}` : rlSizes.length >= 2 ? ', β_RL trend unavailable' : ' (no RL RM-size sweep)';
  const peakText = sizes.map((s, i) => `${s.size} d* ${fmt(peaks[i]!.d, 2)}, R* ${fmt(peaks[i]!.gold, 2)}`).join('; ');
  return {
    holds,
    evidence: `Slopes per decade of RM parameters at ${comparisons} comparisons: α_bon ${fmt(alphaBon?.slope, 4)}, β_bon ${fmt(betaBon?.slope, 4)}${rlText}. Predicted BoN peaks: ${peakText}.`,
    numbers,
  };
}

/** Undefined or NaN trends fail: the finding claims a direction, and no trend shows none. */
function positive(trend: Trend | undefined): boolean {
  return trend !== undefined && trend.slope > 0;
}

function negative(trend: Trend | undefined): boolean {
  return trend !== undefined && trend.slope < 0;
}

/** Mean predicted peak over the seeds of one size; NaN when no fit of that size has a peak. */
function peakOf(fits: readonly CurveFit[]): { d: number; gold: number } {
  const withPeak = fits.flatMap((fit) => (fit.peak ? [fit.peak] : []));
  return { d: mean(withPeak.map((p) => p.d)), gold: mean(withPeak.map((p) => p.gold)) };
}
