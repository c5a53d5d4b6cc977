import * as tf from '@tensorflow/tfjs';
import type { Transformer } from './gpt.ts';
import { leftPad } from './sampling.ts';

/** Prompt + response token sequences, left-padded into one batch (a reward model reads the last column). */
export function sequenceBatch(sequences: readonly (readonly number[])[]): { ids: tf.Tensor2D; starts: number[] } {
  const { ids, starts } = leftPad(sequences, 0);
  return { ids: tf.tensor2d(ids.flat(), [ids.length, ids[0].length], 'int32'), starts };
}

/**
 * Reward-model outputs for many sequences, in batches, as plain numbers. Sequences are batched in order of length
 * so a batch carries little padding; results come back in the input order.
 */
export function scoreSequences(model: Transformer, sequences: readonly (readonly number[])[], batchSize: number, onBatch?: (done: number) => void): Float64Array {
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length || a - b);
  const out = new Float64Array(sequences.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const values = tf.tidy(() => {
      const { ids, starts } = sequenceBatch(indices.map((i) => sequences[i]));
      return model.rewards(ids, starts);
    });
    const data = values.dataSync();
    values.dispose();
    indices.forEach((index, j) => {
      out[index] = data[j];
    });
    onBatch?.(Math.min(order.length, start + batchSize));
  }
  return out;
}
