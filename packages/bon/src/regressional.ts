import { bootstrapMeans, type MeanInterval, type Rng } from '@goodhart/core';
import { bestOfNCurve } from './estimator.ts';
import { distanceFromKl, klBestOfN } from './kl.ts';
import { expectedMaxOfStandardNormals } from './normal.ts';

export interface RegressionalPoint {
  n: number;
  d: number;
  gold: MeanInterval;
  /** ρ·σ_gold·E[max of n standard normals]: the regressional-Goodhart prediction. */
  predicted: number;
}

export interface RegressionalResult {
  rho: number;
  goldStd: number;
  noiseStd: number;
  points: RegressionalPoint[];
}

/**
 * Finding 8 run through the same machinery as the real curves (pool shape, n grid, estimator, bootstrap over
 * prompts): a Gaussian gold with the pool's spread and a proxy = gold + independent Gaussian noise. With a
 * purely regressional proxy error, best-of-n gold is ρ·σ·E[max of n] and never peaks; a peak on the real proxies
 * therefore needs error that grows off-distribution. The gold here is synthetic on purpose: the closed form holds
 * for jointly Gaussian gold and proxy only.
 */
export function regressionalCheck(
  shape: { prompts: number; samplesPerPrompt: number },
  ns: readonly number[],
  options: { goldStd: number; noiseStd: number; resamples: number; confidence: number; rng: Rng },
): RegressionalResult {
  const { goldStd, noiseStd } = options;
  if (!(goldStd > 0) || !(noiseStd >= 0)) throw new RangeError(`goldStd must be > 0 and noiseStd ≥ 0, got ${goldStd}, ${noiseStd}`);
  const sampling = options.rng.fork('pool');
  const perPrompt = ns.map(() => new Float64Array(shape.prompts));
  const gold = new Float64Array(shape.samplesPerPrompt);
  const proxy = new Float64Array(shape.samplesPerPrompt);
  for (let p = 0; p < shape.prompts; p++) {
    for (let i = 0; i < shape.samplesPerPrompt; i++) {
      gold[i] = goldStd * sampling.normal();
      proxy[i] = gold[i] + noiseStd * sampling.normal();
    }
    bestOfNCurve(proxy, gold, ns).forEach((point, j) => {
      perPrompt[j][p] = point.gold;
    });
  }
  const intervals = bootstrapMeans(perPrompt, { resamples: options.resamples, confidence: options.confidence, rng: options.rng.fork('bootstrap') });
  const rho = goldStd / Math.sqrt(goldStd ** 2 + noiseStd ** 2);
  return {
    rho,
    goldStd,
    noiseStd,
    points: ns.map((n, j) => ({ n, d: distanceFromKl(klBestOfN(n)), gold: intervals[j], predicted: rho * goldStd * expectedMaxOfStandardNormals(n) })),
  };
}
