import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrapMeans, Rng, type MeanInterval } from '@goodhart/core';
import { bestOfNCurve } from '../src/estimator.ts';
import { expectedMaxOfStandardNormals } from '../src/normal.ts';

/**
 * Finding 8 (regressional Goodhart): with proxy = gold + independent Gaussian noise, E[gold | proxy] is linear in
 * proxy, so best-of-n gold is ρ·σ_gold·E[max of n standard normals] — it keeps rising with n, never peaks.
 * This checks estimator, averaging over prompts and bootstrap end to end against that closed form.
 */
const NS = [1, 2, 5, 10, 20, 50, 100];
const PROMPTS = 200;
const POOL = 2000;
const NOISE_SD = 1;

function simulate(seed: number): { gold: Float64Array[]; proxy: Float64Array[] } {
  const rng = Rng.fromSeed(seed, 'bon/regressional-goodhart');
  const gold = NS.map(() => new Float64Array(PROMPTS));
  const proxy = NS.map(() => new Float64Array(PROMPTS));
  const poolGold = new Float64Array(POOL);
  const poolProxy = new Float64Array(POOL);
  for (let p = 0; p < PROMPTS; p++) {
    for (let i = 0; i < POOL; i++) {
      poolGold[i] = rng.normal();
      poolProxy[i] = poolGold[i]! + NOISE_SD * rng.normal();
    }
    bestOfNCurve(poolProxy, poolGold, NS).forEach((point, k) => {
      gold[k]![p] = point.gold;
      proxy[k]![p] = point.proxy;
    });
  }
  return { gold, proxy };
}

describe('regressional Goodhart: proxy = gold + Gaussian noise', () => {
  const rho = 1 / Math.sqrt(1 + NOISE_SD ** 2);
  let goldIntervals: MeanInterval[] = [];
  let proxyIntervals: MeanInterval[] = [];

  beforeAll(() => {
    const { gold, proxy } = simulate(2022);
    // 99%: seven correlated 95% checks would all pass only ~70% of the time on a fresh seed.
    const rng = Rng.fromSeed(2022, 'bon/regressional-goodhart/bootstrap');
    goldIntervals = bootstrapMeans(gold, { rng, resamples: 1000, confidence: 0.99 });
    proxyIntervals = bootstrapMeans(proxy, { rng, resamples: 1000, confidence: 0.99 });
  });

  it('BoN gold matches ρ·σ_gold·E[max of n standard normals] within the 99% interval', () => {
    NS.forEach((n, k) => {
      const predicted = rho * expectedMaxOfStandardNormals(n);
      const { low, high } = goldIntervals[k]!;
      expect(predicted, `n = ${n}: ${predicted} vs [${low}, ${high}]`).toBeGreaterThanOrEqual(low);
      expect(predicted, `n = ${n}: ${predicted} vs [${low}, ${high}]`).toBeLessThanOrEqual(high);
    });
  });

  it('BoN proxy matches σ_proxy·E[max of n standard normals] within the 99% interval', () => {
    const proxySd = Math.sqrt(1 + NOISE_SD ** 2);
    NS.forEach((n, k) => {
      const predicted = proxySd * expectedMaxOfStandardNormals(n);
      const { low, high } = proxyIntervals[k]!;
      expect(predicted).toBeGreaterThanOrEqual(low);
      expect(predicted).toBeLessThanOrEqual(high);
    });
  });

  it('gold rises with n without a peak, at slope Var(gold)/Var(proxy) against proxy', () => {
    for (let k = 1; k < NS.length; k++) expect(goldIntervals[k]!.mean).toBeGreaterThan(goldIntervals[k - 1]!.mean);
    for (let k = 2; k < NS.length; k++) {
      expect(Math.abs(goldIntervals[k]!.mean / proxyIntervals[k]!.mean - rho ** 2)).toBeLessThan(0.02);
    }
  });
});
