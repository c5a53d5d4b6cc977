import type { Rng } from '@goodhart/core';

/** A pair of samples of one prompt, labelled by the human (no label noise: the human is the ground truth here). */
export interface GoldComparison {
  promptId: number;
  /** Indices into the samples array. */
  a: number;
  b: number;
  /** 0 when the human prefers a, 1 when b. */
  preferred: 0 | 1;
}

/**
 * Every pair of a prompt's samples, in random order within the pair; the human's higher score is preferred and
 * exact ties (identical responses, or texts the human cannot tell apart) are dropped. Prompts are split into
 * train and validation; training comparisons are shuffled.
 */
export function buildGoldComparisons(
  samples: readonly { promptId: number }[],
  human: ArrayLike<number>,
  validationFraction: number,
  rng: Rng,
): { train: GoldComparison[]; validation: GoldComparison[]; ties: number } {
  const byPrompt = new Map<number, number[]>();
  samples.forEach((s, i) => {
    const list = byPrompt.get(s.promptId);
    if (list) list.push(i);
    else byPrompt.set(s.promptId, [i]);
  });
  const promptIds = [...byPrompt.keys()];
  const order = rng.fork('split').shuffle(promptIds);
  const validationPrompts = new Set(order.slice(0, Math.max(1, Math.round(validationFraction * promptIds.length))));
  const pairs = rng.fork('pairs');
  const train: GoldComparison[] = [];
  const validation: GoldComparison[] = [];
  let ties = 0;
  for (const promptId of promptIds) {
    const indices = byPrompt.get(promptId)!;
    for (let i = 0; i < indices.length; i++) {
      for (let j = i + 1; j < indices.length; j++) {
        if (human[indices[i]] === human[indices[j]]) {
          ties++;
          continue;
        }
        const [a, b] = pairs.float() < 0.5 ? [indices[i], indices[j]] : [indices[j], indices[i]];
        const comparison: GoldComparison = { promptId, a, b, preferred: human[a] > human[b] ? 0 : 1 };
        (validationPrompts.has(promptId) ? validation : train).push(comparison);
      }
    }
  }
  return { train: rng.fork('order').shuffle(train), validation, ties };
}
