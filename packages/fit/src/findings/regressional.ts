import type { FitInput } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { MIN_PREDICTION_COVERAGE } from './thresholds.ts';
import type { Check } from './types.ts';

/**
 * Finding 8. With proxy = gold + independent Gaussian noise, BoN gold should follow ρσ·E[max of n normals] and never
 * turn down. Holds when the prediction lies inside the gold interval at ≥ MIN_PREDICTION_COVERAGE of the points, and
 * mean gold is non-decreasing within intervals: no point's interval lies wholly below an earlier point's interval
 * (a fall that large would be a real peak). Null when the preset wrote no regressional check.
 */
export function checkRegressional(input: FitInput): Check {
  const check = input.regressional;
  if (!check || check.points.length === 0) {
    return {
      holds: null,
      evidence: 'Needs the synthetic gold + Gaussian-noise proxy from the bon stage; this preset wrote no regressional check.',
      numbers: { points: 0 },
    };
  }
  const points = check.points;
  const covered = points.filter((p) => p.gold.low <= p.predicted && p.predicted <= p.gold.high).length;
  const coverage = covered / points.length;
  let significantFalls = 0;
  let largestFall = 0;
  let highestLow = Number.NEGATIVE_INFINITY;
  let runningPeak = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (p.gold.high < highestLow) significantFalls++;
    highestLow = Math.max(highestLow, p.gold.low);
    runningPeak = Math.max(runningPeak, p.gold.mean);
    largestFall = Math.max(largestFall, runningPeak - p.gold.mean);
  }
  const last = points[points.length - 1]!;
  const holds = coverage >= MIN_PREDICTION_COVERAGE && significantFalls === 0;
  return {
    holds,
    evidence:
      `With ρ = ${fmt(check.rho)} the prediction ρσ·E[max] lies inside the gold interval at ${covered} of ${points.length} points (${fmt(100 * coverage, 0)}%); ` +
      `at n = ${last.n} gold is ${fmt(last.gold.mean)} vs predicted ${fmt(last.predicted)}, and ${significantFalls === 0 ? 'gold never falls significantly' : `gold falls significantly at ${significantFalls} point(s)`}.`,
    numbers: {
      rho: num(check.rho),
      gold_std: num(check.goldStd),
      noise_std: num(check.noiseStd),
      points: points.length,
      prediction_coverage: num(coverage),
      min_coverage: MIN_PREDICTION_COVERAGE,
      significant_falls: significantFalls,
      largest_mean_fall: num(largestFall),
      last_n: last.n,
      last_gold: num(last.gold.mean),
      last_predicted: num(last.predicted),
    },
  };
}
