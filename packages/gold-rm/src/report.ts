import type { GoldRmMetrics } from './stage.ts';

/** The lines the CLI prints: how well the gold RM agrees with the human, overall and per group. */
export function formatGoldRmMetrics(m: GoldRmMetrics): string {
  const percent = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
  return [
    `gold RM "${m.size}" (${m.nonEmbeddingParameters.toLocaleString('en-US')} non-embedding parameters), ${m.steps} steps on ${m.comparisons.train} comparisons (${m.prompts.train} prompts); training loss ${m.trainLoss.first.toFixed(4)} → ${m.trainLoss.last.toFixed(4)}`,
    `held-out accuracy against the human: ${percent(m.validation.accuracy)} on ${m.validation.pairs} comparisons of ${m.prompts.validation} prompts (loss ${m.validation.loss.toFixed(4)}; before training ${percent(m.initialValidation.accuracy)}; on its training comparisons ${percent(m.train.accuracy)})`,
    ...m.validationByGroup.map((g) => `  ${g.group.padEnd(36)} ${percent(g.accuracy).padStart(6)} of ${g.pairs}`),
  ].join('\n');
}
