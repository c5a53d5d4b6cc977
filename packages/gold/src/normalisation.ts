import { readFile } from 'node:fs/promises';
import type { StageOutput } from '@goodhart/core';

/** Gold in the units every stage reports: (raw − mean) / std over the initial policy's samples (label's gold.json). */
export interface GoldNormalisation {
  mean: number;
  std: number;
}

export async function readGoldNormalisation(label: StageOutput): Promise<GoldNormalisation> {
  const path = label.file('gold.json');
  const info = JSON.parse(await readFile(path, 'utf8')) as { normalisation?: { mean?: unknown; std?: unknown } };
  const mean = Number(info.normalisation?.mean);
  const std = Number(info.normalisation?.std);
  if (!Number.isFinite(mean) || !(std > 0)) throw new Error(`${path} (made by stage 'label') has no valid gold normalisation`);
  return { mean, std };
}

export function normaliseGold(raw: ArrayLike<number>, normalisation: GoldNormalisation): number[] {
  return Array.from(raw, (g) => (g - normalisation.mean) / normalisation.std);
}
