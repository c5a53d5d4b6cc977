import { simpleLinearRegression } from './least-squares.ts';
import { slopeWithInterval } from './slope-regression.ts';
import type { CurveFit, Method, ScalingFit } from './types.ts';

/**
 * How the fitted coefficients move with the proxy RM (paper-notes §4 and finding 3/4): a straight line of α or β
 * against log10(RM parameters) with the comparison count held fixed, and against ln(comparisons) with the RM size
 * held fixed. The seed is always held fixed (a different seed is a replicate, not a point on the trend). RL runs are
 * also grouped by policy size, and only KL coefficient 0 runs enter (a KL penalty stops training early, which
 * would mix a different quantity into the trend).
 */

const COEFFICIENTS = ['alpha', 'beta'] as const;

interface Axis {
  against: ScalingFit['against'];
  /** What is held fixed (besides seed and policy): the slice key and its label. */
  held: (fit: CurveFit) => { order: number; label: string };
  x: (fit: CurveFit) => number;
}

const AXES: readonly Axis[] = [
  {
    against: 'log10_parameters',
    held: (fit) => ({ order: fit.proxy.comparisons, label: `comparisons=${fit.proxy.comparisons}` }),
    x: (fit) => Math.log10(fit.proxy.parameters),
  },
  {
    against: 'ln_comparisons',
    held: (fit) => ({ order: fit.proxy.parameters, label: `size=${fit.proxy.size}` }),
    x: (fit) => Math.log(fit.proxy.comparisons),
  },
];

export function scalingFits(bon: readonly CurveFit[], rl: readonly CurveFit[], confidence: number): ScalingFit[] {
  return [
    ...scalingFitsFor('bon', bon, confidence),
    ...scalingFitsFor(
      'rl',
      rl.filter((fit) => fit.klCoefficient === 0),
      confidence,
    ),
  ];
}

/** One ScalingFit per (axis, slice, coefficient) whose slice has at least 2 distinct x values. */
function scalingFitsFor(method: Method, fits: readonly CurveFit[], confidence: number): ScalingFit[] {
  const results: ScalingFit[] = [];
  for (const axis of AXES) {
    for (const group of groupBySlice(fits, axis)) {
      const sorted = [...group.fits].sort((a, b) => axis.x(a) - axis.x(b) || a.curve.localeCompare(b.curve));
      const xs = sorted.map(axis.x);
      if (new Set(xs).size < 2) continue;
      for (const coefficient of COEFFICIENTS) {
        const ys = sorted.map((fit) => fit[coefficient].mean);
        const line = simpleLinearRegression(xs, ys);
        const interval = slopeWithInterval(
          xs.map((x, i) => ({ x, y: ys[i]! })),
          confidence,
        );
        results.push({
          method,
          coefficient,
          against: axis.against,
          slice: group.slice,
          slope: line.slope,
          slopeLow: interval?.low ?? Number.NaN,
          slopeHigh: interval?.high ?? Number.NaN,
          intercept: line.intercept,
          r2: line.r2,
          points: sorted.map((fit, i) => ({ x: xs[i]!, y: ys[i]!, curve: fit.curve })),
        });
      }
    }
  }
  return results;
}

interface Group {
  slice: string;
  sortKey: [number, number, number, string];
  fits: CurveFit[];
}

/** Slices like "comparisons=4000 seed=0" (BoN) or "size=xs seed=0 policy=m" (RL), in a stable numeric order. */
function groupBySlice(fits: readonly CurveFit[], axis: Axis): Group[] {
  const groups = new Map<string, Group>();
  for (const fit of fits) {
    const held = axis.held(fit);
    const policy = fit.policy ? ` policy=${fit.policy.size}` : '';
    const slice = `${held.label} seed=${fit.proxy.seed}${policy}`;
    let group = groups.get(slice);
    if (!group) {
      group = { slice, sortKey: [held.order, fit.proxy.seed, fit.policy?.parameters ?? 0, slice], fits: [] };
      groups.set(slice, group);
    }
    group.fits.push(fit);
  }
  return [...groups.values()].sort(
    (a, b) => a.sortKey[0] - b.sortKey[0] || a.sortKey[1] - b.sortKey[1] || a.sortKey[2] - b.sortKey[2] || a.sortKey[3].localeCompare(b.sortKey[3]),
  );
}
