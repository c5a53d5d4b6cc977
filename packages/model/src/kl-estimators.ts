import type { KlEstimator } from '@goodhart/core';
import { tokenBatch } from './batch.ts';
import type { Model } from './engine/types.ts';

/**
 * Estimates of KL(π ‖ π_init) for one response y sampled from π, from the log-probabilities of its tokens under both
 * policies (Schulman, "Approximating KL divergence"), each summed over the response's tokens:
 * - k1 = Σ_t (log π − log π_init): unbiased for the sequence KL; any one sample can be negative.
 * - k2 = Σ_t ½ (log π − log π_init)²: never negative, biased (its mean is not the KL, only close to it while π stays
 *   near π_init); what Coste et al. log.
 * - k3 = Σ_t ((r − 1) − log r), r = π_init/π: unbiased per token and never negative; r has a heavy tail far from π_init.
 */
export interface SampledKl {
  k1: number;
  k2: number;
  k3: number;
}

/** One response's KL every way (nats); the estimators' names are core's KL_ESTIMATORS. */
export type KlEstimates = Record<KlEstimator, number>;

export function sampledKl(logPolicy: ArrayLike<number>, logReference: ArrayLike<number>): SampledKl {
  if (logPolicy.length !== logReference.length) throw new RangeError(`log-prob arrays differ in length: ${logPolicy.length} vs ${logReference.length}`);
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  for (let t = 0; t < logPolicy.length; t++) {
    const logRatio = logReference[t] - logPolicy[t];
    k1 -= logRatio;
    k2 += 0.5 * logRatio * logRatio;
    k3 += Math.expm1(logRatio) - logRatio;
  }
  return { k1, k2, k3 };
}

/**
 * KL(softmax(policyLogits) ‖ softmax(referenceLogits)) over the whole vocabulary, in float64 from float32 logits.
 * Equal logits give exactly 0.
 */
export function logitsKl(policyLogits: ArrayLike<number>, referenceLogits: ArrayLike<number>): number {
  if (policyLogits.length !== referenceLogits.length) throw new RangeError(`logit rows differ in length: ${policyLogits.length} vs ${referenceLogits.length}`);
  const logNormaliserP = logSumExp(policyLogits);
  const logNormaliserQ = logSumExp(referenceLogits);
  let kl = 0;
  for (let v = 0; v < policyLogits.length; v++) {
    const logP = policyLogits[v] - logNormaliserP;
    const p = Math.exp(logP);
    if (p > 0) kl += p * (logP - (referenceLogits[v] - logNormaliserQ));
  }
  // Rounding can leave a tiny negative sum for near-equal rows; the KL of two distributions is never below 0.
  return Math.max(kl, 0);
}

function logSumExp(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let v = 0; v < row.length; v++) {
    if (!Number.isFinite(row[v])) throw new RangeError(`logits must be finite, got ${row[v]} at token ${v}`);
    if (row[v] > max) max = row[v];
  }
  let total = 0;
  for (let v = 0; v < row.length; v++) total += Math.exp(row[v] - max);
  return max + Math.log(total);
}

/**
 * The exact per-token KL of each response: Σ_t KL(π(·|x, y_<t) ‖ π_init(·|x, y_<t)) over the full next-token
 * distribution at every position of the sampled response y. By the chain rule its expectation over y ~ π is the
 * sequence KL, like k1's, but each term is already an expectation over the token at t, so it is never negative and
 * varies less. Both models read the same prompts and responses through KV-cache decode sessions (prefill, then one
 * step per response token, teacher-forced), whose logits both engines expose already: no extra engine operation, and
 * the same code path for both models, so a policy equal to its reference measures exactly 0. Temperature 1: the KL of
 * the policy as trained. Rows whose response has ended are fed token 0 and their later logits ignored.
 */
export function exactTokenKl(
  policy: Model,
  reference: Model,
  prompts: readonly (readonly number[])[],
  responses: readonly (readonly number[])[],
): Float64Array {
  if (prompts.length !== responses.length) throw new RangeError(`${prompts.length} prompts but ${responses.length} responses`);
  if (prompts.length === 0) return new Float64Array(0);
  const vocab = policy.config.vocabSize;
  if (reference.config.vocabSize !== vocab) throw new RangeError(`policy vocabulary ${vocab} differs from the reference's ${reference.config.vocabSize}`);
  responses.forEach((response, b) => {
    if (response.length === 0) throw new RangeError(`response ${b} is empty`);
    response.forEach((token, t) => {
      if (!Number.isInteger(token) || token < 0 || token >= vocab) throw new RangeError(`response ${b} token ${t} is ${token}, outside [0, ${vocab})`);
    });
  });
  const batch = tokenBatch(prompts);
  const longest = Math.max(...responses.map((r) => r.length));
  // Decoding feeds every response token but the last.
  const needed = batch.width + longest - 1;
  for (const model of [policy, reference]) {
    if (needed > model.config.contextLength)
      throw new RangeError(`prompt (${batch.width}) + response (${longest}) − 1 exceeds the context length ${model.config.contextLength}`);
  }
  const rows = prompts.length;
  const out = new Float64Array(rows);
  const policySession = policy.prefill(batch);
  try {
    const referenceSession = reference.prefill(batch);
    try {
      let policyLogits = policySession.logits;
      let referenceLogits = referenceSession.logits;
      for (let t = 0; t < longest; t++) {
        for (let b = 0; b < rows; b++) {
          if (t >= responses[b].length) continue;
          const span = [b * vocab, (b + 1) * vocab] as const;
          out[b] += logitsKl(policyLogits.subarray(...span), referenceLogits.subarray(...span));
        }
        if (t === longest - 1) break;
        const next = Int32Array.from(responses, (response) => (t < response.length ? response[t] : 0));
        policyLogits = policySession.step(next);
        referenceLogits = referenceSession.step(next);
      }
    } finally {
      referenceSession.dispose();
    }
  } finally {
    policySession.dispose();
  }
  return out;
}

/** Exact KL(p ‖ q) of two categorical distributions given as probabilities (for tests and small cases). */
export function categoricalKl(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`distributions differ in length: ${p.length} vs ${q.length}`);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * Math.log(p[i] / q[i]);
  }
  return kl;
}
