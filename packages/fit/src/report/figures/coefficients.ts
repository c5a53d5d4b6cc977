import type { TopLevelSpec } from 'vega-lite';
import type { CurveFit, FitInput, FitResults, Interval, ProxyInfo, ScalingFit } from '../../types.ts';
import { percent } from '../format.ts';
import { PANEL, type FigurePlan } from './figure.ts';
import { sizeLabel } from './labels.ts';
import type { LayerItem } from './vl-types.ts';

/** The three coefficients the paper tracks against RM scale, in panel order. */
const COEFFICIENTS = ['α_bon', 'β_bon', 'β_RL'] as const;
type Coefficient = (typeof COEFFICIENTS)[number];

interface CoefficientRow {
  [key: string]: string | number;
  coefficient: Coefficient;
  x: number;
  y: number;
  low: number;
  high: number;
  group: string;
  /** Trend rows: the scaling fit's slice (several, e.g. seeds, can share a colour group); '' for fit rows. */
  slice: string;
  kind: 'fit' | 'trend';
}

type Axis = 'parameters' | 'comparisons';

/** Figure: α_bon, β_bon, β_RL against RM parameters (log x), coloured by comparisons count, with the scaling trends. */
export function coefficientsVsParametersFigure(input: FitInput, results: FitResults): FigurePlan {
  return coefficientsFigure('parameters', input, results);
}

/** Figure: the same coefficients against the number of comparisons (log x), coloured by RM size. */
export function coefficientsVsComparisonsFigure(input: FitInput, results: FitResults): FigurePlan {
  return coefficientsFigure('comparisons', input, results);
}

function coefficientsFigure(axis: Axis, input: FitInput, results: FitResults): FigurePlan {
  const id = axis === 'parameters' ? 'coef-params' : 'coef-comparisons';
  const title = axis === 'parameters' ? 'Fitted coefficients vs RM parameters' : 'Fitted coefficients vs comparisons';
  const rows = [...pointRows(axis, results), ...trendRows(axis, results.scaling, input.proxies)];
  const xs = new Set(rows.filter((r) => r.kind === 'fit').map((r) => r.x));
  if (xs.size < 2) {
    const what = axis === 'parameters' ? 'RM sizes' : 'comparisons counts';
    return { kind: 'note', id, title, note: `Needs fits at two or more ${what}; this preset has ${xs.size}.` };
  }
  const groupOrder =
    axis === 'parameters'
      ? numericOrder(rows.map((r) => r.group))
      : sizeOrder(
          input.proxies,
          rows.map((r) => r.group),
        );
  return {
    kind: 'chart',
    id,
    title,
    caption:
      (axis === 'parameters'
        ? 'Per-curve fitted coefficients against the proxy RM’s parameter count (log scale), one colour per comparisons count. '
        : 'Per-curve fitted coefficients against the number of RM training comparisons (log scale), one colour per RM size. ') +
      `Error bars are the fits’ ${percent(input.options.confidence)} bootstrap intervals; dashed lines are the fitted trends against ${axis === 'parameters' ? 'log10(parameters)' : 'ln(comparisons)'}. ` +
      `β_RL comes from the shared-α RL fits when the preset has them. Findings ${axis === 'parameters' ? '3' : '4'}.`,
    spec: spec(axis, title, rows, groupOrder),
  };
}

/**
 * One panel per coefficient side by side (hconcat, not facet): a facet would give every panel every layer, and a
 * panel without a trend line (β_RL usually) would then plot an empty layer with an infinite extent.
 */
function spec(axis: Axis, title: string, rows: CoefficientRow[], groupOrder: string[]): TopLevelSpec {
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: axis === 'parameters' ? 'RM parameters' : 'comparisons',
    scale: { type: 'log' as const },
    axis: { format: '~s', tickCount: 5 },
  };
  const color = { field: 'group', type: 'nominal' as const, title: axis === 'parameters' ? 'comparisons' : 'RM size', scale: { domain: groupOrder } };
  const panels = COEFFICIENTS.flatMap((coefficient) => {
    const fits = rows.filter((r) => r.coefficient === coefficient && r.kind === 'fit');
    const trends = rows.filter((r) => r.coefficient === coefficient && r.kind === 'trend');
    if (fits.length === 0) return [];
    const y = { field: 'y', type: 'quantitative' as const, title: coefficient, scale: { zero: false } };
    const layer: LayerItem[] = [
      {
        data: { values: fits },
        mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.7 },
        encoding: { x, color, y: { ...y, field: 'low' }, y2: { field: 'high' } },
      },
      { data: { values: fits }, mark: { type: 'point', filled: true, size: 45, opacity: 0.95 }, encoding: { x, color, y } },
    ];
    if (trends.length > 0) {
      layer.push({
        data: { values: trends },
        mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.4 },
        encoding: { x, color, detail: { field: 'slice', type: 'nominal' }, y },
      });
    }
    return [{ title: coefficient, width: 220, height: PANEL.height, layer }];
  });
  return { title: { text: title, subtitle: 'points: per-curve fits with intervals; dashed: scaling trend' }, hconcat: panels };
}

