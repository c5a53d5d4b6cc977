import type { TopLevelSpec } from 'vega-lite';
import type { FitInput, Interval, SourceCurve } from '../../types.ts';
import { percent } from '../format.ts';
import { BAND_OPACITY, D_TITLE, GOLD_TITLE, PANEL, type FigurePlan } from './figure.ts';
import type { LayerItem } from './vl-types.ts';

/** The series a line belongs to: a single member cell, or a source by its objective. */
const MEMBER = 'single RM';
const SERIES = [MEMBER, 'mean', 'worst (WCO)', 'uncertainty (UWO)', 'weight average (WARM)'] as const;
const OBJECTIVE_SERIES: Record<string, string> = { mean: SERIES[1], worst: SERIES[2], uncertainty: SERIES[3] };
// Single members grey and thin, sources in colour and bold: the eye reads the sources against the members' spread.
const COLOURS = ['#9a9a9a', '#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

interface SourceRow {
  [key: string]: string | number;
  panel: string;
  series: string;
  line: string;
  role: 'member' | 'source';
  d: number;
  value: number;
  low: number;
  high: number;
}

/** Written once, by the best-of-n figure, when the pipeline file declares no sources. */
// Plain text: the page and summary.md both show it, and the page does not render Markdown.
export const NO_SOURCES_NOTE =
  'This preset declares no reward sources (the pipeline file has no "sources"): best-of-n and PPO optimise single proxy cells only.';

/**
 * Figure: best-of-n gold vs d against each source and its single members, one panel per members' size and
 * comparisons count. With no sources declared this is the report's one note saying so.
 */
export function sourcesBonFigure(input: FitInput): FigurePlan {
  const id = 'sources-bon';
  const title = 'Reward sources: best-of-n gold vs d';
  if (!input.sources) return { kind: 'note', id, title, note: NO_SOURCES_NOTE };
  if (input.sources.bon.length === 0) return { kind: 'note', id, title, note: 'No best-of-n curves against a reward source in this preset.' };
  const rows: SourceRow[] = [];
  const drawn = new Set<string>();
  for (const source of input.sources.bon) {
    const panel = panelOf(source);
    rows.push(...sourceRows(source, panel));
    for (const cell of source.members) {
      const member = input.bon.find((c) => c.proxy.cell === cell);
      if (!member || drawn.has(cell)) continue;
      drawn.add(cell);
      rows.push(...lineRows(member.points, panel, MEMBER, cell, 'member'));
    }
  }
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward of the best of n samples against d = √KL_bon(n), one panel per RM size and comparisons count. Thin grey lines are the single proxy RMs (one per seed); ` +
      `bold lines are the sources built from them: ensembles scored by the mean, the worst (WCO) or mean − λ·variance (UWO) of the members' standardised scores, and the weight-averaged RM (WARM). ` +
      `Bands are ${percent(input.options.confidence)} bootstrap intervals over prompts, drawn for the sources. Finding 10.`,
    spec: sourcesChart(title, 'thin grey: single RMs (seeds); bold: ensembles and the weight average', rows, 'RM size, comparisons'),
  };
}

/** Figure: PPO gold vs d against sources and against single members, one panel per KL penalty coefficient. */
export function sourcesRlFigure(input: FitInput): FigurePlan | null {
  const id = 'sources-rl';
  const title = 'Reward sources: PPO gold vs d';
  if (!input.sources) return null;
  if (input.sources.rl.length === 0) return { kind: 'note', id, title, note: 'No PPO runs against a reward source in this preset.' };
  const members = new Set(input.sources.rl.flatMap((run) => run.members));
  const rows: SourceRow[] = [];
  for (const run of input.sources.rl) rows.push(...sourceRows(run, `β_KL ${run.klCoefficient}`, run.run));
  for (const run of input.rl) {
    if (!members.has(run.proxy.cell)) continue;
    rows.push(...lineRows(run.points, `β_KL ${run.klCoefficient}`, MEMBER, run.run, 'member'));
  }
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward of PPO's evaluation samples against d = √KL, one panel per KL penalty coefficient: thin grey lines are runs against a single member RM, bold lines runs against the ensembles (and weight averages) of its size and comparisons count. ` +
      `Bands are ${percent(input.options.confidence)} intervals over prompts, drawn for the sources. Finding 10.`,
    spec: sourcesChart(title, 'thin grey: a single member RM; bold: sources', rows, 'KL penalty'),
  };
}

function panelOf(source: SourceCurve): string {
  const [first] = source.members;
  // Members share size and comparisons (validated at load): the first member's cell name without its seed names both.
  return first ? first.replace(/-s\d+$/, '') : source.name;
}

function seriesOf(source: Pick<SourceCurve, 'kind' | 'objective'>): string {
  return source.kind === 'weightAverage' ? SERIES[4] : (OBJECTIVE_SERIES[source.objective] ?? source.objective);
}

function sourceRows(source: SourceCurve, panel: string, line = source.name): SourceRow[] {
  return lineRows(source.points, panel, seriesOf(source), line, 'source');
}

function lineRows(points: readonly { d: number; gold: Interval }[], panel: string, series: string, line: string, role: SourceRow['role']): SourceRow[] {
  return points
    .filter((p) => Number.isFinite(p.d) && Number.isFinite(p.gold.mean))
    .map((p) => ({ panel, series, line, role, d: p.d, value: p.gold.mean, low: p.gold.low, high: p.gold.high }));
}

function sourcesChart(title: string, subtitle: string, rows: SourceRow[], facetTitle: string): TopLevelSpec {
  const x = { field: 'd', type: 'quantitative' as const, title: D_TITLE };
  // One legend for every layer (a layer without it would disable the merged legend).
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: 'optimised against',
    scale: { domain: [...SERIES], range: COLOURS },
    legend: { symbolOpacity: 1, symbolType: 'stroke' },
  };
  const detail = { field: 'line', type: 'nominal' as const };
  const sourcesOnly = [{ filter: "datum.role === 'source'" }];
  const layer: LayerItem[] = [
    {
      transform: sourcesOnly,
      mark: { type: 'area', opacity: BAND_OPACITY },
      encoding: { x, color, detail, y: { field: 'low', type: 'quantitative', title: GOLD_TITLE }, y2: { field: 'high' } },
    },
    {
      mark: { type: 'line' },
      encoding: {
        x,
        color,
        detail,
        y: { field: 'value', type: 'quantitative', title: GOLD_TITLE },
        strokeWidth: { field: 'role', type: 'ordinal', scale: { domain: ['member', 'source'], range: [0.9, 2.6] }, legend: null },
        opacity: { field: 'role', type: 'ordinal', scale: { domain: ['member', 'source'], range: [0.7, 1] }, legend: null },
      },
    },
    {
      transform: sourcesOnly,
      mark: { type: 'point', filled: true, size: 22, opacity: 0.9 },
      encoding: { x, color, detail, y: { field: 'value', type: 'quantitative', title: GOLD_TITLE } },
    },
  ];
  return {
    title: { text: title, subtitle },
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'ordinal', title: facetTitle } },
    spec: { width: PANEL.width, height: PANEL.height, layer },
  };
}
