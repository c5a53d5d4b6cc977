import { ppoBeside } from '../../findings/direct-alignment.ts';
import type { CurveFit, DpoCurve, FitInput, FitResults } from '../../types.ts';
import { percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_TITLE, type FigurePlan } from './figure.ts';
import { fittedRows, maxD, measuredRows, type MeasuredRow } from './series.ts';

/**
 * Figure: gold vs d for every direct-alignment run (one colour per loss × β) beside the unpenalised PPO run against
 * the proxy trained on the same comparisons, one panel per cell, each with its fitted d(α − β ln d) dashed.
 */
export function dpoGoldFigure(input: FitInput, results: FitResults): FigurePlan {
  const id = 'dpo-gold';
  const title = 'Direct alignment (DPO, IPO) beside PPO: gold vs d';
  const runs = input.dpo ?? [];
  if (runs.length === 0) return { kind: 'note', id, title, note: 'No direct-alignment (DPO/IPO) runs in this preset.' };
  const rows: MeasuredRow[] = [];
  const lines: string[] = [];
  const add = (curve: Pick<DpoCurve, 'points'>, line: string, cell: string, fit: CurveFit | undefined): void => {
    if (!lines.includes(line)) lines.push(line);
    rows.push(
      ...measuredRows(
        curve.points.map((p) => ({ d: p.d, value: p.gold })),
        { cell, line, series: line },
      ),
    );
    if (fit) rows.push(...fittedRows(fit, maxD(curve.points), { cell, line, series: `${line} fitted` }));
  };
  const ppoDrawn = new Set<string>();
  for (const run of runs) {
    add(
      run,
      `${run.loss.toUpperCase()} β ${run.beta}`,
      run.proxy.cell,
      results.dpo?.find((f) => f.curve === run.run),
    );
    const ppo = ppoBeside(run, input.rl);
    if (ppo && !ppoDrawn.has(ppo.run)) {
      ppoDrawn.add(ppo.run);
      add(
        ppo,
        'PPO (β_KL 0)',
        run.proxy.cell,
        results.rl.find((f) => f.curve === ppo.run),
      );
    }
  }
  const cells = [...new Set(runs.map((run) => run.proxy.cell))];
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward against d = √KL(π ‖ π_init) of the policy trained directly on a proxy cell's training comparisons (DPO or IPO at each β), ` +
      `beside the unpenalised PPO run against the proxy RM trained on the same comparisons; one panel per cell. Bands are ${percent(input.options.confidence)} ` +
      `bootstrap intervals over prompts; dashed lines are the fitted d(α − β ln d). Finding 9.`,
    spec: curveChart({
      title,
      subtitle: 'dashed: fitted d(α − β ln d)',
      rows,
      color: { field: 'line', title: 'run', domain: lines },
      detail: 'series',
      yTitle: GOLD_TITLE,
      facet: { field: 'cell', title: 'comparisons of cell', sort: cells },
      withFits: { legend: true },
    }),
  };
}
