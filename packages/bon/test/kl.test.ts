import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { distanceFromKl, empiricalBestOfNKl, exactBestOfNKl, klBestOfN } from '../src/kl.ts';
import { bruteForceBestOfNKl } from './brute-force.ts';

function randomCategorical(rng: Rng, size: number): number[] {
  const raw = Array.from({ length: size }, () => 0.05 + rng.float());
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / total);
}

describe('klBestOfN and distanceFromKl', () => {
  it('match the paper’s values', () => {
    expect(klBestOfN(1)).toBe(0);
    expect(klBestOfN(1000)).toBeCloseTo(5.909, 3);
    expect(klBestOfN(60_000)).toBeCloseTo(10.0, 1);
    expect(distanceFromKl(klBestOfN(1000))).toBeCloseTo(Math.sqrt(Math.log(1000) - 0.999), 14);
    expect(() => distanceFromKl(-0.1)).toThrow(RangeError);
    expect(() => klBestOfN(0)).toThrow(RangeError);
  });
});

describe('exactBestOfNKl', () => {
  it('matches enumeration of all n-tuples on a 5-outcome categorical', () => {
    const proxy = [0.3, -1, 2.5, 0.9, 1.7];
    const probabilities = [0.05, 0.4, 0.1, 0.3, 0.15];
    for (let n = 1; n <= 4; n++) {
      expect(Math.abs(exactBestOfNKl(proxy, probabilities, n) - bruteForceBestOfNKl(proxy, probabilities, n))).toBeLessThan(1e-10);
    }
  });

  it('matches enumeration with tied proxies (group split in proportion to p_k)', () => {
    const rng = Rng.fromSeed(21, 'bon/kl/ties');
    for (let trial = 0; trial < 20; trial++) {
      const size = 2 + rng.int(4);
      const proxy = Array.from({ length: size }, () => rng.int(3));
      const probabilities = randomCategorical(rng, size);
      for (let n = 1; n <= 4; n++) {
        expect(Math.abs(exactBestOfNKl(proxy, probabilities, n) - bruteForceBestOfNKl(proxy, probabilities, n))).toBeLessThan(1e-10);
      }
    }
  });

  it('treats a tied group like one output with the summed probability', () => {
    const split = exactBestOfNKl([0, 1, 1, 2], [0.4, 0.1, 0.2, 0.3], 6);
    const merged = exactBestOfNKl([0, 1, 2], [0.4, 0.3, 0.3], 6);
    expect(split).toBeCloseTo(merged, 14);
    expect(exactBestOfNKl([5, 5, 5], [0.2, 0.5, 0.3], 10)).toBe(0);
  });

  it('is 0 at n = 1 and never exceeds ln n − (n−1)/n', () => {
    const rng = Rng.fromSeed(22, 'bon/kl/bound');
    for (let trial = 0; trial < 50; trial++) {
      const size = 1 + rng.int(30);
      const proxy = Array.from({ length: size }, () => rng.normal());
      const probabilities = randomCategorical(rng, size);
      expect(exactBestOfNKl(proxy, probabilities, 1)).toBe(0);
      for (const n of [2, 3, 10, 100, 10_000]) {
        expect(exactBestOfNKl(proxy, probabilities, n)).toBeLessThanOrEqual(klBestOfN(n) + 1e-12);
      }
    }
  });

  it('approaches ln n − (n−1)/n from below on a large uniform support', () => {
    const size = 100_000;
    const proxy = Float64Array.from({ length: size }, (_, k) => k);
    const probabilities = new Float64Array(size).fill(1 / size);
    for (const n of [2, 10, 1000]) {
      const exact = exactBestOfNKl(proxy, probabilities, n);
      expect(exact).toBeLessThanOrEqual(klBestOfN(n));
      // The gap is the discreteness of a 10^5 support: ~1e-10 at n ≤ 10, ~4e-6 at n = 1000.
      expect(klBestOfN(n) - exact).toBeLessThan(n <= 10 ? 1e-8 : 1e-4);
    }
  });

  it('stays finite and accurate when F is close to 1 and n is huge', () => {
    // Two outcomes: P_bon(top) = 1 − (1 − ε)^n, so the answer has a closed form to compare against.
    const epsilon = 1e-12;
    const n = 1e6;
    const pTop = -Math.expm1(n * Math.log1p(-epsilon));
    const pLow = 1 - pTop;
    const expected = pTop * Math.log(pTop / epsilon) + pLow * Math.log(pLow / (1 - epsilon));
    expect(exactBestOfNKl([0, 1], [1 - epsilon, epsilon], n)).toBeCloseTo(expected, 14);
  });

  it('rejects probabilities that do not sum to 1', () => {
    expect(() => exactBestOfNKl([0, 1], [0.5, 0.6], 2)).toThrow(RangeError);
    expect(() => exactBestOfNKl([0, 1], [1.5, -0.5], 2)).toThrow(RangeError);
  });
});

describe('empiricalBestOfNKl', () => {
  it('equals exactBestOfNKl on the counted distribution', () => {
    const pool = [
      { key: 'a', proxy: 0.2 },
      { key: 'b', proxy: 1.5 },
      { key: 'a', proxy: 0.2 },
      { key: 'c', proxy: -0.3 },
      { key: 'a', proxy: 0.2 },
      { key: 'b', proxy: 1.5 },
    ];
    const expected = exactBestOfNKl([0.2, 1.5, -0.3], [3 / 6, 2 / 6, 1 / 6], 4);
    expect(empiricalBestOfNKl(pool, 4)).toBeCloseTo(expected, 14);
    expect(empiricalBestOfNKl(pool, 4)).toBeLessThan(klBestOfN(4));
  });

  it('with all-distinct responses is the discrete-uniform KL, below the formula', () => {
    const pool = Array.from({ length: 2000 }, (_, i) => ({ key: `r${i}`, proxy: Math.sin(i) }));
    const kl = empiricalBestOfNKl(pool, 16);
    expect(kl).toBeLessThan(klBestOfN(16));
    expect(klBestOfN(16) - kl).toBeLessThan(1e-4);
  });

  it('rejects a response scored two ways', () => {
    expect(() =>
      empiricalBestOfNKl(
        [
          { key: 'x', proxy: 1 },
          { key: 'x', proxy: 2 },
        ],
        2,
      ),
    ).toThrow(/two proxy scores/);
    expect(() => empiricalBestOfNKl([], 2)).toThrow(RangeError);
  });
});
