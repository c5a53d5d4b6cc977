import type { CurveFit, DpoCurve, DpoFit, FitInput, FitResults, RlCurve } from '../types.ts';
import { analyseOveroptimisation, type Overoptimisation } from './curve-shape.ts';
import { fmt, fmtInterval, num } from './numbers.ts';
import { dropTest, methodSentence } from './rises-then-falls.ts';
import { median } from './stats.ts';
import { MIN_FIT_R2 } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 9 (Rafailov et al. 2024): direct alignment overoptimises too. On each DPO/IPO run, gold vs training is
 * judged with finding 1's split-half statistics (curve-shape.ts): the peak is chosen on one random half of the
 * evaluation prompts and the fall from it to the last point measured on the other half, paired by prompt, with a t
 * interval; the run's "proxy" is its implicit reward β·KL of the samples, which rises whenever KL does. The finding
 * holds when at least one run rises then falls significantly and the median R² of the RL form d(α − β ln d) over
 * the runs is at least MIN_FIT_R2 (finding 2's threshold for RL runs). null without DPO runs.
 *
 * Beside each run, the unpenalised PPO run against the proxy trained on the same comparisons (same policy) is
 * reported: both runs' fitted α and β, and where each peaks in KL (the split-half peak, and the fitted d*), so the
 * report says whether the direct-alignment curve peaks earlier or later in KL than PPO's.
 */
export function checkDirectAlignment(input: FitInput, results: FitResults): Check {
  const runs = input.dpo ?? [];
  const fits = results.dpo ?? [];
  if (runs.length === 0) {
    return {
      holds: null,
      evidence: 'This preset has no direct-alignment (DPO/IPO) runs (no "dpo" section), so the finding cannot be tested.',
      numbers: { dpo_runs: 0 },
    };
  }
  const analyses = runs
    .map((run) => analyseOveroptimisation(run.run, run.points, run.perPromptGold, dropTest(input, `dpo/${run.run}`)))
    .filter((a): a is Overoptimisation => a !== null);
  const r2s = fits.map((fit) => (Number.isFinite(fit.r2) ? fit.r2 : 0));
  const numbers: FindingNumbers = {
    dpo_runs: runs.length,
    dpo_judged: analyses.length,
    dpo_overoptimising: analyses.filter((a) => a.overoptimises).length,
    dpo_fits: fits.length,
    dpo_r2_min: num(r2s.length > 0 ? Math.min(...r2s) : Number.NaN),
    dpo_r2_median: num(median(r2s)),
    min_r2: MIN_FIT_R2,
  };
  const comparisons = runs.map((run) => compareWithPpo(run, input, results, analyses));
  for (const c of comparisons) Object.assign(numbers, c.numbers);
  const shape = methodSentence('DPO/IPO', 'runs', analyses);
  const fitText =
    fits.length > 0
      ? `RL form d(α − β ln d): R² median ${fmt(median(r2s))}, min ${fmt(Math.min(...r2s))} over ${fits.length} runs (threshold ${MIN_FIT_R2}).`
      : 'No run could be fitted.';
  const beside = comparisons.map((c) => c.sentence).join(' ');
  const holds = analyses.length === 0 || fits.length === 0 ? null : analyses.some((a) => a.overoptimises) && median(r2s) >= MIN_FIT_R2;
  return { holds, evidence: `${shape} ${fitText} ${beside}`.trim(), numbers };
}

/** The unpenalised PPO run against the same cell's proxy with the same policy, if the preset has one. */
export function ppoBeside(run: Pick<DpoCurve, 'proxy' | 'policy'>, rl: readonly RlCurve[]): RlCurve | undefined {
  return rl.find((r) => r.klCoefficient === 0 && r.proxy.cell === run.proxy.cell && r.policy.size === run.policy.size);
}

function coefficients(fit: CurveFit | undefined): string {
  return fit
    ? `α ${fmt(fit.alpha.mean)} ${fmtInterval(fit.alpha.low, fit.alpha.high)}, β ${fmt(fit.beta.mean)} ${fmtInterval(fit.beta.low, fit.beta.high)}`
    : 'not fitted';
}

/** Where a curve's gold peaks in KL, as its split-half analysis sees it. */
export interface PeakInKl {
  /** The split-half peak is before the last point: gold turned down within the run. */
  peaked: boolean;
  /** KL at the split-half peak (d² of the point chosen on the selecting half). */
  peakKl: number;
  /** KL at the run's last point. */
  lastKl: number;
}

function peakInKl(analysis: Overoptimisation | undefined | null, points: readonly { d: number }[]): PeakInKl {
  if (!analysis) return { peaked: false, peakKl: Number.NaN, lastKl: Number.NaN };
  return { peaked: analysis.peakIndex < analysis.lastIndex, peakKl: analysis.peakD ** 2, lastKl: (points[analysis.lastIndex]?.d ?? Number.NaN) ** 2 };
}

/**
 * Whether the direct-alignment curve peaks earlier or later in KL than PPO's. A curve whose best point is its last
 * has not peaked: it peaks beyond the KL it reached, so it is ordered only when that KL is already past the other
 * curve's peak (a still-rising DPO run that stopped at a lower KL than PPO's peak cannot be called earlier).
 */
export function peakOrder(dpo: PeakInKl, ppo: PeakInKl): 'earlier' | 'later' | 'at the same KL' | 'cannot be ordered' {
  const finite = (...values: number[]): boolean => values.every(Number.isFinite);
  if (dpo.peaked && ppo.peaked && finite(dpo.peakKl, ppo.peakKl)) {
    return dpo.peakKl < ppo.peakKl ? 'earlier' : dpo.peakKl > ppo.peakKl ? 'later' : 'at the same KL';
  }
  if (!dpo.peaked && ppo.peaked && finite(dpo.lastKl, ppo.peakKl) && dpo.lastKl > ppo.peakKl) return 'later';
  if (dpo.peaked && !ppo.peaked && finite(dpo.peakKl, ppo.lastKl) && ppo.lastKl > dpo.peakKl) return 'earlier';
  return 'cannot be ordered';
}

function peakText(peak: PeakInKl): string {
  return peak.peaked ? `gold peaks at KL ${fmt(peak.peakKl)}` : `gold has not peaked by its last point (KL ${fmt(peak.lastKl)})`;
}

function compareWithPpo(
  run: DpoCurve,
  input: FitInput,
  results: FitResults,
  analyses: readonly Overoptimisation[],
): { sentence: string; numbers: FindingNumbers } {
  const fit: DpoFit | undefined = results.dpo?.find((f) => f.curve === run.run);
  const peak = peakInKl(
    analyses.find((a) => a.curve === run.run),
    run.points,
  );
  const key = (name: string): string => `${run.run}_${name}`;
  const numbers: FindingNumbers = {
    [key('alpha')]: num(fit?.alpha.mean),
    [key('beta')]: num(fit?.beta.mean),
    [key('r2')]: num(fit?.r2),
    [key('peaked')]: peak.peaked ? 1 : 0,
    [key('peak_kl')]: num(peak.peakKl),
    [key('last_kl')]: num(peak.lastKl),
    [key('fitted_peak_kl')]: num(fit?.peak ? fit.peak.d ** 2 : Number.NaN),
  };
  const ppo = ppoBeside(run, input.rl);
  const loss = run.loss.toUpperCase();
  const own = `${run.run} (${loss}, β ${run.beta}): ${coefficients(fit)}, ${peakText(peak)} (fitted ${fit?.peak ? `peak at KL ${fmt(fit.peak.d ** 2)}` : 'no peak'})`;
  if (!ppo) return { sentence: `${own}; no unpenalised PPO run against ${run.proxy.cell} to compare.`, numbers };
  const ppoFit = results.rl.find((f) => f.curve === ppo.run);
  const ppoPeak = peakInKl(analyseOveroptimisation(ppo.run, ppo.points, ppo.perPromptGold, dropTest(input, `rl/${ppo.run}`)), ppo.points);
  const order = peakOrder(peak, ppoPeak);
  Object.assign(numbers, {
    [key('ppo_run')]: ppo.run,
    [key('ppo_alpha')]: num(ppoFit?.alpha.mean),
    [key('ppo_beta')]: num(ppoFit?.beta.mean),
    [key('ppo_peak_kl')]: num(ppoPeak.peakKl),
    [key('peaks_vs_ppo')]: order,
  });
  const verdict =
    order === 'earlier' || order === 'later'
      ? `${loss} peaks ${order} in KL than PPO`
      : `${loss}'s peak ${order === 'at the same KL' ? 'is at the same KL as' : 'cannot be ordered against'} PPO's`;
  return { sentence: `${own}; PPO ${ppo.run}: ${coefficients(ppoFit)}, ${peakText(ppoPeak)}: ${verdict}.`, numbers };
}