/** Per-curve coefficient estimates: BoN α and β from every BoN fit; β_RL from the shared-α fits, else unpenalised RL fits. */
function pointRows(axis: Axis, results: FitResults): CoefficientRow[] {
  const rows: CoefficientRow[] = [];
  const push = (coefficient: Coefficient, proxy: ProxyInfo, value: Interval): void => {
    if (!Number.isFinite(value.mean)) return;
    const x = axis === 'parameters' ? proxy.parameters : proxy.comparisons;
    const group = axis === 'parameters' ? String(proxy.comparisons) : sizeLabel(proxy);
    rows.push({ coefficient, x, y: value.mean, low: value.low, high: value.high, group, slice: '', kind: 'fit' });
  };
  for (const fit of results.bon) {
    push('α_bon', fit.proxy, fit.alpha);
    push('β_bon', fit.proxy, fit.beta);
  }
  const unpenalised = results.rl.filter((fit) => fit.klCoefficient === 0);
  const shared = results.rlSharedAlpha.flatMap((group) => group.betas);
  if (shared.length > 0) {
    for (const beta of shared) {
      const fit: CurveFit | undefined = results.rl.find((f) => f.curve === beta.run);
      if (fit) push('β_RL', fit.proxy, beta.beta);
    }
  } else {
    for (const fit of unpenalised) push('β_RL', fit.proxy, fit.beta);
  }
  return rows.filter((r) => r.x > 0);
}

/** The fitting library's scaling lines, sampled across the x range of their own points. */
function trendRows(axis: Axis, scaling: readonly ScalingFit[], proxies: readonly ProxyInfo[]): CoefficientRow[] {
  const against = axis === 'parameters' ? 'log10_parameters' : 'ln_comparisons';
  const rows: CoefficientRow[] = [];
  for (const fit of scaling) {
    if (fit.against !== against || fit.points.length < 2 || !Number.isFinite(fit.slope)) continue;
    const coefficient = coefficientName(fit);
    if (!coefficient) continue;
    const lo = Math.min(...fit.points.map((p) => p.x));
    const hi = Math.max(...fit.points.map((p) => p.x));
    const group = groupOfSlice(axis, fit.slice, proxies);
    for (let i = 0; i <= 20; i++) {
      const t = lo + ((hi - lo) * i) / 20;
      const x = axis === 'parameters' ? 10 ** t : Math.exp(t);
      const y = fit.intercept + fit.slope * t;
      rows.push({ coefficient, x, y, low: y, high: y, group, slice: fit.slice, kind: 'trend' });
    }
  }
  return rows;
}

function coefficientName(fit: ScalingFit): Coefficient | undefined {
  if (fit.method === 'bon') return fit.coefficient === 'alpha' ? 'α_bon' : 'β_bon';
  return fit.coefficient === 'beta' ? 'β_RL' : undefined;
}

/**
 * The colour group a trend belongs to: the comparisons count or RM size its slice names (a size shown with its
 * parameter count, like the points), else the slice text itself.
 */
function groupOfSlice(axis: Axis, slice: string, proxies: readonly ProxyInfo[]): string {
  const pattern = axis === 'parameters' ? /comparisons\s*=\s*(\d+)/ : /size\s*=\s*([^,;\s]+)/;
  const match = pattern.exec(slice);
  if (!match) return slice;
  if (axis === 'parameters') return match[1]!;
  const proxy = proxies.find((p) => p.size === match[1]);
  return proxy ? sizeLabel(proxy) : match[1]!;
}

function numericOrder(groups: readonly string[]): string[] {
  return [...new Set(groups)].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

/** RM size labels by parameter count, then any group not matching a known size. */
function sizeOrder(proxies: readonly ProxyInfo[], groups: readonly string[]): string[] {
  const known = [...new Set([...proxies].sort((a, b) => a.parameters - b.parameters).map(sizeLabel))].filter((label) => groups.includes(label));
  return [...known, ...[...new Set(groups)].filter((g) => !known.includes(g))];
}
