import { cellsOf, type Cell, type PipelineConfig } from '@goodhart/core';

/** A prompt as pretrain lists it. */
export interface ListedPrompt {
  promptId: number;
  tokens: number[];
}

/**
 * What PPO tuning may look at, kept apart from what the reported curves use: the development prompts are the last
 * `count` prompts that are neither RM prompts (pretrain's first `rmPromptCount`, which label samples) nor label's
 * evaluation prompts (`heldOut`, every reported curve's prompts); rollouts use every prompt but those two sets'
 * evaluation and development members, as the PPO stage's rollouts do.
 */
export function developmentSplit(
  prompts: readonly ListedPrompt[],
  rmPromptCount: number,
  heldOut: ReadonlySet<number>,
  count: number,
  batchSize: number,
): { development: ListedPrompt[]; rollouts: ListedPrompt[] } {
  const spare = prompts.slice(rmPromptCount).filter((p) => !heldOut.has(p.promptId));
  if (spare.length < count + batchSize) {
    throw new Error(
      `only ${spare.length} prompts are neither RM nor evaluation prompts, and tuning needs ${count} development prompts plus a rollout batch of ${batchSize}; raise prompts.count or lower --dev-prompts`,
    );
  }
  const development = spare.slice(-count);
  const developmentIds = new Set(development.map((p) => p.promptId));
  return { development, rollouts: prompts.filter((p) => !heldOut.has(p.promptId) && !developmentIds.has(p.promptId)) };
}

/**
 * The development proxy: the grid's largest size (or `size`, one of the grid's) on its largest comparisons count (as
 * good a proxy as the grid has) under a seed that no grid cell uses, so no reported best-of-n or PPO curve is drawn
 * with it.
 */
export function developmentCell(config: PipelineConfig, seed: number, size?: string): Cell {
  const grid = config.proxy.grid;
  if (size !== undefined && !grid.sizes.includes(size)) {
    throw new Error(`--dev-size must be one of the proxy grid's sizes (${grid.sizes.join(', ')}); got ${JSON.stringify(size)}`);
  }
  const used = [...new Set(cellsOf(grid).map((cell) => cell.seed))].sort((a, b) => a - b);
  if (!Number.isInteger(seed) || seed < 0 || used.includes(seed)) {
    throw new Error(`--dev-seed must be an integer ≥ 0 that no proxy grid cell uses (the grid's seeds: ${used.join(', ')}); got ${seed}`);
  }
  return { size: size ?? grid.sizes.at(-1)!, comparisons: Math.max(...grid.comparisons), seed };
}
