import type { EnsembleObjective } from './pipeline/sources.ts';

/**
 * An ensemble's score of each sample from its members' scores (Coste et al. 2023): the members' mean, their minimum
 * (worst-case optimisation, WCO), or their mean less λ times their variance across members (uncertainty-weighted
 * optimisation, UWO; the population variance, over the k members). The members' scores must be on one scale first
 * (standardiseMembers): otherwise the member with the widest spread decides the mean and the minimum, and the
 * variance measures the members' units rather than their disagreement.
 */
export function combineMembers(objective: EnsembleObjective, members: readonly ArrayLike<number>[], lambda = 0): Float64Array {
  const k = members.length;
  if (k === 0) throw new RangeError('an ensemble needs at least one member');
  const n = members[0].length;
  for (const [m, scores] of members.entries()) {
    if (scores.length !== n) throw new RangeError(`ensemble member ${m} scored ${scores.length} samples, member 0 scored ${n}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let worst = Number.POSITIVE_INFINITY;
    for (const scores of members) {
      sum += scores[i];
      if (scores[i] < worst) worst = scores[i];
    }
    const mean = sum / k;
    if (objective === 'mean') out[i] = mean;
    else if (objective === 'worst') out[i] = worst;
    else {
      let squares = 0;
      for (const scores of members) squares += (scores[i] - mean) ** 2;
      out[i] = mean - lambda * (squares / k);
    }
  }
  return out;
}

/**
 * A member's scores on the scale every single proxy is on when PPO optimises it: centred (the proxy stage's shift
 * gives mean 0 on the initial policy's samples; `centred` already includes it) and divided by the standard
 * deviation `scale` of the centred scores on samples of the initial policy (as ppo.rewardNormalisation
 * "initial-policy-std" divides a single proxy's).
 */
export function standardiseMember(centred: ArrayLike<number>, scale: number): Float64Array {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`an ensemble member's scale must be positive and finite, got ${scale}`);
  return Float64Array.from(centred, (s) => s / scale);
}

/** The sample standard deviation of scores (n − 1 in the denominator), as ppo's rewardScale computes it. */
export function scoreSpread(scores: ArrayLike<number>): number {
  const n = scores.length;
  if (n < 2) throw new RangeError(`a spread needs at least 2 scores, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scores[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (scores[i] - mean) ** 2;
  return Math.sqrt(squares / (n - 1));
}
