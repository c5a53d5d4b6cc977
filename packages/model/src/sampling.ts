import type { Rng } from '@goodhart/core';
import { tokenBatch } from './batch.ts';
import type { Model } from './engine/types.ts';

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
 * row. Prompts may differ in length; they are left-padded. Every draw comes from `rng`, row by row, so the same
 * seed gives the same samples on either engine up to the engines' last-bit differences in the logits.
 */
export function sample(model: Model, prompts: readonly (readonly number[])[], options: SampleOptions, rng: Rng): SampleResult {
  if (prompts.length === 0) return { tokens: [], logProbs: [] };
  if (!(options.temperature > 0) || !Number.isFinite(options.temperature))
    throw new RangeError(`temperature must be a finite number > 0, got ${options.temperature}`);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1)
    throw new RangeError(`maxNewTokens must be a positive integer, got ${options.maxNewTokens}`);
  prompts.forEach((prompt, b) => {
    if (prompt.length === 0) throw new Error(`prompt ${b} is empty: sampling needs at least one token of context`);
  });
  const batch = tokenBatch(prompts);
  if (batch.width + options.maxNewTokens > model.config.contextLength) {
    throw new RangeError(`prompt (${batch.width}) + maxNewTokens (${options.maxNewTokens}) exceeds the context length ${model.config.contextLength}`);
  }
  const rows = prompts.length;
  const vocab = model.config.vocabSize;
  const tokens: number[][] = prompts.map(() => []);
  const logProbs: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(rows).fill(false);
  const probabilities = new Float64Array(vocab);
  const session = model.prefill(batch);
  try {
    let logits = session.logits;
    const uniforms = new Float64Array(rows);
    for (let step = 0; step < options.maxNewTokens; step++) {
      const next = new Int32Array(rows).fill(options.stopToken ?? 0);
      // One uniform per live row, in row order: the same draws from `rng` whichever path samples.
      for (let b = 0; b < rows; b++) uniforms[b] = done[b] ? 0 : rng.float();
      const drawn = session.draw?.(uniforms, options.temperature);
      for (let b = 0; b < rows; b++) {
        if (done[b]) continue;
        let token: number;
        let logProb: number;
        if (drawn) {
          token = drawn.tokens[b];
          logProb = drawn.logProbs[b];
        } else {
          const row = logits.subarray(b * vocab, (b + 1) * vocab);
          const logNormaliser = softmaxInto(row, options.temperature, probabilities);
          token = inverseCdf(probabilities, uniforms[b]);
          logProb = options.temperature === 1 ? row[token] - logNormaliser : logSoftmaxAt(row, token);
        }
        next[b] = token;
        tokens[b].push(token);
        logProbs[b].push(logProb);
        if (token === options.stopToken) done[b] = true;
      }
      if (done.every(Boolean) || step === options.maxNewTokens - 1) break;
      logits = session.step(next);
    }
  } finally {
    session.dispose();
  }
  return { tokens, logProbs };
}

/** exp((logits − max) / temperature) into `out` (softmax up to its normaliser); returns max + log Σ exp((logit − max)/T), the log-normaliser at T. */
function softmaxInto(logits: Float32Array, temperature: number, out: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp((logits[i] - max) / temperature);
    total += out[i];
  }
  // Unnormalised: inverseCdf scales the uniform by the total.
  return max + Math.log(total);
}

/** The first index whose running weight sum exceeds u·Σ weights (Rng.categorical with its uniform given). */
function inverseCdf(weights: Float64Array, u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let target = u * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i];
    if (target < 0) return i;
  }
  return weights.length - 1;
}

function logSoftmaxAt(logits: Float32Array, index: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  return logits[index] - max - Math.log(total);
}
