import { Rng } from '@goodhart/core';
import type { CurveFit, FitInput, FitResults, Method } from '../types.ts';
import { compareFormsHeldOut, type FormComparison, type FormCurve } from './form-comparison.ts';
import { bonFormCurve, judgedBonCurves, judgedRlRuns, rlFormCurve } from './form-curves.ts';
import { fmt, fmtInterval, num } from './numbers.ts';
import { median } from './stats.ts';
import { DEFAULT_CONFIDENCE, MIN_FIT_R2 } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/**
 * Finding 2, judged where the paper makes the claim: on the curves at the largest comparisons count (form-curves.ts).
 * It holds when
 *  - every BoN fit there has R² ≥ MIN_FIT_R2, and the median R² of the unpenalised RL fits there is ≥ MIN_FIT_R2
 *    (BoN is held to every curve because its estimator is smooth; RL curves are single noisy runs, so the median);
 *  - and, on held-out prompts, each method's own form predicts its curves better than the other method's form, with
 *    the interval above 0 (form-comparison.ts), for BoN and for RL.
 * Every other curve's R² (fewer comparisons, penalised RL runs) is reported, not judged. A non-finite R² counts as 0.
 * Curves too degenerate to fit (results.unfitted) are named in the evidence but cannot count for or against a form.
 */

/** One curve's R² and whether finding 2 judges it, for the report's table. */
export interface FormR2Row {
  method: Method;
  curve: string;
  comparisons: number;
  klCoefficient: number | null;
  r2: number;
  judged: boolean;
  /** Why a curve is only reported: "below the largest comparisons count" or "KL-penalised". */
  note: string;
}

export interface FunctionalFormsAnalysis {
  /** The largest comparisons count of each method's judged curves (null without curves). */
  bonComparisons: number | null;
  rlComparisons: number | null;
  rows: FormR2Row[];
  bon: FormComparison | null;
  rl: FormComparison | null;
}

export function analyseFunctionalForms(input: FitInput, results: FitResults): FunctionalFormsAnalysis {
  const bonCurves = judgedBonCurves(input);
  const rlRuns = judgedRlRuns(input);
  const judgedBon = new Set(bonCurves.map((c) => c.proxy.cell));
  const judgedRl = new Set(rlRuns.map((r) => r.run));
  const rows: FormR2Row[] = [
    ...results.bon.map((fit) => row(fit, judgedBon.has(fit.curve), 'below the largest comparisons count')),
    ...results.rl.map((fit) => row(fit, judgedRl.has(fit.curve), fit.klCoefficient === 0 ? 'below the largest comparisons count' : 'KL-penalised')),
  ];
  // Only curves the stage could fit are compared: the others are listed as unfitted.
  const fittedBon = new Set(results.bon.map((f) => f.curve));
  const fittedRl = new Set(results.rl.map((f) => f.curve));
  const confidence = input.options.confidence > 0 && input.options.confidence < 1 ? input.options.confidence : DEFAULT_CONFIDENCE;
  const compare = (method: Method, curves: FormCurve[]): FormComparison | null =>
    compareFormsHeldOut(method, curves, Rng.fromSeed(input.options.seed, `fit/findings/forms/${method}`), confidence);
  return {
    bonComparisons: bonCurves[0]?.proxy.comparisons ?? null,
    rlComparisons: rlRuns[0]?.proxy.comparisons ?? null,
    rows,
    bon: compare('bon', bonCurves.filter((c) => fittedBon.has(c.proxy.cell)).map(bonFormCurve)),
    rl: compare('rl', rlRuns.filter((r) => fittedRl.has(r.run)).map(rlFormCurve)),
  };
}

function row(fit: CurveFit, judged: boolean, note: string): FormR2Row {
  return {
    method: fit.method,
    curve: fit.curve,
    comparisons: fit.proxy.comparisons,
    klCoefficient: fit.klCoefficient,
    r2: r2Of(fit),
    judged,
    note: judged ? 'judged' : note,
  };
}

