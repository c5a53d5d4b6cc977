import { readFile } from 'node:fs/promises';
import type { StageOutput } from '@goodhart/core';

/** Gold in the units every stage reports: (raw − mean) / std over the initial policy's samples (label's gold.json). */
export interface GoldNormalisation {
  mean: number;
  std: number;
}

/** The gold's and the human's units, both measured on label's initial-policy samples. */
export interface GoldUnits {
  gold: GoldNormalisation;
  human: GoldNormalisation;
}

export async function readGoldNormalisation(label: StageOutput): Promise<GoldNormalisation> {
  return (await readGoldUnits(label)).gold;
}

/** Both normalisations from label's gold.json (`normalisation` for the gold, `humanNormalisation` for the human). */
export async function readGoldUnits(label: StageOutput): Promise<GoldUnits> {
  const path = label.file('gold.json');
  const info = JSON.parse(await readFile(path, 'utf8')) as Record<string, { mean?: unknown; std?: unknown } | undefined>;
  const read = (field: string): GoldNormalisation => {
    const mean = Number(info[field]?.mean);
    const std = Number(info[field]?.std);
    if (!Number.isFinite(mean) || !(std > 0)) throw new Error(`${path} (made by stage 'label') has no valid "${field}"`);
    return { mean, std };
  };
  return { gold: read('normalisation'), human: read('humanNormalisation') };
}

export function normaliseGold(raw: ArrayLike<number>, normalisation: GoldNormalisation): number[] {
  return Array.from(raw, (g) => (g - normalisation.mean) / normalisation.std);
}
