import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@goodhart/core';
import { disposeCache, type Transformer } from './gpt.ts';

export interface SampleOptions {
  /** Tokens to generate per row at most. */
  maxNewTokens: number;
  /** Softmax temperature; 1 samples from the model as trained. */
  temperature: number;
  /** Generation of a row stops after it emits this token (it is kept in the output). */
  stopToken?: number;
}

export interface SampleResult {
  /** Generated tokens per row, [B][≤ maxNewTokens], including the stop token if one was emitted. */
  tokens: number[][];
  /** log π(token) of each generated token under the model at temperature 1 (what PPO and KL need). */
  logProbs: number[][];
}

/**
 * Batched ancestral sampling with a KV cache: the prompts are encoded once, then each step feeds one token per
 * row. Prompts may differ in length; they are left-padded internally.
 */
export function sample(model: Transformer, prompts: readonly (readonly number[])[], options: SampleOptions, rng: Rng): SampleResult {
  if (prompts.length === 0) return { tokens: [], logProbs: [] };
  if (!(options.temperature > 0)) throw new Error(`temperature must be > 0, got ${options.temperature}`);
  const { ids, starts } = leftPad(prompts, 0);
  const width = ids[0].length;
  if (width + options.maxNewTokens > model.config.contextLength) {
    throw new Error(`prompt (${width}) + maxNewTokens (${options.maxNewTokens}) exceeds the context length ${model.config.contextLength}`);
  }
  const batch = prompts.length;
  const vocab = model.config.vocabSize;
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(batch).fill(false);
  const input = tf.tensor2d(ids.flat(), [batch, width], 'int32');
  const { cache, logits: first } = model.prefill(input, starts);
  input.dispose();
  let logits = first;
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      const next = new Array<number>(batch).fill(options.stopToken ?? 0);
      for (let b = 0; b < batch; b++) {
        if (done[b]) continue;
        const row = values.subarray(b * vocab, (b + 1) * vocab);
        const token = rng.categorical(softmax(row, options.temperature));
        next[b] = token;
        tokens[b].push(token);
        logProbs[b].push(logSoftmaxAt(row, token));
        if (token === options.stopToken) done[b] = true;
      }
      if (done.every(Boolean) || step === options.maxNewTokens - 1) break;
      logits = model.decodeStep(cache, next);
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    disposeCache(cache);
  }
  return { tokens, logProbs };
}

/** Left-pads rows to a common width; `starts[b]` is where row b's real tokens begin. */
export function leftPad(rows: readonly (readonly number[])[], pad: number): { ids: number[][]; starts: number[] } {
  const width = Math.max(...rows.map((r) => r.length));
  if (width === 0) throw new Error('every prompt is empty: sampling needs at least one token of context');
  const starts = rows.map((r) => width - r.length);
  const ids = rows.map((r) => [...new Array<number>(width - r.length).fill(pad), ...r]);
  for (let b = 0; b < rows.length; b++) {
    if (rows[b].length === 0) throw new Error(`prompt ${b} is empty: sampling needs at least one token of context`);
  }
  return { ids, starts };
}

function softmax(logits: Float32Array, temperature: number): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] - max) / temperature);
    total += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

function logSoftmaxAt(logits: Float32Array, index: number): number {
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  let total = 0;
  for (const value of logits) total += Math.exp(value - max);
  return logits[index] - max - Math.log(total);
}
