import type { NoteFigure } from './figures/index.ts';

/** A chart as the page and summary use it: its SVG text and where it was written, relative to the report dir. */
export interface RenderedChart {
  kind: 'chart';
  id: string;
  title: string;
  caption: string;
  svg: string;
  /** e.g. "figures/bon-gold.svg" */
  file: string;
}

export type RenderedFigure = RenderedChart | NoteFigure;
