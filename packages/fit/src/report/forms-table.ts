import type { FormComparison } from '../findings/form-comparison.ts';
import { analyseFunctionalForms, type FunctionalFormsAnalysis } from '../findings/functional-forms.ts';
import type { FitInput, FitResults } from '../types.ts';
import { fixed, withInterval } from './format.ts';

/**
 * Finding 2's table for index.html and summary.md: every fitted curve's R² under its own method's form, whether
 * finding 2 judges it (the largest comparisons count, unpenalised RL) or only reports it, and for the judged curves
 * the held-out error of both forms; then one row per method with the pooled held-out comparison.
 */

export const FORM_R2_HEADERS = [
  'curve',
  'method',
  'comparisons',
  'R²',
  'finding 2',
  'held-out advantage (weighted)',
  'held-out MSE, own form',
  'held-out MSE, other form',
] as const;

export const FORM_HELDOUT_HEADERS = [
  'method',
  'own form vs other',
  'curves',
  'prompts fitted / scored',
  'advantage [low, high]',
  'own form predicts better',
] as const;

export interface FormsTables {
  intro: string;
  curves: string[][];
  heldOut: string[][];
}

export function formsTables(input: FitInput, results: FitResults): FormsTables {
  const analysis = analyseFunctionalForms(input, results);
  return { intro: intro(analysis), curves: curveRows(analysis), heldOut: heldOutRows(analysis) };
}

function intro(analysis: FunctionalFormsAnalysis): string {
  const where = [
    analysis.bonComparisons !== null ? `best-of-n curves at ${analysis.bonComparisons} comparisons` : '',
    analysis.rlComparisons !== null ? `unpenalised RL runs at ${analysis.rlComparisons} comparisons` : '',
  ].filter(Boolean);
  return (
    `Finding 2 is judged where the paper makes the claim, on the ${where.join(' and ') || 'curves at the largest comparisons count'}; every other curve’s R² is reported here, not judged. ` +
    'Held out: each judged curve is fitted with both forms on one random half of the prompts (points weighted by 1/variance of their per-prompt gains on that half) and both fits predict the other half; ' +
    'the advantage is how much smaller the own form’s weighted squared error is, per held-out prompt summed over the method’s curves, with a t interval over those prompts (it must lie above 0). ' +
    'Per curve: that advantage for the curve alone, and the unweighted mean squared errors of the two forms on the held-out mean gains.'
  );
}

function curveRows(analysis: FunctionalFormsAnalysis): string[][] {
  const heldOut = new Map<string, { advantage: number; own: number; other: number }>();
  for (const comparison of [analysis.bon, analysis.rl]) {
    for (const c of comparison?.curves ?? []) heldOut.set(`${comparison!.method}/${c.curve}`, { advantage: c.advantage, own: c.ownMse, other: c.otherMse });
  }
  return analysis.rows.map((row) => {
    const errors = heldOut.get(`${row.method}/${row.curve}`);
    const method = row.method === 'bon' ? 'BoN' : `RL, KL coef ${row.klCoefficient ?? 0}`;
    return [
      row.curve,
      method,
      String(row.comparisons),
      fixed(row.r2),
      row.judged ? 'judged' : `reported (${row.note})`,
      errors ? fixed(errors.advantage, 4) : '—',
      errors ? fixed(errors.own, 4) : '—',
      errors ? fixed(errors.other, 4) : '—',
    ];
  });
}

function heldOutRows(analysis: FunctionalFormsAnalysis): string[][] {
  return [analysis.bon, analysis.rl].flatMap((comparison: FormComparison | null, i) => {
    const method = i === 0 ? 'BoN' : 'RL';
    if (!comparison) return [[method, '—', '0', '—', '—', 'cannot be run']];
    return [
      [
        method,
        comparison.method === 'bon' ? 'd(α − βd) vs d(α − β ln d)' : 'd(α − β ln d) vs d(α − βd)',
        String(comparison.curves.length),
        `${comparison.fitPrompts} / ${comparison.scorePrompts}`,
        withInterval(comparison.advantage, 4),
        comparison.ownFormBetter ? 'yes' : 'no',
      ],
    ];
  });
}
