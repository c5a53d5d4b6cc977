/**
 * KL(π ‖ π_init) of one sampled response, from the log-probabilities of its tokens under both policies.
 * `kl` = Σ_t (log π − log π_init): unbiased for the sequence KL when the response was sampled from π, but any one
 * sample can be negative. `k3` = Σ_t (r − 1 − log r) with r = π_init/π: also unbiased per token, never negative,
 * lower variance while π stays near π_init (Schulman, "Approximating KL divergence"); far from it, r has a heavy tail.
 */
export function sequenceKl(logPolicy: ArrayLike<number>, logReference: ArrayLike<number>): { kl: number; k3: number } {
  if (logPolicy.length !== logReference.length) throw new RangeError(`log-prob arrays differ in length: ${logPolicy.length} vs ${logReference.length}`);
  let kl = 0;
  let k3 = 0;
  for (let t = 0; t < logPolicy.length; t++) {
    const logRatio = logReference[t] - logPolicy[t];
    kl -= logRatio;
    k3 += Math.expm1(logRatio) - logRatio;
  }
  return { kl, k3 };
}

/** Exact KL(p ‖ q) of two categorical distributions given as probabilities (for tests and small cases). */
export function categoricalKl(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * Math.log(p[i] / q[i]);
  }
  return kl;
}
