import { groupMeans, tieGroups, type TieGroups } from './tie-groups.ts';
import { assertFiniteArray, assertSameLength, assertSampleCount } from '@goodhart/core';

/**
 * Probability that rank i (1-based, ascending by proxy) is the best of a uniformly random n-subset of a pool of N:
 * w_i = C(i−1, n−1) / C(N, n) for i ≥ n, else 0. Entry i − 1 of the result holds w_i.
 * The ratio recursion w_N = n/N, w_{i−1} = w_i·(i−n)/(i−1) never forms a binomial, so N = 10^5 cannot overflow;
 * far-below-the-top weights underflow to 0, which is their true value to double precision.
 */
export function bestOfNWeights(N: number, n: number): Float64Array {
  assertSampleCount('N', N);
  assertSampleCount('n', n, N);
  const weights = new Float64Array(N);
  weights[N - 1] = n / N;
  for (let i = N; i > n; i--) weights[i - 2] = (weights[i - 1]! * (i - n)) / (i - 1);
  return weights;
}

/** Gold and proxy expectation of the best-of-n sample at one n. */
export interface BestOfNPoint {
  n: number;
  gold: number;
  proxy: number;
}

/**
 * E[value of the highest-proxy sample in a uniformly random n-subset of the pool]. A run of tied proxy scores
 * shares the total weight of the ranks it occupies, spread equally over its members (i.e. it contributes
 * weight × the run's mean value): exactly the expectation when a tie for the maximum is broken uniformly at
 * random, and independent of how the sort happened to order the tied items.
 */
export function bestOfNExpectation(proxy: ArrayLike<number>, values: ArrayLike<number>, n: number): number {
  assertSameLength('proxy and values', proxy, values);
  assertFiniteArray('values', values);
  const groups = tieGroups(proxy);
  return weightedGroupSum(groups, groupMeans(groups, values), n);
}

/** The estimator for several n at once, gold and proxy together, sorting the pool only once. */
export function bestOfNCurve(proxy: ArrayLike<number>, gold: ArrayLike<number>, ns: readonly number[]): BestOfNPoint[] {
  assertSameLength('proxy and gold', proxy, gold);
  assertFiniteArray('gold', gold);
  const groups = tieGroups(proxy);
  const goldMeans = groupMeans(groups, gold);
  const proxyOfGroup = groupMeans(groups, proxy);
  return ns.map((n) => ({
    n,
    gold: weightedGroupSum(groups, goldMeans, n),
    proxy: weightedGroupSum(groups, proxyOfGroup, n),
  }));
}

function weightedGroupSum(groups: TieGroups, meanOfGroup: Float64Array, n: number): number {
  const weights = bestOfNWeights(groups.order.length, n);
  let total = 0;
  // Walk down from the top group: every rank below n has weight 0, so groups entirely below it are skipped.
  for (let g = groups.groupCount - 1; g >= 0; g--) {
    const start = groups.starts[g]!;
    const end = groups.starts[g + 1]!;
    if (end < n) break;
    let groupWeight = 0;
    for (let r = Math.max(start, n - 1); r < end; r++) groupWeight += weights[r]!;
    total += groupWeight * meanOfGroup[g]!;
  }
  return total;
}
