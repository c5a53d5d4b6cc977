import { POOL_PROMPTS_TABLE, POOL_TABLE, cellName, gridCells, readParquetFile, stageName, type PipelineConfig, type StageOutput } from '@goodhart/core';
import { readPromptsFile } from '@goodhart/model';

/**
 * What the best-of-n tasks share: the stage name, the proxies they run against and the pool as the scoring and the
 * curves read it. Each task has a module of its own (pool-stage.ts, score-stage.ts, curves-stage.ts), so the Nx
 * plugin, which hashes the source a task's entry point reaches, reruns only the tasks whose code changed.
 */

export const STAGE = stageName('bonPool');
/** The proxy cells best-of-n runs against: bon.proxies, or every cell of proxy.grid. */
export function bonProxies(config: PipelineConfig): string[] {
  const grid = gridCells(config).map(cellName);
  const chosen = config.bon.proxies ?? grid;
  for (const cell of chosen) {
    if (!grid.includes(cell)) throw new Error(`bon.proxies names "${cell}", which is not a cell of proxy.grid (${grid.join(', ')})`);
  }
  return chosen;
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
