import type { FitInput, FitResults } from '../../types.ts';
import { percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_HUMAN_TITLE, GOLD_TITLE, PROXY_TITLE, type FigurePlan } from './figure.ts';
import { orderedDomain, sizeLabel } from './labels.ts';
import { GOLD_MEASURED, HUMAN_MEASURED, MEASURED, fittedRows, maxD, measuredRows, type MeasuredRow } from './series.ts';

/** Figure: BoN gold vs d per RM size, one panel per comparisons count, with the fitted d(α − βd) dashed. */
export function bonGoldFigure(input: FitInput, results: FitResults): FigurePlan {
  const id = 'bon-gold';
  const title = 'Best-of-n: gold reward vs d';
  if (input.bon.length === 0) return { kind: 'note', id, title, note: 'No best-of-n curves in this preset.' };
  // A lexicon gold is the human itself: its human curve would repeat the gold line for line.
  const withHuman = input.goldKind === 'model';
  const rows: MeasuredRow[] = [];
  for (const curve of input.bon) {
    const tags = { size: sizeLabel(curve.proxy), curve: curve.proxy.cell, comparisons: curve.proxy.comparisons };
    rows.push(
      ...measuredRows(
        curve.points.map((p) => ({ d: p.d, value: p.gold })),
        tags,
        withHuman ? GOLD_MEASURED : MEASURED,
      ),
    );
    // `curve` separates lines within a colour: the human's line is its own curve.
    if (withHuman)
      rows.push(
        ...measuredRows(
          curve.points.map((p) => ({ d: p.d, value: p.human })),
          { ...tags, curve: `${curve.proxy.cell} human` },
          HUMAN_MEASURED,
        ),
      );
    const fit = results.bon.find((f) => f.curve === curve.proxy.cell);
    if (fit) rows.push(...fittedRows(fit, maxD(curve.points), tags));
  }
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward of the best of n samples (chosen by the proxy RM) against d = √KL_bon(n), one colour per proxy RM size and one panel per number of training comparisons. ` +
      `Bands are ${percent(input.options.confidence)} bootstrap intervals over prompts; dashed lines are the fitted R_bon(d) = d(α − βd). ` +
      (withHuman
        ? `Dotted lines with triangles are the human labeller's score of the same chosen samples, in the human's s.d. (the outer Goodhart curve). `
        : '') +
      `Findings 1–4.`,
    spec: curveChart({
      title,
      subtitle: withHuman
        ? 'per RM size and comparisons count; dashed: fitted d(α − βd); dotted: human'
        : `per RM size and comparisons count; dashed: fitted d(α − βd)`,
      rows,
      color: {
        field: 'size',
        title: 'RM size',
        domain: orderedDomain(
          input.bon,
          (c) => sizeLabel(c.proxy),
          (c) => c.proxy.parameters,
        ),
      },
      detail: 'curve',
      yTitle: withHuman ? GOLD_HUMAN_TITLE : GOLD_TITLE,
      facet: { field: 'comparisons', title: 'RM training comparisons' },
      withFits: { legend: true },
      withHuman,
    }),
  };
}

/** Figure: BoN proxy score vs d (the proxy keeps rising while gold turns down). */
export function bonProxyFigure(input: FitInput): FigurePlan {
  const id = 'bon-proxy';
  const title = 'Best-of-n: proxy reward vs d';
  if (input.bon.length === 0) return { kind: 'note', id, title, note: 'No best-of-n curves in this preset.' };
  const rows = input.bon.flatMap((curve) =>
    measuredRows(
      curve.points.map((p) => ({ d: p.d, value: p.proxy })),
      { size: sizeLabel(curve.proxy), curve: curve.proxy.cell, comparisons: curve.proxy.comparisons },
    ),
  );
  return {
    kind: 'chart',
    id,
    title,
    caption: `The proxy RM's own score of the chosen sample against d: it keeps rising where gold (previous figure) has turned down. Bands are ${percent(input.options.confidence)} intervals over prompts. Finding 1.`,
    spec: curveChart({
      title,
      subtitle: 'the score being optimised, per RM size and comparisons count',
      rows,
      color: {
        field: 'size',
        title: 'RM size',
        domain: orderedDomain(
          input.bon,
          (c) => sizeLabel(c.proxy),
          (c) => c.proxy.parameters,
        ),
      },
      detail: 'curve',
      yTitle: PROXY_TITLE,
      facet: { field: 'comparisons', title: 'RM training comparisons' },
    }),
  };
}
