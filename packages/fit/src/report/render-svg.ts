import { View, Warn, logger, parse } from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';

export interface RenderedSvg {
  svg: string;
  /** Vega-Lite and Vega warnings: a spec that renders but draws the wrong thing usually says so here. */
  warnings: string[];
}

/** One look for every figure: quiet gridlines, a readable font stack, titles anchored left like a paper's panels. */
const REPORT_CONFIG: Config = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#d0d0d0' },
  title: { anchor: 'start', fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#ececec', titleFontWeight: 'normal' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 220 },
  header: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 'normal' },
  range: { category: { scheme: 'tableau10' } },
};

/**
 * Vega-Lite spec → SVG text, headless: renderer 'none' needs no DOM and no canvas (text widths are estimated, which
 * is fine for axis layout). Each call builds and finalises its own view, so nothing leaks between figures.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  const warnings: string[] = [];
  const log = logger(Warn, undefined, (_method, level, args) => {
    warnings.push(`${level} ${args.map(String).join(' ')}`);
  });
  const vegaSpec = compile(spec, { config: REPORT_CONFIG, logger: log }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', logger: log });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
