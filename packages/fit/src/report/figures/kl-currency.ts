import type { FitInput } from '../../types.ts';
import { percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_TITLE, type FigurePlan } from './figure.ts';
import { policyLabel } from './labels.ts';
import { measuredRows, type MeasuredRow } from './series.ts';

const MAX_PANELS = 4;

/** Figure: BoN and RL gold against KL itself (not d) on the same proxy: how much KL each method spends per unit of gold. */
export function klCurrencyFigure(input: FitInput): FigurePlan {
  const id = 'bon-vs-rl';
  const title = 'BoN vs RL: gold reward vs KL on the same proxy';
  const cells = [...new Set(input.rl.filter((r) => r.klCoefficient === 0).map((r) => r.proxy.cell))]
    .filter((cell) => input.bon.some((c) => c.proxy.cell === cell))
    .slice(0, MAX_PANELS);
  if (cells.length === 0)
    return { kind: 'note', id, title, note: 'Needs a proxy with both a best-of-n curve and an unpenalised RL run; this preset has none.' };
  const rows: MeasuredRow[] = [];
  for (const cell of cells) {
    const bon = input.bon.find((c) => c.proxy.cell === cell)!;
    rows.push(
      ...measuredRows(
        bon.points.map((p) => ({ d: p.kl, value: p.gold })),
        { series: 'best-of-n', curve: `bon:${cell}`, proxy: cell },
      ),
    );
    for (const run of input.rl.filter((r) => r.klCoefficient === 0 && r.proxy.cell === cell)) {
      rows.push(
        ...measuredRows(
          run.points.map((p) => ({ d: p.kl.mean, value: p.gold })),
          { series: `RL, policy ${policyLabel(run.policy)}`, curve: run.run, proxy: cell },
        ),
      );
    }
  }
  const series = [...new Set(rows.map((r) => String(r.series)))];
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward against KL from the initial policy in nats (symmetric-log scale) for best-of-n and PPO on the same proxy RM. RL reaches the same gold only at far larger KL: ` +
      `KL measures the two methods’ optimisation on different scales. Bands are ${percent(input.options.confidence)} intervals. Finding 7.`,
    spec: curveChart({
      title,
      subtitle: 'x: KL in nats (symlog scale)',
      rows,
      color: { field: 'series', title: 'method', domain: series },
      detail: 'curve',
      yTitle: GOLD_TITLE,
      x: { field: 'd', title: 'KL(π ‖ π_init) (nats)', scale: 'symlog', ticks: symlogTicks(Math.max(...rows.map((r) => r.d))) },
      facet: { field: 'proxy', title: 'proxy RM' },
    }),
  };
}

/** 0, 1, 2, 5, 10, 20, 50, … up to the largest KL: evenly spread on a symlog axis, unlike its default ticks. */
function symlogTicks(max: number): number[] {
  const ticks = [0];
  for (let decade = 1; decade <= Math.max(max, 1) * 1.0001; decade *= 10) {
    for (const step of [1, 2, 5]) if (decade * step <= max * 1.0001) ticks.push(decade * step);
  }
  return ticks;
}
