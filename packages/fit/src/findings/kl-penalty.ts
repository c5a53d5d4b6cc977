import type { FitInput, RlCurve } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { unpenalisedRuns } from './selection.ts';
import { halfWidth, interpolate, mean } from './stats.ts';
import { FRONTIER_MIN_D, MIN_FRONTIER_MATCH_FRACTION } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

interface PenaltyComparison {
  run: string;
  baseline: string;
  coefficient: number;
  finalKl: number;
  baselineFinalKl: number;
  comparedPoints: number;
  withinFraction: number;
  maxAbsGoldDifference: number;
  meanProxyDifference: number;
  proxyNotLowerFraction: number;
}

/**
 * Finding 6. Each penalised run (klCoefficient > 0) is compared with the unpenalised run of the same proxy and
 * policy. Early stopping means: (a) its final KL is lower, and (b) at its own d values inside the unpenalised run's
 * d range, its mean gold is within the combined interval (half-widths added in quadrature, as for a difference of
 * independent estimates) of the unpenalised gold interpolated at that d, for at least MIN_FRONTIER_MATCH_FRACTION of
 * the points. Proxy at the same d is reported (the paper finds it higher), not tested. Holds when every comparable
 * penalised run passes (a) and (b); null without penalised runs that have an unpenalised partner.
 */
export function checkKlPenalty(input: FitInput): Check {
  const penalised = input.rl.filter((run) => run.klCoefficient > 0);
  const baselines = unpenalisedRuns(input.rl);
  if (penalised.length === 0) {
    return {
      holds: null,
      evidence: 'Needs PPO runs with a KL penalty (klCoefficient > 0) and the unpenalised run of the same proxy and policy; this preset has no penalised runs.',
      numbers: { penalised_runs: 0 },
    };
  }
  const comparisons = penalised.flatMap((run) => {
    const baseline = baselines.find((b) => b.proxy.cell === run.proxy.cell && b.policy.size === run.policy.size);
    return baseline ? [compare(run, baseline)] : [];
  });
  const testable = comparisons.filter((c) => c.comparedPoints > 0);
  const numbers: FindingNumbers = {
    penalised_runs: penalised.length,
    with_unpenalised_partner: comparisons.length,
    min_match_fraction: MIN_FRONTIER_MATCH_FRACTION,
  };
  if (testable.length === 0) {
    const why = comparisons.length === 0 ? 'none has an unpenalised run of the same proxy and policy' : 'none has points inside its partner’s d range';
    return { holds: null, evidence: `${penalised.length} penalised run(s), but ${why}, so the frontier cannot be compared.`, numbers };
  }
  testable.forEach((c, i) => {
    const key = `r${i + 1}_`;
    Object.assign(numbers, {
      [`${key}run`]: c.run,
      [`${key}kl_coefficient`]: num(c.coefficient),
      [`${key}final_kl`]: num(c.finalKl),
      [`${key}unpenalised_final_kl`]: num(c.baselineFinalKl),
      [`${key}compared_points`]: c.comparedPoints,
      [`${key}within_fraction`]: num(c.withinFraction),
      [`${key}max_abs_gold_difference`]: num(c.maxAbsGoldDifference),
      [`${key}mean_proxy_difference`]: num(c.meanProxyDifference),
      [`${key}proxy_not_lower_fraction`]: num(c.proxyNotLowerFraction),
    });
  });
  const holds = testable.every((c) => c.finalKl < c.baselineFinalKl && c.withinFraction >= MIN_FRONTIER_MATCH_FRACTION);
  const sentences = testable
    .slice(0, 2)
    .map(
      (c) =>
        `${c.run} (coefficient ${c.coefficient}) ends at KL ${fmt(c.finalKl, 1)} vs ${fmt(c.baselineFinalKl, 1)} nats unpenalised; its gold matches the unpenalised gold at the same d at ${fmt(100 * c.withinFraction, 0)}% of ${c.comparedPoints} points (max |difference| ${fmt(c.maxAbsGoldDifference)}), and its proxy is ${fmt(c.meanProxyDifference)} higher on average.`,
    );
  const more = testable.length > 2 ? ` (${testable.length - 2} more runs in numbers)` : '';
  return { holds, evidence: `${sentences.join(' ')}${more}`, numbers };
}

function compare(run: RlCurve, baseline: RlCurve): PenaltyComparison {
  // Interpolate the unpenalised run in d; sort by d since KL along training need not be exactly monotone.
  const base = [...baseline.points].sort((a, b) => a.d - b.d);
  const ds = base.map((p) => p.d);
  const column = (value: (p: (typeof base)[number]) => number): number[] => base.map(value);
  const goldMean = column((p) => p.gold.mean);
  const goldHalfWidth = column((p) => halfWidth(p.gold));
  const proxyMean = column((p) => p.proxy.mean);
  const proxyHalfWidth = column((p) => halfWidth(p.proxy));

  let within = 0;
  let maxAbs = 0;
  let proxyNotLower = 0;
  const proxyDifferences: number[] = [];
  const compared = run.points.filter((p) => p.d > FRONTIER_MIN_D && interpolate(ds, goldMean, p.d) !== undefined);
  for (const point of compared) {
    const difference = point.gold.mean - interpolate(ds, goldMean, point.d)!;
    const tolerance = Math.hypot(halfWidth(point.gold), interpolate(ds, goldHalfWidth, point.d)!);
    if (Math.abs(difference) <= tolerance) within++;
    maxAbs = Math.max(maxAbs, Math.abs(difference));
    const proxyDifference = point.proxy.mean - interpolate(ds, proxyMean, point.d)!;
    proxyDifferences.push(proxyDifference);
    const proxyTolerance = Math.hypot(halfWidth(point.proxy), interpolate(ds, proxyHalfWidth, point.d)!);
    if (proxyDifference >= -proxyTolerance) proxyNotLower++;
  }
  const last = run.points[run.points.length - 1];
  const baseLast = baseline.points[baseline.points.length - 1];
  return {
    run: run.run,
    baseline: baseline.run,
    coefficient: run.klCoefficient,
    finalKl: last ? last.kl.mean : Number.NaN,
    baselineFinalKl: baseLast ? baseLast.kl.mean : Number.NaN,
    comparedPoints: compared.length,
    withinFraction: compared.length > 0 ? within / compared.length : Number.NaN,
    maxAbsGoldDifference: maxAbs,
    meanProxyDifference: mean(proxyDifferences),
    proxyNotLowerFraction: compared.length > 0 ? proxyNotLower / compared.length : Number.NaN,
  };
}
