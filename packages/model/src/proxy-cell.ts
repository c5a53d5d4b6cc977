import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageOutput } from '@goodhart/core';
import { loadCheckpoint } from './checkpoint.ts';
import type { Model } from './engine/types.ts';

/** A trained proxy RM of the grid as later stages use it: verified output, centring shift, and its checkpoint. */
export interface ProxyCellArtifacts {
  output: StageOutput;
  /** Added to the raw RM output so the initial policy's mean proxy score is 0 (proxy stage's reward.json). */
  shift: number;
  loadRewardModel(): Promise<Model>;
}

/** A proxy cell's output, opened and verified by the caller. */
export async function readProxyCell(output: StageOutput): Promise<ProxyCellArtifacts> {
  const path = output.file('reward.json');
  const { shift } = JSON.parse(await readFile(path, 'utf8')) as { shift?: unknown };
  if (typeof shift !== 'number' || !Number.isFinite(shift)) throw new Error(`${path} (made by stage '${output.manifest.stage}') has no finite "shift"`);
  return { output, shift, loadRewardModel: () => loadCheckpoint(join(output.dir, 'model')) };
}
