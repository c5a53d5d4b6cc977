import type { CurveFit, FitResults } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { median } from './stats.ts';
import { MIN_FIT_R2 } from './thresholds.ts';
import type { Check } from './types.ts';

/**
 * Finding 2. Holds when every BoN fit has R² ≥ MIN_FIT_R2 and the median R² of the unpenalised RL fits is ≥ MIN_FIT_R2.
 * BoN is held to every curve because its estimator is smooth; RL curves are single noisy runs, so the median.
 * Penalised RL runs are left out: the paper fitted its RL form to unpenalised runs. A non-finite R² counts as 0.
 * Curves too degenerate to fit (results.unfitted) are named in the evidence but cannot count for or against a form.
 */
export function checkFunctionalForms(results: FitResults): Check {
  const bonR2 = results.bon.map(r2Of);
  const rlR2 = results.rl.filter((fit) => fit.klCoefficient === 0).map(r2Of);
  const bonMin = bonR2.length > 0 ? Math.min(...bonR2) : Number.NaN;
  const rlMin = rlR2.length > 0 ? Math.min(...rlR2) : Number.NaN;
  const numbers = {
    bon_fits: bonR2.length,
    bon_r2_min: num(bonMin),
    bon_r2_median: num(median(bonR2)),
    rl_fits: rlR2.length,
    rl_r2_min: num(rlMin),
    rl_r2_median: num(median(rlR2)),
    min_r2: MIN_FIT_R2,
    bon_extrapolation_rmse_median: num(median(extrapolationRmse(results.bon))),
    rl_extrapolation_rmse_median: num(median(extrapolationRmse(results.rl.filter((fit) => fit.klCoefficient === 0)))),
    unfitted_curves: results.unfitted.length,
  };
  const unfitted = results.unfitted.length > 0 ? ` Not fitted (too few points or a singular design): ${results.unfitted.map((u) => u.curve).join(', ')}.` : '';
  const bonText = bonR2.length > 0 ? `BoN d(α − βd): R² min ${fmt(bonMin)}, median ${fmt(median(bonR2))} over ${bonR2.length} curves` : 'no BoN fits';
  const rlText =
    rlR2.length > 0 ? `RL d(α − β ln d): R² min ${fmt(rlMin)}, median ${fmt(median(rlR2))} over ${rlR2.length} unpenalised runs` : 'no unpenalised RL fits';
  if (bonR2.length === 0 || rlR2.length === 0) {
    return { holds: null, evidence: `${bonText}; ${rlText}: both methods are needed to test the two forms.${unfitted}`, numbers };
  }
  const holds = bonMin >= MIN_FIT_R2 && median(rlR2) >= MIN_FIT_R2;
  return { holds, evidence: `${bonText}; ${rlText} (threshold R² ≥ ${MIN_FIT_R2}).${unfitted}`, numbers };
}

function r2Of(fit: CurveFit): number {
  return Number.isFinite(fit.r2) ? fit.r2 : 0;
}

function extrapolationRmse(fits: readonly CurveFit[]): number[] {
  return fits.flatMap((fit) => (fit.extrapolation && Number.isFinite(fit.extrapolation.rmse) ? [fit.extrapolation.rmse] : []));
}
