import { tieGroups } from './tie-groups.ts';
import { assertFiniteArray, assertSameLength, assertSampleCount } from '@goodhart/core';

/**
 * The paper's KL(π_bon ‖ π) = ln n − (n−1)/n nats. Exact for a continuous output distribution (no repeats);
 * an upper bound once outputs can repeat — see exactBestOfNKl.
 */
export function klBestOfN(n: number): number {
  assertSampleCount('n', n);
  return Math.log(n) - (n - 1) / n;
}

/** The paper's optimisation distance d = sqrt(KL). */
export function distanceFromKl(kl: number): number {
  if (!(kl >= 0) || kl === Infinity) throw new RangeError(`KL must be finite and non-negative, got ${kl}`);
  return Math.sqrt(kl);
}

const PROBABILITY_SUM_TOLERANCE = 1e-9;

/**
 * Exact KL(π_bon ‖ π) in nats for a discrete π over distinct outputs, ordered by proxy:
 * P_bon(k) = F_k^n − F_{k−1}^n, KL = Σ P_bon(k) ln(P_bon(k)/p_k).
 * Outputs with equal proxy form one group for the max, and the group's best-of-n probability is split in
 * proportion to p_k (a tie among drawn samples is broken uniformly). Each member then has the same ratio
 * P_bon(k)/p_k, so a tied group contributes exactly like a single output of probability Σ p_k.
 */
export function exactBestOfNKl(proxyOfDistinct: ArrayLike<number>, probabilities: ArrayLike<number>, n: number): number {
  assertSameLength('proxyOfDistinct and probabilities', proxyOfDistinct, probabilities);
  assertFiniteArray('probabilities', probabilities);
  assertSampleCount('n', n);
  let total = 0;
  for (let k = 0; k < probabilities.length; k++) {
    if (probabilities[k]! < 0) throw new RangeError(`probabilities[${k}] is negative: ${probabilities[k]}`);
    total += probabilities[k]!;
  }
  if (!(Math.abs(total - 1) <= PROBABILITY_SUM_TOLERANCE)) {
    throw new RangeError(`probabilities must sum to 1, got ${total}`);
  }
  if (n === 1) return 0;

  const groups = tieGroups(proxyOfDistinct);
  const mass = new Float64Array(groups.groupCount);
  for (let g = 0; g < groups.groupCount; g++) {
    for (let r = groups.starts[g]!; r < groups.starts[g + 1]!; r++) mass[g] += probabilities[groups.order[r]!]! / total;
  }
  // Mass strictly above each group, summed from the top: 1 − F would cancel catastrophically when F ≈ 1.
  const above = new Float64Array(groups.groupCount);
  for (let g = groups.groupCount - 2; g >= 0; g--) above[g] = above[g + 1]! + mass[g + 1]!;

  let kl = 0;
  let below = 0; // F_{g−1}, summed from the bottom: accurate where F is small
  for (let g = 0; g < groups.groupCount; g++) {
    const q = mass[g]!;
    if (q > 0) {
      const cdf = below + q;
      const logCdf = cdf <= 0.5 ? Math.log(cdf) : Math.log1p(-above[g]!);
      // log P_bon = n·log F_g + log(1 − (F_{g−1}/F_g)^n), with the ratio's log taken as −log1p(q/F_{g−1}).
      const logRatioPower = below > 0 ? n * Math.log1p(q / below) : Infinity;
      const logP = n * logCdf + log1mexp(logRatioPower);
      kl += Math.exp(logP) * (logP - Math.log(q));
    }
    below += q;
  }
  return Math.max(0, kl);
}

/** A pooled sample: equal keys mean the same response, which must then have the same proxy score. */
export interface PooledResponse {
  key: string;
  proxy: number;
}

/**
 * Exact best-of-n KL against the pool's own empirical distribution (each distinct key has probability
 * count/N). This is the KL that BoN over a pool with repeated responses actually spends.
 */
export function empiricalBestOfNKl(pool: readonly PooledResponse[], n: number): number {
  if (pool.length === 0) throw new RangeError('pool is empty');
  const distinct = new Map<string, { proxy: number; count: number }>();
  for (const { key, proxy } of pool) {
    const seen = distinct.get(key);
    if (seen === undefined) distinct.set(key, { proxy, count: 1 });
    else if (seen.proxy !== proxy) {
      throw new RangeError(`response "${key}" has two proxy scores: ${seen.proxy} and ${proxy}`);
    } else seen.count++;
  }
  const entries = [...distinct.values()];
  return exactBestOfNKl(
    entries.map((e) => e.proxy),
    entries.map((e) => e.count / pool.length),
    n,
  );
}

/** log(1 − e^{−a}) for a ≥ 0, switching forms at ln 2 to stay accurate at both ends. */
function log1mexp(a: number): number {
  return a < Math.LN2 ? Math.log(-Math.expm1(-a)) : Math.log1p(-Math.exp(-a));
}
