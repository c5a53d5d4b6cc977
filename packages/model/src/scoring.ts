import { tokenBatch } from './batch.ts';
import type { Model } from './engine/types.ts';
import { REWARD_HEAD } from './engine/weights.ts';

/**
 * Reward-model outputs for many sequences, in batches, as plain numbers. Sequences are batched in order of length
 * so a batch carries little padding; results come back in the input order.
 */
export function scoreSequences(model: Model, sequences: readonly (readonly number[])[], batchSize: number, onBatch?: (done: number) => void): Float64Array {
  if (!model.headNames.includes(REWARD_HEAD)) throw new Error('scoreSequences needs a reward model (kind "reward")');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length || a - b);
  const out = new Float64Array(sequences.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const rewards = model.forward(tokenBatch(indices.map((i) => sequences[i])), { heads: 'last' }).heads[REWARD_HEAD];
    indices.forEach((index, j) => {
      out[index] = rewards[j];
    });
    onBatch?.(Math.min(order.length, start + batchSize));
  }
  return out;
}
