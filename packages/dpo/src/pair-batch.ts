import { shiftedBatch, type Model, type TokenBatch } from '@goodhart/model';

/** One comparison as the policy learns from it: a prompt, the preferred response and the other one. */
export interface Comparison {
  promptTokens: readonly number[];
  chosen: readonly number[];
  rejected: readonly number[];
}

/**
 * Prompt + response sequences scored together: row b holds sequence b without its last token, left-padded, and
 * `targets` the next tokens, so (as in PPO) a row's response log-probs are its last `responseLengths[b]` columns.
 */
export interface ResponseBatch {
  tokens: TokenBatch;
  targets: Int32Array;
  responseLengths: number[];
}

export function responseBatch(prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): ResponseBatch {
  if (prompts.length !== responses.length) throw new RangeError(`${prompts.length} prompts but ${responses.length} responses`);
  responses.forEach((response, b) => {
    if (response.length === 0) throw new RangeError(`response ${b} is empty`);
  });
  const { batch, targets } = shiftedBatch(prompts.map((prompt, b) => [...prompt, ...responses[b]]));
  return { tokens: batch, targets, responseLengths: responses.map((r) => r.length) };
}

/** The rows of a comparison batch: every preferred response, then every other one. */
export function comparisonBatch(comparisons: readonly Comparison[]): ResponseBatch {
  const prompts = comparisons.map((c) => c.promptTokens);
  return responseBatch([...prompts, ...prompts], [...comparisons.map((c) => c.chosen), ...comparisons.map((c) => c.rejected)]);
}

/** Σ over each row's response columns of per-token log-probs [rows·columns]: the sequence log-probability log π(y | x). */
export function sequenceLogProbs(batch: ResponseBatch, logProbs: ArrayLike<number>): Float64Array {
  const columns = batch.tokens.width;
  return Float64Array.from(batch.responseLengths, (length, row) => {
    let sum = 0;
    for (let c = (row + 1) * columns - length; c < (row + 1) * columns; c++) sum += logProbs[c];
    return sum;
  });
}

/** The per-token gradient [rows·columns] of a loss whose gradient with respect to each row's sequence log-prob is `perRow`. */
export function spreadOverResponses(batch: ResponseBatch, perRow: ArrayLike<number>): Float32Array {
  const columns = batch.tokens.width;
  const out = new Float32Array(batch.tokens.rows * columns);
  batch.responseLengths.forEach((length, row) => out.fill(perRow[row], (row + 1) * columns - length, (row + 1) * columns));
  return out;
}

/** Per-token log-probs of each response under a model, without training: [rows] sequence log-probs. */
export function frozenSequenceLogProbs(model: Model, batch: ResponseBatch): Float64Array {
  return sequenceLogProbs(batch, model.forward(batch.tokens, { targets: batch.targets }).logProbs!);
}

/**
 * log π(chosen) and log π(rejected) of every comparison under a frozen model, in batches of `batchSize`
 * comparisons (the reference's are computed once per run; held-out ones at every evaluation).
 */
export function comparisonLogProbs(model: Model, comparisons: readonly Comparison[], batchSize: number): { chosen: Float64Array; rejected: Float64Array } {
  const chosen = new Float64Array(comparisons.length);
  const rejected = new Float64Array(comparisons.length);
  for (let start = 0; start < comparisons.length; start += batchSize) {
    const chunk = comparisons.slice(start, start + batchSize);
    const values = frozenSequenceLogProbs(model, comparisonBatch(chunk));
    chosen.set(values.subarray(0, chunk.length), start);
    rejected.set(values.subarray(chunk.length), start);
  }
  return { chosen, rejected };
}

/** Row b's per-token response log-probs from a [rows·columns] matrix, in token order. */
export function responseLogProbs(batch: ResponseBatch, logProbs: ArrayLike<number>, row: number): Float64Array {
  const end = (row + 1) * batch.tokens.width;
  const length = batch.responseLengths[row];
  return Float64Array.from({ length }, (_, k) => logProbs[end - length + k]);
}
