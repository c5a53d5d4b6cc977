import type { FitInput, RlCurve } from '../../types.ts';
import { percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_TITLE, type FigurePlan } from './figure.ts';
import { orderedDomain, policyLabel } from './labels.ts';
import { measuredRows } from './series.ts';

/** Figure: gold vs d per policy size against the same proxy; only when some proxy has ≥ 2 policy sizes. */
export function policySizeFigure(input: FitInput): FigurePlan {
  const id = 'policy-size';
  const title = 'Policy size: gold reward vs d';
  const byProxy = new Map<string, RlCurve[]>();
  for (const run of input.rl) {
    if (run.klCoefficient !== 0) continue;
    byProxy.set(run.proxy.cell, [...(byProxy.get(run.proxy.cell) ?? []), run]);
  }
  const groups = [...byProxy.entries()].filter(([, runs]) => new Set(runs.map((r) => r.policy.size)).size >= 2);
  if (groups.length === 0) {
    const sizes = [...new Set(input.rl.map((r) => r.policy.size))];
    return {
      kind: 'note',
      id,
      title,
      note: `Not in this preset: the policy-size comparison needs unpenalised RL runs of two or more policy sizes against the same proxy (this preset has ${sizes.length === 0 ? 'no RL runs' : `policy size ${sizes.join(', ')}`}).`,
    };
  }
  const runs = groups.flatMap(([, r]) => r);
  const rows = runs.flatMap((run) =>
    measuredRows(
      run.points.map((p) => ({ d: p.d, value: p.gold })),
      { policy: policyLabel(run.policy), run: run.run, proxy: run.proxy.cell },
    ),
  );
  return {
    kind: 'chart',
    id,
    title,
    caption: `Gold reward of unpenalised PPO runs of different policy sizes against the same proxy RM. A larger policy starts higher and gains less, but peaks at about the same d. Bands are ${percent(input.options.confidence)} intervals. Finding 5.`,
    spec: curveChart({
      title,
      subtitle: 'unpenalised runs, one panel per proxy RM',
      rows,
      color: {
        field: 'policy',
        title: 'policy',
        domain: orderedDomain(
          runs,
          (r) => policyLabel(r.policy),
          (r) => r.policy.parameters,
        ),
      },
      detail: 'run',
      yTitle: GOLD_TITLE,
      facet: { field: 'proxy', title: 'proxy RM' },
    }),
  };
}
