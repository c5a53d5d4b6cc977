import type { TopLevelSpec } from 'vega-lite';
import { BAND_OPACITY, D_TITLE, PANEL } from './figure.ts';
import { FITTED, GOLD_MEASURED, HUMAN_MEASURED, MEASURED, type MeasuredRow } from './series.ts';
import type { Encoding, LayerItem } from './vl-types.ts';

export interface CurveChartOptions {
  title: string;
  subtitle: string;
  rows: MeasuredRow[];
  /** Colour channel: one colour per RM size, run, policy…; domain fixes the legend order. */
  color: { field: string; title: string; domain: string[] };
  /** Field that separates curves sharing a colour (e.g. seeds of one size). */
  detail: string;
  yTitle: string;
  /** The x field and its axis; default d on a linear scale. `ticks` fixes the tick values (for symlog, whose defaults bunch up). */
  x?: { field: string; title: string; scale?: 'linear' | 'symlog'; ticks?: number[] };
  /** One panel per value of this field. */
  facet?: { field: string; title: string; sort?: string[] | number[] };
  /** Draw rows of kind FITTED as dashed lines; `legend: false` when the colour legend already names them. */
  withFits?: { legend: boolean };
  /**
   * Rows of kind HUMAN_MEASURED are the human's score of the same samples (gold rows then have kind GOLD_MEASURED):
   * drawn dotted with open triangles on the same axes, in the curve's colour, with their own bands.
   */
  withHuman?: boolean;
}

/**
 * The report's workhorse: measured means as lines with dots, bootstrap intervals as translucent bands, and
 * (optionally) fitted forms dashed in the same colour, in one panel or one panel per facet value.
 */
export function curveChart(o: CurveChartOptions): TopLevelSpec {
  const x = o.x ?? { field: 'd', title: D_TITLE };
  // Bands and dots for every measured series (gold, and the human when drawn); fitted forms are lines only.
  const measuredOnly = [{ filter: `datum.kind !== '${FITTED}'` }];
  const series = o.withHuman ? [GOLD_MEASURED, FITTED, HUMAN_MEASURED] : [MEASURED, FITTED];
  const dashes = o.withHuman
    ? [
        [1, 0],
        [6, 4],
        [1.5, 2.5],
      ]
    : [
        [1, 0],
        [6, 4],
      ];
  const base: Encoding = {
    x: { field: x.field, type: 'quantitative', title: x.title, scale: { type: x.scale ?? 'linear' }, ...(x.ticks ? { axis: { values: x.ticks } } : {}) },
    color: colorChannel(o),
    detail: { field: o.detail, type: 'nominal' },
  };
  const layer: LayerItem[] = [
    {
      transform: measuredOnly,
      mark: { type: 'area', opacity: BAND_OPACITY },
      // Layer legends merge and the first layer's mark styles the symbols: make them solid, not the band's pale fill.
      encoding: {
        ...base,
        color: { ...colorChannel(o), legend: { symbolOpacity: 1, symbolType: 'circle' } },
        y: { field: 'low', type: 'quantitative', title: o.yTitle },
        y2: { field: 'high' },
      },
    },
    {
      mark: { type: 'line', strokeWidth: 1.8 },
      encoding: {
        ...base,
        y: { field: 'value', type: 'quantitative', title: o.yTitle },
        ...(o.withFits || o.withHuman
          ? {
              strokeDash: {
                field: 'kind',
                type: 'nominal',
                title: 'series',
                scale: { domain: series, range: dashes },
                ...(o.withFits?.legend === false && !o.withHuman ? { legend: null } : {}),
              },
            }
          : {}),
      },
    },
    {
      // The marker's shape keys on its own field: a shape on `kind` with no legend would merge into the strokeDash
      // legend on `kind` and hide it.
      transform: o.withHuman ? [...measuredOnly, { calculate: `datum.kind === '${HUMAN_MEASURED}' ? 'human' : 'gold'`, as: 'marker' }] : measuredOnly,
      mark: { type: 'point', filled: true, size: 22, opacity: 0.9 },
      encoding: {
        ...base,
        y: { field: 'value', type: 'quantitative', title: o.yTitle },
        ...(o.withHuman
          ? { shape: { field: 'marker', type: 'nominal', scale: { domain: ['gold', 'human'], range: ['circle', 'triangle-up'] }, legend: null } }
          : {}),
      },
    },
  ];
  const title = { text: o.title, subtitle: o.subtitle };
  if (o.facet) {
    return {
      title,
      data: { values: o.rows },
      facet: { column: { field: o.facet.field, type: 'ordinal', title: o.facet.title, ...(o.facet.sort ? { sort: o.facet.sort } : {}) } },
      spec: { width: PANEL.width, height: PANEL.height, layer },
    };
  }
  return { title, data: { values: o.rows }, width: PANEL.width, height: PANEL.height, layer };
}

function colorChannel(o: CurveChartOptions): NonNullable<Encoding['color']> {
  return { field: o.color.field, type: 'nominal', title: o.color.title, scale: { domain: o.color.domain } };
}
