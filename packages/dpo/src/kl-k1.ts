/**
 * KL(π ‖ π_init) of one sampled response: k1 = Σ_t (log π − log π_init), unbiased for the sequence KL when the
 * response was sampled from π (any single sample may be negative). The same estimator PPO's curves report as `kl`,
 * kept in this package because a stage never imports another; the shared estimators in packages/model
 * (kl-estimators.ts) can replace this file when they land: `sequenceK1` is its only export.
 */
export function sequenceK1(logPolicy: ArrayLike<number>, logReference: ArrayLike<number>): number {
  if (logPolicy.length !== logReference.length) throw new RangeError(`log-prob arrays differ in length: ${logPolicy.length} vs ${logReference.length}`);
  let kl = 0;
  for (let t = 0; t < logPolicy.length; t++) kl += logPolicy[t] - logReference[t];
  return kl;
}
