import type { CurveFit, Interval } from '../../types.ts';

/** Flat rows for Vega-Lite data tables; every figure builds its curves into these. */
export interface MeasuredRow {
  [key: string]: string | number;
  d: number;
  value: number;
  low: number;
  high: number;
  kind: string;
}

export const MEASURED = 'measured (mean)';
export const FITTED = 'fitted form';
/** In a chart that also draws the human: the measured gold, named so the legend tells the two apart. */
export const GOLD_MEASURED = 'gold (mean)';
export const HUMAN_MEASURED = 'human (mean)';

/** Rows of one measured curve, tagged with the fields that pick its colour and panel. */
export function measuredRows(points: readonly { d: number; value: Interval }[], tags: Record<string, string | number>, kind = MEASURED): MeasuredRow[] {
  return points
    .filter((p) => Number.isFinite(p.d) && Number.isFinite(p.value.mean))
    .map((p) => ({ ...tags, d: p.d, value: p.value.mean, low: p.value.low, high: p.value.high, kind }));
}

/**
 * The fitted gold curve sampled densely on [0, maxD], in gold units: baseline + R(d) with R_bon(d) = d(α − βd),
 * R_RL(d) = d(α − β ln d) (→ 0 at d = 0); the fits are gains over the curve's start.
 */
export function fittedRows(fit: CurveFit, maxD: number, tags: Record<string, string | number>, samples = 48): MeasuredRow[] {
  const alpha = fit.alpha.mean;
  const beta = fit.beta.mean;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta) || !(maxD > 0)) return [];
  const rows: MeasuredRow[] = [];
  for (let i = 0; i <= samples; i++) {
    const d = (maxD * i) / samples;
    const gain = d === 0 ? 0 : fit.method === 'bon' ? d * (alpha - beta * d) : d * (alpha - beta * Math.log(d));
    const value = (fit.baseline ?? 0) + gain;
    rows.push({ ...tags, d, value, low: value, high: value, kind: FITTED });
  }
  return rows;
}

/** Largest finite d of a curve (0 when empty). */
export function maxD(points: readonly { d: number }[]): number {
  return points.reduce((best, p) => (Number.isFinite(p.d) && p.d > best ? p.d : best), 0);
}
