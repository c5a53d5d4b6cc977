import {
  POOL_PROMPTS_TABLE,
  POOL_TABLE,
  cellName,
  gridCells,
  proxyNames,
  readParquetFile,
  scorersOf,
  stageName,
  type PipelineConfig,
  type StageOutput,
} from '@goodhart/core';
import { readPromptsFile } from '@goodhart/model';

/**
 * What the best-of-n tasks share: the stage name, the proxies they run against and the pool as the scoring and the
 * curves read it. Each task has a module of its own (pool-stage.ts, score-stage.ts, curves-stage.ts), so the Nx
 * plugin, which hashes the source a task's entry point reaches, reruns only the tasks whose code changed.
 */

export const STAGE = stageName('bonPool');
/** The proxies best-of-n runs against: bon.proxies, or every cell of proxy.grid, then every declared source. */
export function bonProxies(config: PipelineConfig): string[] {
  const grid = gridCells(config).map(cellName);
  const known = proxyNames(grid, config.sources);
  const chosen = config.bon.proxies ?? known;
  for (const name of chosen) {
    if (!known.includes(name)) {
      const what = config.sources ? `a cell of proxy.grid or a source (${known.join(', ')})` : `a cell of proxy.grid (${grid.join(', ')})`;
      throw new Error(`bon.proxies names "${name}", which is not ${what}`);
    }
  }
  return chosen;
}

/**
 * The models the pool is scored with, each once: every proxy's scorers (a cell itself, an ensemble's members, a
 * weight average's own model). An ensemble adds no scoring of its own: its curve combines its members' scores.
 */
export function bonScorers(config: PipelineConfig): string[] {
  return [...new Set(bonProxies(config).flatMap((name) => scorersOf(name, config.sources ?? {})))];
}

export interface PoolRows extends Array<{ promptId: number; sampleIndex: number; tokens: number[]; gold: number; human: number }> {
  promptTokens: Map<number, number[]>;
}

export async function readPool(output: StageOutput): Promise<PoolRows> {
  const path = output.file(POOL_TABLE.file);
  const rows = POOL_TABLE.rows(await readParquetFile(path), path).map((row) => ({
    promptId: row.prompt_id,
    sampleIndex: row.sample_index,
    tokens: [...row.response_tokens],
    gold: Number(row.gold),
    human: Number(row.human),
  })) as PoolRows;
  rows.promptTokens = new Map((await readPromptsFile(output.file(POOL_PROMPTS_TABLE.file))).map((p) => [p.promptId, p.tokens]));
  return rows;
}
