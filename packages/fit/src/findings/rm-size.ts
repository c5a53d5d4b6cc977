import { slopeWithInterval, type SlopeEstimate, type SlopePoint } from '../slope-regression.ts';
import type { CurveFit, FitInput, FitResults } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { distinct, groupBy, sizesByParameters } from './selection.ts';
import { mean } from './stats.ts';
import { DEFAULT_CONFIDENCE } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 3, as regressions with intervals on the slopes (slope-regression.ts). At the largest comparisons count
 * whose best-of-n fits span at least two RM sizes, α_bon and β_bon are regressed on log10(RM parameters), every
 * (size, seed) fit one point; for RL, β_RL of the unpenalised runs at their largest comparisons count (from the
 * shared-α fit of its RM-size sweep where there is one, as the paper fits it, else the run's own fit), one
 * intercept per policy size. Holds when the t interval of each slope lies on the paper's side of 0: α_bon rising,
 * β_bon falling, and β_RL falling when the RL runs sweep RM size. A slope with no interval (fewer than three
 * points) cannot show a direction, so the finding is then null. Predicted peaks (d*, R*) per size are reported.
 */
export function checkRmSize(input: FitInput, results: FitResults): Check {
  const confidence = input.options.confidence > 0 && input.options.confidence < 1 ? input.options.confidence : DEFAULT_CONFIDENCE;
  const byCount = groupBy(results.bon, (fit) => String(fit.proxy.comparisons));
  const counts = [...byCount.entries()].filter(([, fits]) => distinct(fits.map((f) => f.proxy.size)).length >= 2).map(([count]) => Number(count));
  const allSizes = sizesByParameters(results.bon.map((fit) => fit.proxy));
  if (counts.length === 0) {
    return {
      holds: null,
      evidence: `Needs best-of-n fits of at least two RM sizes at one comparisons count; this preset has ${allSizes.length} RM size(s) (${allSizes.map((s) => s.size).join(', ') || 'none'}).`,
      numbers: { rm_sizes: allSizes.length },
    };
  }
  const comparisons = Math.max(...counts);
  const bonFits = results.bon.filter((fit) => fit.proxy.comparisons === comparisons);
  const alphaBon = slopeWithInterval(
    bonFits.map((fit) => point(fit, fit.alpha.mean)),
    confidence,
  );
  const betaBon = slopeWithInterval(
    bonFits.map((fit) => point(fit, fit.beta.mean)),
    confidence,
  );

  const rl = rlSweep(results);
  const betaRl = rl ? slopeWithInterval(rl.points, confidence) : null;

  const sizes = sizesByParameters(bonFits.map((fit) => fit.proxy));
  const peaks = sizes.map((s) => peakOf(bonFits.filter((fit) => fit.proxy.size === s.size)));
  const numbers: FindingNumbers = {
    rm_sizes: sizes.length,
    comparisons,
    bon_points: bonFits.length,
    confidence: num(confidence),
    ...slopeNumbers('alpha_bon', alphaBon),
    ...slopeNumbers('beta_bon', betaBon),
    rl_rm_sizes: rl?.sizes ?? 0,
    rl_comparisons: rl?.comparisons ?? null,
    ...slopeNumbers('beta_rl', betaRl),
  };
  sizes.forEach((s, i) => {
    numbers[`peak_d_${s.size}`] = num(peaks[i]!.d);
    numbers[`peak_gold_${s.size}`] = num(peaks[i]!.gold);
  });
  const first = peaks[0]!;
  const last = peaks[peaks.length - 1]!;
  numbers.peaks_later_and_higher = Number.isFinite(first.d) && Number.isFinite(last.d) ? last.d > first.d && last.gold > first.gold : null;

  const verdicts = [direction(alphaBon, 'up'), direction(betaBon, 'down'), ...(rl ? [direction(betaRl, 'down')] : [])];
  const holds = verdicts.includes(false) ? false : verdicts.includes(null) ? null : true;
  const rlText = rl
    ? `; β_RL ${slopeText(betaRl)} over ${rl.points.length} unpenalised runs at ${rl.comparisons} comparisons (${rl.source})`
    : ' (no RL RM-size sweep)';
  const peakText = sizes.map((s, i) => `${s.size} d* ${fmt(peaks[i]!.d, 2)}, R* ${fmt(peaks[i]!.gold, 2)}`).join('; ');
  const short = holds === null ? ' A slope needs at least three points for an interval, so its direction cannot be judged here.' : '';
  return {
    holds,
    evidence:
      `Slopes per decade of RM parameters with ${Math.round(confidence * 100)}% t intervals, at ${comparisons} comparisons over ${bonFits.length} (size, seed) best-of-n fits: ` +
      `α_bon ${slopeText(alphaBon)}, β_bon ${slopeText(betaBon)}${rlText}.${short} Predicted BoN peaks: ${peakText}.`,
    numbers,
  };
}

function point(fit: CurveFit, y: number, group?: string): SlopePoint {
  return { x: Math.log10(fit.proxy.parameters), y, group };
}

interface RlSweep {
  points: SlopePoint[];
  sizes: number;
  comparisons: number;
  source: string;
}

/**
 * The unpenalised RL runs at the largest comparisons count where one policy's runs cover at least two RM sizes;
 * null when none does. β is taken from the shared-α fit that contains the run, when there is one.
 */
function rlSweep(results: FitResults): RlSweep | null {
  const fits = results.rl.filter((fit) => fit.klCoefficient === 0);
  const sweeps = [...groupBy(fits, (fit) => `${fit.proxy.comparisons}/${fit.policy?.size ?? ''}`).values()].filter(
    (group) => distinct(group.map((fit) => fit.proxy.size)).length >= 2,
  );
  if (sweeps.length === 0) return null;
  const comparisons = Math.max(...sweeps.map((group) => group[0]!.proxy.comparisons));
  const chosen = sweeps.filter((group) => group[0]!.proxy.comparisons === comparisons).flat();
  const sharedBeta = new Map(results.rlSharedAlpha.flatMap((group) => group.betas.map((b) => [b.run, b.beta.mean] as const)));
  const shared = chosen.filter((fit) => sharedBeta.has(fit.curve)).length;
  return {
    points: chosen.map((fit) => point(fit, sharedBeta.get(fit.curve) ?? fit.beta.mean, fit.policy?.size ?? '')),
    sizes: distinct(chosen.map((fit) => fit.proxy.size)).length,
    comparisons,
    source:
      shared === chosen.length
        ? 'β from the shared-α fits, one intercept per policy'
        : `β from ${shared} shared-α and ${chosen.length - shared} single-run fits, one intercept per policy`,
  };
}

/** true when the interval lies on the claimed side of 0, false when it does not, null when there is no interval. */
function direction(estimate: SlopeEstimate | null, claimed: 'up' | 'down'): boolean | null {
  if (!estimate || !Number.isFinite(estimate.low) || !Number.isFinite(estimate.high)) return null;
  return claimed === 'up' ? estimate.low > 0 : estimate.high < 0;
}

function slopeText(estimate: SlopeEstimate | null): string {
  if (!estimate) return 'n/a';
  const interval = Number.isFinite(estimate.low) ? `[${fmt(estimate.low, 4)}, ${fmt(estimate.high, 4)}]` : '[no interval: 0 degrees of freedom]';
  return `${fmt(estimate.slope, 4)} ${interval}`;
}

function slopeNumbers(prefix: string, estimate: SlopeEstimate | null): FindingNumbers {
  return {
    [`${prefix}_slope`]: num(estimate?.slope),
    [`${prefix}_slope_low`]: num(estimate?.low),
    [`${prefix}_slope_high`]: num(estimate?.high),
    [`${prefix}_slope_df`]: estimate ? estimate.degreesOfFreedom : null,
  };
}

/** Mean predicted peak over the seeds of one size; NaN when no fit of that size has a peak. */
function peakOf(fits: readonly CurveFit[]): { d: number; gold: number } {
  const withPeak = fits.flatMap((fit) => (fit.peak ? [fit.peak] : []));
  return { d: mean(withPeak.map((p) => p.d)), gold: mean(withPeak.map((p) => p.gold)) };
}
