import { KL_ESTIMATORS, type KlEstimator } from '@goodhart/core';
import type { RlCurve } from '../types.ts';
import { fixed, withInterval } from './format.ts';

/** The KL estimators compared per PPO run (index.html and summary.md): the same evaluation samples, four estimates. */

export const KL_ESTIMATOR_TITLE = 'KL every way';

export const KL_ESTIMATOR_HEADERS = [
  'run',
  'estimator',
  'at the last evaluation [low, high]',
  'mean ÷ exact’s',
  'mean interval width',
  'width ÷ exact’s',
  'samples with k1 < 0',
  'evaluations with mean k1 < 0',
] as const;

const LABELS: Record<KlEstimator, string> = {
  k1: 'k1 = Σ log π/π_init',
  k2: 'k2 = Σ ½ (log π/π_init)²',
  k3: 'k3 = Σ (r − 1) − log r',
  exact: 'exact per-token',
};

export function klEstimatorIntro(): string {
  return 'KL(π ‖ π_init) of the same PPO evaluation samples measured four ways, in nats: k1, the summed log ratio (unbiased, can be negative); k2, half its square summed (never negative, biased); k3 with r = π_init/π (unbiased, never negative); and the exact per-token sum of KL(π(·|prefix) ‖ π_init(·|prefix)) over the whole vocabulary at each sampled position (unbiased by the chain rule, never negative, lower variance), which the RL curves and fits use. Each estimator’s mean over the evaluations after the first is divided by the exact KL’s, and interval widths are averaged over the same evaluations (the initial policy measures exactly 0 every way); the last two columns count the samples of those evaluations whose k1 is below 0, and the evaluations whose mean k1 (the KL a trainer logs) is.';
}

/** One row per PPO run and estimator, in run order. */
export function klEstimatorRows(runs: readonly RlCurve[]): string[][] {
  return runs.flatMap((run) => {
    const later = run.points.filter((p) => p.step > 0);
    const last = run.points.at(-1);
    const average = (value: (point: RlCurve['points'][number]) => number): number =>
      later.length === 0 ? Number.NaN : later.reduce((a, p) => a + value(p), 0) / later.length;
    const meanWidth = (estimator: KlEstimator): number => average((p) => p.klEstimators[estimator].high - p.klEstimators[estimator].low);
    // A ratio of means over the evaluations, not a mean of ratios: an early evaluation whose KL is near 0 would
    // otherwise dominate with a ratio of noise.
    const meanRatio = (estimator: KlEstimator): number => average((p) => p.klEstimators[estimator].mean) / average((p) => p.klEstimators.exact.mean);
    const exactWidth = meanWidth('exact');
    // Every evaluation draws the same number of samples, so the mean of the per-point fractions is the overall one.
    const negative = average((p) => p.k1Negative);
    const negativeMeans = later.filter((p) => p.klEstimators.k1.mean < 0).length;
    return KL_ESTIMATORS.map((estimator) => [
      run.run,
      LABELS[estimator],
      last ? withInterval(last.klEstimators[estimator]) : '—',
      fixed(meanRatio(estimator), 2),
      fixed(meanWidth(estimator)),
      fixed(meanWidth(estimator) / exactWidth, 2),
      estimator === 'k1' ? (Number.isFinite(negative) ? `${(100 * negative).toFixed(1)}%` : '—') : '',
      estimator === 'k1' ? (later.length > 0 ? `${negativeMeans} of ${later.length}` : '—') : '',
    ]);
  });
}
