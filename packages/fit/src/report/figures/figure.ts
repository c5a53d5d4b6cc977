import type { TopLevelSpec } from 'vega-lite';
import type { FitInput, FitResults } from '../../types.ts';

/** A figure to render: a Vega-Lite spec, and the caption the page shows under it. */
export interface ChartFigure {
  kind: 'chart';
  /** File stem in figures/ and the id of the <figure> element ("fig-<id>"). */
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A figure this preset cannot draw (its runs are absent): the page shows the note instead of an empty chart. */
export interface NoteFigure {
  kind: 'note';
  id: string;
  title: string;
  note: string;
}

export type FigurePlan = ChartFigure | NoteFigure;

export type FigureBuilder = (input: FitInput, results: FitResults) => FigurePlan;

/** Panel size shared by every chart, so a page of figures lines up. */
export const PANEL = { width: 300, height: 210 } as const;

export const D_TITLE = 'd = √KL (√nats)';
// Axis titles stay short: without canvas, Vega over-estimates text width, and a rotated y title longer than the
// panel pushes the plot down and leaves a gap under the chart title.
export const GOLD_TITLE = 'gold reward (s.d.)';
export const PROXY_TITLE = 'proxy reward';
/** A gold chart that also draws the human's score (each in its own s.d.). */
export const GOLD_HUMAN_TITLE = 'gold · human (s.d.)';

/** Band opacity for bootstrap intervals: visible, but never hiding the mean line. */
export const BAND_OPACITY = 0.16;
