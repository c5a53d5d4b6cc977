import type { FitInput } from '../../types.ts';
import { fixed, percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_TITLE, type FigurePlan } from './figure.ts';
import { FITTED, MEASURED, type MeasuredRow } from './series.ts';

const MEASURED_SERIES = 'BoN gold, noisy proxy';
const PREDICTED_SERIES = 'predicted ρσ·E[max]';

/** Figure: the synthetic gold + Gaussian-noise proxy's BoN gold against the regressional-Goodhart prediction. */
export function regressionalFigure(input: FitInput): FigurePlan {
  const id = 'regressional';
  const title = 'Regressional Goodhart check';
  const check = input.regressional;
  if (!check || check.points.length === 0) return { kind: 'note', id, title, note: 'No regressional check (synthetic gold + noise proxy) in this preset.' };
  const rows: MeasuredRow[] = [];
  for (const p of check.points) {
    rows.push({ series: MEASURED_SERIES, d: p.d, value: p.gold.mean, low: p.gold.low, high: p.gold.high, kind: MEASURED });
    // Tagged as a fitted form so the curve chart dashes it; it is a prediction made without looking at the data.
    rows.push({ series: PREDICTED_SERIES, d: p.d, value: p.predicted, low: p.predicted, high: p.predicted, kind: FITTED });
  }
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Best-of-n against a synthetic proxy = gold + independent Gaussian noise (ρ = corr(proxy, gold) = ${fixed(check.rho)}). ` +
      `Regressional Goodhart predicts gold = ρ·σ_gold·E[max of n standard normals] (dashed): it rises without a peak. Band: ${percent(input.options.confidence)} interval. Finding 8.`,
    spec: curveChart({
      title,
      subtitle: `ρ = ${fixed(check.rho, 2)}, σ_gold = ${fixed(check.goldStd, 2)}, σ_noise = ${fixed(check.noiseStd, 2)}`,
      rows,
      color: { field: 'series', title: 'series', domain: [MEASURED_SERIES, PREDICTED_SERIES] },
      detail: 'series',
      yTitle: GOLD_TITLE,
      withFits: { legend: false },
    }),
  };
}
