import { checkComparisons } from './findings/comparisons.ts';
import { checkFunctionalForms } from './findings/functional-forms.ts';
import { checkKlCurrency } from './findings/kl-currency.ts';
import { checkKlPenalty } from './findings/kl-penalty.ts';
import { checkPolicySize } from './findings/policy-size.ts';
import { checkRegressional } from './findings/regressional.ts';
import { checkRisesThenFalls } from './findings/rises-then-falls.ts';
import { checkRmSize } from './findings/rm-size.ts';
import { FINDING_TITLES } from './findings/titles.ts';
import type { Check } from './findings/types.ts';
import type { FitInput, FitResults, Finding } from './types.ts';

export { FINDING_TITLES } from './findings/titles.ts';
export * as findingThresholds from './findings/thresholds.ts';

/**
 * The eight findings of paper-notes §5 judged on this preset's curves and fits. Each check's criterion and
 * thresholds are documented in its own module (findings/*.ts, constants in findings/thresholds.ts). A finding is
 * null when the preset lacks the runs to test it; its evidence then names what is missing.
 */
export function computeFindings(input: FitInput, results: FitResults): Finding[] {
  const checks: (() => Check)[] = [
    () => checkRisesThenFalls(input),
    () => checkFunctionalForms(results),
    () => checkRmSize(input, results),
    () => checkComparisons(input, results),
    () => checkPolicySize(input),
    () => checkKlPenalty(input),
    () => checkKlCurrency(input),
    () => checkRegressional(input),
  ];
  return checks.map((check, i) => ({ id: i + 1, title: FINDING_TITLES[i]!, ...check() }));
}
