import type { FitInput, FitResults, RlCurve } from '../../types.ts';
import { percent } from '../format.ts';
import { curveChart } from './curve-chart.ts';
import { GOLD_HUMAN_TITLE, GOLD_TITLE, PROXY_TITLE, type FigurePlan } from './figure.ts';
import { GOLD_MEASURED, HUMAN_MEASURED, MEASURED, fittedRows, maxD, measuredRows, type MeasuredRow } from './series.ts';

const NO_RL = 'No unpenalised RL (PPO) runs in this preset.';

function unpenalised(input: FitInput): RlCurve[] {
  return input.rl.filter((run) => run.klCoefficient === 0);
}

/** Figure: RL gold vs d per unpenalised run, with the fitted d(α − β ln d) dashed. */
export function rlGoldFigure(input: FitInput, results: FitResults): FigurePlan {
  const id = 'rl-gold';
  const title = 'RL (PPO): gold reward vs d';
  const runs = unpenalised(input);
  if (runs.length === 0) return { kind: 'note', id, title, note: NO_RL };
  // A lexicon gold is the human itself: its human curve would repeat the gold line for line.
  const withHuman = input.goldKind === 'model';
  const rows: MeasuredRow[] = [];
  for (const run of runs) {
    rows.push(
      ...measuredRows(
        run.points.map((p) => ({ d: p.d, value: p.gold })),
        { run: run.run, line: run.run },
        withHuman ? GOLD_MEASURED : MEASURED,
      ),
    );
    if (withHuman)
      rows.push(
        ...measuredRows(
          run.points.map((p) => ({ d: p.d, value: p.human })),
          { run: run.run, line: `${run.run} human` },
          HUMAN_MEASURED,
        ),
      );
    const fit = results.rl.find((f) => f.curve === run.run);
    if (fit) rows.push(...fittedRows(fit, maxD(run.points), { run: run.run, line: `${run.run} fitted` }));
  }
  return {
    kind: 'chart',
    id,
    title,
    caption:
      `Gold reward of PPO policies (no KL penalty) at evaluation checkpoints against d = √KL(π ‖ π_init), one colour per run. ` +
      `Bands are ${percent(input.options.confidence)} bootstrap intervals over prompts; dashed lines are the fitted R_RL(d) = d(α − β ln d). ` +
      (withHuman
        ? `Dotted lines with triangles are the human labeller's score of the same evaluation samples, in the human's s.d. (the outer Goodhart curve). `
        : '') +
      `Findings 1–2.`,
    spec: curveChart({
      title,
      subtitle: withHuman ? 'unpenalised runs; dashed: fitted d(α − β ln d); dotted: human' : 'unpenalised runs; dashed: fitted d(α − β ln d)',
      rows,
      color: { field: 'run', title: 'run', domain: runs.map((r) => r.run) },
      detail: 'line',
      yTitle: withHuman ? GOLD_HUMAN_TITLE : GOLD_TITLE,
      withFits: { legend: true },
      withHuman,
    }),
  };
}

/** Figure: RL proxy vs d per unpenalised run. */
export function rlProxyFigure(input: FitInput): FigurePlan {
  const id = 'rl-proxy';
  const title = 'RL (PPO): proxy reward vs d';
  const runs = unpenalised(input);
  if (runs.length === 0) return { kind: 'note', id, title, note: NO_RL };
  const rows = runs.flatMap((run) =>
    measuredRows(
      run.points.map((p) => ({ d: p.d, value: p.proxy })),
      { run: run.run },
    ),
  );
  return {
    kind: 'chart',
    id,
    title,
    caption: `The proxy RM's score of the PPO policy's samples against d: the quantity PPO maximises keeps climbing. Finding 1.`,
    spec: curveChart({
      title,
      subtitle: 'unpenalised runs',
      rows,
      color: { field: 'run', title: 'run', domain: runs.map((r) => r.run) },
      detail: 'run',
      yTitle: PROXY_TITLE,
    }),
  };
}
