import { COMPARISONS_TABLE, readParquetFile, Rng, type StageOutput } from '@goodhart/core';
import type { HeldOutComparison } from './evaluation.ts';
import type { Comparison } from './pair-batch.ts';

/**
 * A cell's comparisons as label wrote them: the first `comparisons` training rows are exactly the pairs the proxy of
 * that cell trained on (proxy takes the same prefix), with the same label (`preferred`, noisy when label.labelNoise
 * > 0); held-out rows are label's validation split, whose prompts no RM or policy ever trains on.
 */
export async function readCellComparisons(
  label: StageOutput,
  trainCount: number,
  heldOutCount: number,
): Promise<{ train: Comparison[]; heldOut: HeldOutComparison[] }> {
  const path = label.file(COMPARISONS_TABLE.file);
  const rows = COMPARISONS_TABLE.select(await readParquetFile(path), path, ['split', 'prompt_tokens', 'tokens_a', 'tokens_b', 'preferred', 'gold_preferred']);
  const asComparison = (row: (typeof rows)[number]): HeldOutComparison => {
    const aPreferred = row.preferred === 0;
    return {
      promptTokens: [...row.prompt_tokens],
      chosen: [...(aPreferred ? row.tokens_a : row.tokens_b)],
      rejected: [...(aPreferred ? row.tokens_b : row.tokens_a)],
      goldAgrees: row.preferred === row.gold_preferred,
    };
  };
  const train = rows.filter((r) => r.split === 'train');
  const validation = rows.filter((r) => r.split === 'validation');
  if (trainCount > train.length)
    throw new Error(`${path} has ${train.length} training comparisons, but the cell trains on ${trainCount}; rerun label with more label.prompts`);
  if (heldOutCount > validation.length)
    throw new Error(
      `dpo.eval.comparisons is ${heldOutCount}, but ${path} holds ${validation.length} validation comparisons; lower dpo.eval.comparisons to at most ${validation.length}`,
    );
  return {
    train: train.slice(0, trainCount).map((row) => {
      const { goldAgrees: _, ...comparison } = asComparison(row);
      return comparison;
    }),
    heldOut: validation.slice(0, heldOutCount).map(asComparison),
  };
}

/**
 * Step s's comparisons: passes over the data, each pass in its own seeded order (keyed by the cell, so runs on one
 * cell with different losses or βs see the same batches), `batchSize` per step; the last step of a pass may span two.
 */
export function comparisonSchedule<T>(items: readonly T[], batchSize: number, seed: number, key: string): (step: number) => T[] {
  const orders = new Map<number, number[]>();
  const order = (pass: number): number[] => {
    let cached = orders.get(pass);
    if (!cached) {
      cached = Rng.fromSeed(seed, `dpo/${key}/order/${pass}`).shuffle(Array.from({ length: items.length }, (_, i) => i));
      orders.set(pass, cached);
    }
    return cached;
  };
  return (step) =>
    Array.from({ length: batchSize }, (_, k) => {
      const position = step * batchSize + k;
      return items[order(Math.floor(position / items.length))[position % items.length]];
    });
}

/** Steps of `epochs` passes over `count` comparisons in batches of `batchSize` (at least one). */
export function totalSteps(count: number, batchSize: number, epochs: number): number {
  return Math.max(1, Math.ceil((epochs * count) / batchSize));
}
