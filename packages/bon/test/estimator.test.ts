import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { bestOfNCurve, bestOfNExpectation, bestOfNWeights } from '../src/estimator.ts';
import { bruteForceBestOfN } from './brute-force.ts';

function randomPool(rng: Rng, size: number, tieLevels?: number): { proxy: number[]; gold: number[] } {
  // With tieLevels set, proxies come from a few discrete levels so that ties (also for the max) are common.
  const proxy = Array.from({ length: size }, () => (tieLevels ? rng.int(tieLevels) / 4 : rng.normal()));
  const gold = Array.from({ length: size }, () => rng.normal());
  return { proxy, gold };
}

describe('bestOfNWeights', () => {
  it('is C(i−1, n−1)/C(N, n) on a small case', () => {
    // N = 5, n = 3: C(N, n) = 10; ranks 3, 4, 5 get C(2,2), C(3,2), C(4,2) = 1, 3, 6.
    const weights = bestOfNWeights(5, 3);
    [0, 0, 0.1, 0.3, 0.6].forEach((w, i) => expect(weights[i]).toBeCloseTo(w, 15));
  });

  it('sums to 1, including N = 100,000', () => {
    const cases: [number, number][] = [
      [1, 1],
      [2, 1],
      [2, 2],
      [7, 3],
      [50, 49],
      [1000, 10],
      [1000, 1000],
      [100_000, 1],
      [100_000, 7],
      [100_000, 1000],
      [100_000, 60_000],
      [100_000, 100_000],
    ];
    for (const [N, n] of cases) {
      const weights = bestOfNWeights(N, n);
      let sum = 0;
      let smallest = Infinity;
      for (const w of weights) {
        sum += w;
        smallest = Math.min(smallest, w);
      }
      expect(smallest).toBeGreaterThanOrEqual(0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
    }
  });

  it('rejects n outside 1..N', () => {
    expect(() => bestOfNWeights(5, 0)).toThrow(RangeError);
    expect(() => bestOfNWeights(5, 6)).toThrow(RangeError);
    expect(() => bestOfNWeights(5, 2.5)).toThrow(RangeError);
    expect(() => bestOfNWeights(0, 1)).toThrow(RangeError);
  });
});

describe('bestOfNExpectation', () => {
  it('reproduces the worked check in the paper notes (1/6)', () => {
    const proxy = [0.1, 0.5, 0.3, 0.9];
    const gold = [1, 2, 0, -1];
    expect(bestOfNExpectation(proxy, gold, 2)).toBeCloseTo(1 / 6, 15);
    expect(bruteForceBestOfN(proxy, gold, 2)).toBeCloseTo(1 / 6, 15);
  });

  it('equals brute-force enumeration of every n-subset on small pools', () => {
    const rng = Rng.fromSeed(11, 'bon/estimator/distinct');
    for (let trial = 0; trial < 30; trial++) {
      const { proxy, gold } = randomPool(rng, 1 + rng.int(10));
      for (let n = 1; n <= proxy.length; n++) {
        expect(Math.abs(bestOfNExpectation(proxy, gold, n) - bruteForceBestOfN(proxy, gold, n))).toBeLessThan(1e-10);
      }
    }
  });

  it('equals brute force with tied proxy scores (tied maxima averaged)', () => {
    const rng = Rng.fromSeed(12, 'bon/estimator/ties');
    for (let trial = 0; trial < 40; trial++) {
      const { proxy, gold } = randomPool(rng, 1 + rng.int(10), 1 + rng.int(4));
      for (let n = 1; n <= proxy.length; n++) {
        expect(Math.abs(bestOfNExpectation(proxy, gold, n) - bruteForceBestOfN(proxy, gold, n))).toBeLessThan(1e-10);
      }
    }
  });

  it('does not depend on the input order of tied items', () => {
    const proxy = [1, 2, 2, 2, 0];
    const gold = [5, -1, 3, 10, 7];
    const permuted = [4, 3, 1, 0, 2];
    const expected = bestOfNExpectation(proxy, gold, 3);
    expect(
      bestOfNExpectation(
        permuted.map((i) => proxy[i]!),
        permuted.map((i) => gold[i]!),
        3,
      ),
    ).toBeCloseTo(expected, 14);
    // n = N: the whole pool, so the winner is uniform over the three tied maxima.
    expect(bestOfNExpectation(proxy, gold, 5)).toBeCloseTo(4, 14);
  });

  it('gives the pool mean at n = 1 and the value at the max proxy at n = N', () => {
    const rng = Rng.fromSeed(13, 'bon/estimator/ends');
    const { proxy, gold } = randomPool(rng, 500);
    const mean = gold.reduce((a, b) => a + b, 0) / gold.length;
    expect(bestOfNExpectation(proxy, gold, 1)).toBeCloseTo(mean, 12);
    const argmax = proxy.indexOf(Math.max(...proxy));
    expect(bestOfNExpectation(proxy, gold, 500)).toBeCloseTo(gold[argmax]!, 12);
  });

  it('rejects mismatched lengths and non-finite scores', () => {
    expect(() => bestOfNExpectation([1, 2], [1], 1)).toThrow(RangeError);
    expect(() => bestOfNExpectation([1, Number.NaN], [1, 2], 1)).toThrow(RangeError);
    expect(() => bestOfNExpectation([1, 2], [1, Infinity], 1)).toThrow(RangeError);
  });
});

describe('bestOfNCurve', () => {
  it('matches bestOfNExpectation for gold and proxy at every n', () => {
    const rng = Rng.fromSeed(14, 'bon/estimator/curve');
    const { proxy, gold } = randomPool(rng, 300, 40);
    const ns = [1, 2, 5, 17, 100, 300];
    const curve = bestOfNCurve(proxy, gold, ns);
    expect(curve.map((p) => p.n)).toEqual(ns);
    curve.forEach(({ n, gold: g, proxy: p }) => {
      expect(g).toBeCloseTo(bestOfNExpectation(proxy, gold, n), 12);
      expect(p).toBeCloseTo(bestOfNExpectation(proxy, proxy, n), 12);
    });
    // Proxy of the chosen sample can only rise with n.
    for (let i = 1; i < curve.length; i++) expect(curve[i]!.proxy).toBeGreaterThanOrEqual(curve[i - 1]!.proxy);
  });
});
