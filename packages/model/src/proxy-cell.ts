import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStageOutput, stageDir, type StageOutput } from '@goodhart/core';
import { loadCheckpoint } from './checkpoint.ts';
import type { Model } from './engine/types.ts';

/** A trained proxy RM of the grid as later stages use it: verified output, centring shift, and its checkpoint. */
export interface ProxyCellArtifacts {
  output: StageOutput;
  /** Added to the raw RM output so the initial policy's mean proxy score is 0 (proxy stage's reward.json). */
  shift: number;
  loadRewardModel(): Promise<Model>;
}

export async function openProxyCell(root: string, pipeline: string, cell: string): Promise<ProxyCellArtifacts> {
  const output = await openStageOutput(stageDir(root, pipeline, 'proxy', 'cells', cell), 'proxy', { hint: `npx nx run proxy:${pipeline}--${cell}` });
  const path = output.file('reward.json');
  const { shift } = JSON.parse(await readFile(path, 'utf8')) as { shift?: unknown };
  if (typeof shift !== 'number' || !Number.isFinite(shift)) throw new Error(`${path} (made by stage 'proxy') has no finite "shift"`);
  return { output, shift, loadRewardModel: () => loadCheckpoint(join(output.dir, 'model')) };
}