export function checkFunctionalForms(input: FitInput, results: FitResults): Check {
  const analysis = analyseFunctionalForms(input, results);
  const judged = (method: Method): number[] => analysis.rows.filter((r) => r.method === method && r.judged).map((r) => r.r2);
  const reported = (method: Method): number[] => analysis.rows.filter((r) => r.method === method && !r.judged).map((r) => r.r2);
  const bonR2 = judged('bon');
  const rlR2 = judged('rl');
  const bonMin = minimum(bonR2);
  const rlMedian = median(rlR2);
  const numbers: FindingNumbers = {
    bon_comparisons: analysis.bonComparisons,
    bon_fits: bonR2.length,
    bon_r2_min: num(bonMin),
    bon_r2_median: num(median(bonR2)),
    rl_comparisons: analysis.rlComparisons,
    rl_fits: rlR2.length,
    rl_r2_min: num(minimum(rlR2)),
    rl_r2_median: num(rlMedian),
    min_r2: MIN_FIT_R2,
    bon_reported_fits: reported('bon').length,
    bon_reported_r2_min: num(minimum(reported('bon'))),
    rl_reported_fits: reported('rl').length,
    rl_reported_r2_min: num(minimum(reported('rl'))),
    bon_extrapolation_rmse_median: num(median(extrapolationRmse(results.bon))),
    rl_extrapolation_rmse_median: num(median(extrapolationRmse(results.rl.filter((fit) => fit.klCoefficient === 0)))),
    unfitted_curves: results.unfitted.length,
    ...comparisonNumbers('bon', analysis.bon),
    ...comparisonNumbers('rl', analysis.rl),
  };
  const unfitted = results.unfitted.length > 0 ? ` Not fitted (too few points or a singular design): ${results.unfitted.map((u) => u.curve).join(', ')}.` : '';
  const bonText =
    bonR2.length > 0
      ? `At ${analysis.bonComparisons} comparisons, BoN d(α − βd): R² min ${fmt(bonMin)}, median ${fmt(median(bonR2))} over ${bonR2.length} curves`
      : 'no BoN fits';
  const rlText =
    rlR2.length > 0
      ? `at ${analysis.rlComparisons} comparisons, RL d(α − β ln d): R² min ${fmt(minimum(rlR2))}, median ${fmt(rlMedian)} over ${rlR2.length} unpenalised runs`
      : 'no unpenalised RL fits';
  const reportedText = reportedSentence(reported('bon'), reported('rl'));
  if (bonR2.length === 0 || rlR2.length === 0) {
    return { holds: null, evidence: `${bonText}; ${rlText}: both methods are needed to test the two forms.${reportedText}${unfitted}`, numbers };
  }
  const heldOut = `${comparisonSentence(analysis.bon, 'BoN')} ${comparisonSentence(analysis.rl, 'RL')}`;
  if (!analysis.bon || !analysis.rl) {
    return { holds: null, evidence: `${bonText}; ${rlText} (threshold R² ≥ ${MIN_FIT_R2}). ${heldOut}${reportedText}${unfitted}`, numbers };
  }
  const holds = bonMin >= MIN_FIT_R2 && rlMedian >= MIN_FIT_R2 && analysis.bon.ownFormBetter && analysis.rl.ownFormBetter;
  return { holds, evidence: `${bonText}; ${rlText} (threshold R² ≥ ${MIN_FIT_R2}). ${heldOut}${reportedText}${unfitted}`, numbers };
}

function comparisonNumbers(method: Method, comparison: FormComparison | null): FindingNumbers {
  if (!comparison) return { [`${method}_heldout_own_form_better`]: null };
  return {
    [`${method}_heldout_curves`]: comparison.curves.length,
    [`${method}_heldout_fit_prompts`]: comparison.fitPrompts,
    [`${method}_heldout_score_prompts`]: comparison.scorePrompts,
    [`${method}_heldout_advantage`]: num(comparison.advantage.mean),
    [`${method}_heldout_advantage_low`]: num(comparison.advantage.low),
    [`${method}_heldout_advantage_high`]: num(comparison.advantage.high),
    [`${method}_heldout_own_form_better`]: comparison.ownFormBetter,
  };
}

const FORM_NAMES: Record<Method, string> = { bon: 'd(α − βd)', rl: 'd(α − β ln d)' };

function comparisonSentence(comparison: FormComparison | null, label: string): string {
  if (!comparison) return `${label}: the held-out comparison cannot be run (no curve to fit on a half, or too few prompts to halve).`;
  const verdict = comparison.ownFormBetter ? 'predicts better' : 'is not shown to predict better';
  const skipped = comparison.skipped.length > 0 ? ` (${comparison.skipped.length} curves could not be fitted on the half)` : '';
  return (
    `Held out (both forms fitted on ${comparison.fitPrompts} prompts, scored on the other ${comparison.scorePrompts}), ${label}'s own form ${FORM_NAMES[comparison.method]} ${verdict} than ${FORM_NAMES[comparison.otherForm]} ` +
    `over ${comparison.curves.length} curves${skipped}: squared-error advantage ${fmt(comparison.advantage.mean, 4)} ${fmtInterval(comparison.advantage.low, comparison.advantage.high, 4)} (needs the interval above 0).`
  );
}

function reportedSentence(bon: readonly number[], rl: readonly number[]): string {
  const parts = [
    bon.length > 0 ? `BoN R² min ${fmt(minimum(bon))} over ${bon.length} curves at fewer comparisons` : '',
    rl.length > 0 ? `RL R² min ${fmt(minimum(rl))} over ${rl.length} other runs` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` Reported, not judged: ${parts.join('; ')}.` : '';
}

function minimum(values: readonly number[]): number {
  return values.length > 0 ? Math.min(...values) : Number.NaN;
}

function r2Of(fit: CurveFit): number {
  return Number.isFinite(fit.r2) ? fit.r2 : 0;
}

function extrapolationRmse(fits: readonly CurveFit[]): number[] {
  return fits.flatMap((fit) => (fit.extrapolation && Number.isFinite(fit.extrapolation.rmse) ? [fit.extrapolation.rmse] : []));
}
