import * as tf from '@tensorflow/tfjs';
import { leftPad, targetLogProbs, type Transformer } from '@goodhart/model';
import type { ValueHead } from './value-head.ts';

/**
 * Prompt + response sequences, left-padded to a common width W. Per-token quantities live in [B, W−1] matrices
 * indexed like the model's next-token log-probabilities: column c scores token c+1 from the hidden state at c.
 * Under left padding a row's response is its last `responseLengths[b]` tokens, so its per-token values are the
 * last `responseLengths[b]` columns of the row.
 */
export interface SequenceBatch {
  rows: number;
  width: number;
  ids: number[][];
  starts: number[];
  responseLengths: number[];
  /** 1 on response columns, else 0; [B·(W−1)]. */
  mask: Float32Array;
}

export function buildBatch(prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): SequenceBatch {
  if (prompts.length !== responses.length) throw new RangeError(`${prompts.length} prompts but ${responses.length} responses`);
  responses.forEach((response, b) => {
    if (response.length === 0) throw new RangeError(`response ${b} is empty`);
  });
  const { ids, starts } = leftPad(prompts.map((prompt, b) => [...prompt, ...responses[b]]), 0);
  const width = ids[0].length;
  const columns = width - 1;
  const mask = new Float32Array(prompts.length * columns);
  responses.forEach((response, b) => mask.fill(1, b * columns + columns - response.length, (b + 1) * columns));
  return { rows: prompts.length, width, ids, starts, responseLengths: responses.map((r) => r.length), mask };
}

/** The rows `indices` of a batch (a PPO minibatch), keeping the width. */
export function selectRows(batch: SequenceBatch, indices: readonly number[]): SequenceBatch {
  const columns = batch.width - 1;
  const mask = new Float32Array(indices.length * columns);
  indices.forEach((row, i) => mask.set(batch.mask.subarray(row * columns, (row + 1) * columns), i * columns));
  return {
    rows: indices.length,
    width: batch.width,
    ids: indices.map((row) => batch.ids[row]),
    starts: indices.map((row) => batch.starts[row]),
    responseLengths: indices.map((row) => batch.responseLengths[row]),
    mask,
  };
}

/** Row b's response entries of a [B, W−1] matrix, in token order. */
export function responseValues(batch: SequenceBatch, matrix: ArrayLike<number>, row: number): Float64Array {
  const columns = batch.width - 1;
  const end = (row + 1) * columns;
  return Float64Array.from({ length: batch.responseLengths[row] }, (_, k) => matrix[end - batch.responseLengths[row] + k]);
}

/** Scatters per-row response values back into a [B·(W−1)] matrix (zeros elsewhere). */
export function toMatrix(batch: SequenceBatch, perRow: readonly ArrayLike<number>[]): Float32Array {
  const columns = batch.width - 1;
  const out = new Float32Array(batch.rows * columns);
  perRow.forEach((values, row) => {
    const start = (row + 1) * columns - batch.responseLengths[row];
    for (let k = 0; k < values.length; k++) out[start + k] = values[k];
  });
  return out;
}

export function idsTensor(batch: SequenceBatch): tf.Tensor2D {
  return tf.tensor2d(batch.ids.flat(), [batch.rows, batch.width], 'int32');
}

/**
 * One pass of the policy with its value head over a batch: next-token log-probs and values, both [B, W−1].
 * Differentiable (the PPO loss calls it inside the gradient tape).
 */
export function policyForward(policy: Transformer, head: ValueHead, batch: SequenceBatch): { logProbs: tf.Tensor2D; values: tf.Tensor2D } {
  const ids = idsTensor(batch);
  const columns = batch.width - 1;
  const inputs = tf.slice(ids, [0, 0], [batch.rows, columns]);
  const targets = tf.reshape(tf.slice(ids, [0, 1], [batch.rows, columns]), [-1]) as tf.Tensor1D;
  const hidden = policy.hidden(inputs, batch.starts);
  const picked = targetLogProbs(policy.logits(hidden), tf.oneHot(targets, policy.config.vocabSize).toFloat() as tf.Tensor2D);
  return { logProbs: tf.reshape(picked, [batch.rows, columns]), values: tf.reshape(head.values(hidden), [batch.rows, columns]) };
}

/** Next-token log-probs [B·(W−1)] of a frozen model (the reference policy), as plain numbers. */
export function frozenLogProbs(model: Transformer, batch: SequenceBatch): Float32Array {
  const logProbs = tf.tidy(() => model.tokenLogProbs(idsTensor(batch), batch.starts));
  const values = logProbs.dataSync() as Float32Array;
  logProbs.dispose();
  return values;
}
