import { distanceFromKl } from '../curve-fits.ts';
import { gainsOverStart } from '../fit-all.ts';
import type { BonCurve, FitInput, RlCurve } from '../types.ts';
import type { FormCurve } from './form-comparison.ts';
import { unpenalisedRuns } from './selection.ts';
import { mean } from './stats.ts';

/**
 * The curves finding 2 is judged on: the paper shows its forms on the RM-size sweep at its largest data size, far
 * from chance (near-chance proxies are finding 4's subject). So: the best-of-n curves at the largest comparisons
 * count of the preset's grid, and the unpenalised RL runs at the largest comparisons count any unpenalised run
 * uses. Every other curve's R² is reported, not judged.
 */

export function largestComparisons(counts: readonly number[]): number | null {
  return counts.length > 0 ? Math.max(...counts) : null;
}

export function judgedBonCurves(input: FitInput): BonCurve[] {
  const largest = largestComparisons(input.bon.map((c) => c.proxy.comparisons));
  return input.bon.filter((c) => c.proxy.comparisons === largest);
}

export function judgedRlRuns(input: FitInput): RlCurve[] {
  const runs = unpenalisedRuns(input.rl);
  const largest = largestComparisons(runs.map((r) => r.proxy.comparisons));
  return runs.filter((r) => r.proxy.comparisons === largest);
}

/** Per-prompt gains and d as the fits see them (over the d = 0 point when the curve has one, as fitAll does). */
export function bonFormCurve(curve: BonCurve): FormCurve {
  const startsAtZero = curve.points[0]?.d === 0;
  return {
    curve: curve.proxy.cell,
    perPromptGain: startsAtZero ? gainsOverStart(curve.perPromptGold) : curve.perPromptGold,
    d: curve.points.map((p) => p.d),
  };
}

export function rlFormCurve(run: RlCurve): FormCurve {
  const startsAtZero = run.points[0]?.step === 0;
  return {
    curve: run.run,
    perPromptGain: startsAtZero ? gainsOverStart(run.perPromptGold) : run.perPromptGold,
    d: run.perPromptKl.map((row) => distanceFromKl(mean(row))),
  };
}
