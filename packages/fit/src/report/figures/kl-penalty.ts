import type { TopLevelSpec } from 'vega-lite';
import type { FitInput, RlCurve } from '../../types.ts';
import { percent } from '../format.ts';
import { BAND_OPACITY, D_TITLE, GOLD_TITLE, PROXY_TITLE, type FigurePlan } from './figure.ts';
import { policyLabel } from './labels.ts';
import type { LayerItem } from './vl-types.ts';

/** At most this many proxy/policy groups are drawn, so a large sweep does not make a page-long figure. */
const MAX_GROUPS = 3;
const SMALL = { width: 230, height: 180 } as const;

interface PenaltyRow {
  [key: string]: string | number;
  coefficient: string;
  run: string;
  x: number;
  value: number;
  low: number;
  high: number;
}

/** Figure: per proxy and policy with penalised runs, gold vs d, proxy vs d and KL vs step for each KL coefficient. */
export function klPenaltyFigure(input: FitInput): FigurePlan {
  const id = 'kl-penalty';
  const title = 'KL penalty: gold and proxy vs d, KL vs step';
  const groups = penaltyGroups(input.rl).slice(0, MAX_GROUPS);
  if (groups.length === 0) return { kind: 'note', id, title, note: 'No KL-penalised RL runs (klCoefficient > 0) in this preset.' };
  const rows = groups.map((runs) => {
    const domain = [...new Set(runs.map((r) => r.klCoefficient))].sort((a, b) => a - b).map(String);
    const panel = (metric: 'gold' | 'proxy' | 'kl'): PenaltyRow[] =>
      runs.flatMap((run) =>
        run.points.map((p) => {
          const interval = metric === 'gold' ? p.gold : metric === 'proxy' ? p.proxy : p.kl;
          return {
            coefficient: String(run.klCoefficient),
            run: run.run,
            x: metric === 'kl' ? p.step : p.d,
            value: interval.mean,
            low: interval.low,
            high: interval.high,
          };
        }),
      );
    const head = runs[0]!;
    return {
      title: `proxy ${head.proxy.cell}, policy ${policyLabel(head.policy)}`,
      hconcat: [
        panelSpec(panel('gold'), D_TITLE, GOLD_TITLE, domain),
        panelSpec(panel('proxy'), D_TITLE, PROXY_TITLE, domain),
        panelSpec(panel('kl'), 'PPO step', 'KL (nats)', domain),
      ],
    };
  });
  const spec: TopLevelSpec = { title: { text: title, subtitle: 'one colour per KL coefficient (0 = unpenalised)' }, vconcat: rows };
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `PPO against the same proxy with different KL penalty coefficients. Left: gold vs d — a penalised run stops earlier but on the same frontier as the unpenalised one. ` +
      `Middle: proxy vs d — the penalty buys more proxy per unit of KL. Right: KL vs step — the penalty caps how far the policy moves. Bands are ${percent(input.options.confidence)} intervals. Finding 6.`,
    spec,
  };
}

/** Runs grouped by (proxy, policy), keeping only groups that contain a penalised run. */
function penaltyGroups(runs: readonly RlCurve[]): RlCurve[][] {
  const groups = new Map<string, RlCurve[]>();
  for (const run of runs) {
    const key = `${run.proxy.cell}\u0000${run.policy.size}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].filter((group) => group.some((run) => run.klCoefficient > 0));
}

function panelSpec(
  rows: PenaltyRow[],
  xTitle: string,
  yTitle: string,
  domain: string[],
): { data: { values: PenaltyRow[] }; width: number; height: number; layer: LayerItem[] } {
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle };
  const color = { field: 'coefficient', type: 'nominal' as const, title: 'KL coefficient', scale: { domain } };
  return {
    data: { values: rows },
    width: SMALL.width,
    height: SMALL.height,
    layer: [
      {
        mark: { type: 'area', opacity: BAND_OPACITY },
        encoding: {
          x,
          color: { ...color, legend: null },
          detail: { field: 'run', type: 'nominal' },
          y: { field: 'low', type: 'quantitative', title: yTitle },
          y2: { field: 'high' },
        },
      },
      {
        mark: { type: 'line', strokeWidth: 1.8, point: { filled: true, size: 16 } },
        encoding: { x, color, detail: { field: 'run', type: 'nominal' }, y: { field: 'value', type: 'quantitative', title: yTitle } },
      },
    ],
  };
}
