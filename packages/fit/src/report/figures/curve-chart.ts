import type { TopLevelSpec } from 'vega-lite';
import { BAND_OPACITY, D_TITLE, PANEL } from './figure.ts';
import { FITTED, MEASURED, type MeasuredRow } from './series.ts';
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
}

/**
 * The report's workhorse: measured means as lines with dots, bootstrap intervals as translucent bands, and
 * (optionally) fitted forms dashed in the same colour, in one panel or one panel per facet value.
 */
export function curveChart(o: CurveChartOptions): TopLevelSpec {
  const x = o.x ?? { field: 'd', title: D_TITLE };
  const measuredOnly = [{ filter: `datum.kind === '${MEASURED}'` }];
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
        ...(o.withFits
          ? {
              strokeDash: {
                field: 'kind',
                type: 'nominal',
                title: 'series',
                scale: {
                  domain: [MEASURED, FITTED],
                  range: [
                    [1, 0],
                    [6, 4],
                  ],
                },
                ...(o.withFits.legend ? {} : { legend: null }),
              },
            }
          : {}),
      },
    },
    {
      transform: measuredOnly,
      mark: { type: 'point', filled: true, size: 22, opacity: 0.9 },
      encoding: { ...base, y: { field: 'value', type: 'quantitative', title: o.yTitle } },
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
