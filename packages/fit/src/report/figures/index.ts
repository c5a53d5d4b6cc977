import type { FitInput, FitResults } from '../../types.ts';
import { bonGoldFigure, bonProxyFigure } from './bon.ts';
import { coefficientsVsComparisonsFigure, coefficientsVsParametersFigure } from './coefficients.ts';
import { dpoGoldFigure } from './dpo.ts';
import type { FigureBuilder, FigurePlan } from './figure.ts';
import { klCurrencyFigure } from './kl-currency.ts';
import { klPenaltyFigure } from './kl-penalty.ts';
import { policySizeFigure } from './policy-size.ts';
import { regressionalFigure } from './regressional.ts';
import { sourcesBonFigure, sourcesRlFigure } from './reward-sources.ts';
import { rlGoldFigure, rlProxyFigure } from './rl.ts';
import { validationLossFigure } from './validation-loss.ts';

export type { ChartFigure, FigurePlan, NoteFigure } from './figure.ts';

/** The report's figures in page order, roughly following the paper's; a builder returning null draws nothing. */
const BUILDERS: readonly (FigureBuilder | ((input: FitInput) => FigurePlan | null))[] = [
  bonGoldFigure,
  bonProxyFigure,
  rlGoldFigure,
  rlProxyFigure,
  coefficientsVsParametersFigure,
  coefficientsVsComparisonsFigure,
  validationLossFigure,
  klPenaltyFigure,
  policySizeFigure,
  klCurrencyFigure,
  regressionalFigure,
  dpoGoldFigure,
  sourcesBonFigure,
  sourcesRlFigure,
];

/** Every figure's plan: a chart to render, or a note when the preset lacks its data. */
export function planFigures(input: FitInput, results: FitResults): FigurePlan[] {
  return BUILDERS.flatMap((build) => build(input, results) ?? []);
}

/** Figure ids in page order (stable: tests and docs can refer to them). */
export const FIGURE_IDS = [
  'bon-gold',
  'bon-proxy',
  'rl-gold',
  'rl-proxy',
  'coef-params',
  'coef-comparisons',
  'validation-loss',
  'kl-penalty',
  'policy-size',
  'bon-vs-rl',
  'regressional',
  'dpo-gold',
  'sources-bon',
  'sources-rl',
] as const;
