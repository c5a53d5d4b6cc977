import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { bootstrapMean, bootstrapMeans, bootstrapStatistics } from '../src/bootstrap.ts';

function normalSample(rng: Rng, size: number, mean: number, sd: number): Float64Array {
  return Float64Array.from({ length: size }, () => mean + sd * rng.normal());
}

describe('bootstrapMean', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const values = normalSample(Rng.fromSeed(1, 'bon/bootstrap/data'), 60, 0, 1);
    const first = bootstrapMean(values, { rng: Rng.fromSeed(5, 'bon/bootstrap'), resamples: 500 });
    const again = bootstrapMean(values, { rng: Rng.fromSeed(5, 'bon/bootstrap'), resamples: 500 });
    const other = bootstrapMean(values, { rng: Rng.fromSeed(6, 'bon/bootstrap'), resamples: 500 });
    expect(again).toEqual(first);
    expect(other.low).not.toBe(first.low);
    expect(other.mean).toBe(first.mean);
    expect(first.low).toBeLessThan(first.mean);
    expect(first.high).toBeGreaterThan(first.mean);
  });

  it('covers the true mean in about 95% of repeated experiments', () => {
    const rng = Rng.fromSeed(2, 'bon/bootstrap/coverage');
    const experiments = 400;
    let covered = 0;
    for (let e = 0; e < experiments; e++) {
      const values = normalSample(rng, 100, 3, 2);
      const { low, high } = bootstrapMean(values, { rng, resamples: 400, confidence: 0.95 });
      if (low <= 3 && 3 <= high) covered++;
    }
    const coverage = covered / experiments;
    expect(coverage).toBeGreaterThanOrEqual(0.91);
    expect(coverage).toBeLessThanOrEqual(0.99);
  });

  it('narrows like 1/sqrt(prompts)', () => {
    const rng = Rng.fromSeed(3, 'bon/bootstrap/width');
    const meanWidth = (prompts: number): number => {
      let total = 0;
      for (let e = 0; e < 20; e++) {
        const { low, high } = bootstrapMean(normalSample(rng, prompts, 0, 1), { rng, resamples: 400 });
        total += high - low;
      }
      return total / 20;
    };
    const ratio = meanWidth(100) / meanWidth(400);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
    // And it sits near the normal-theory width 2·1.96/sqrt(prompts).
    expect(meanWidth(400)).toBeCloseTo((2 * 1.96) / Math.sqrt(400), 1);
  });

  it('validates its options', () => {
    const rng = Rng.fromSeed(4);
    expect(() => bootstrapMean([], { rng })).toThrow(RangeError);
    expect(() => bootstrapMean([1, 2], { rng, confidence: 1 })).toThrow(RangeError);
    expect(() => bootstrapMean([1, 2], { rng, resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapMean([1, Number.NaN], { rng })).toThrow(RangeError);
  });
});

describe('bootstrapMeans', () => {
  it('resamples prompts jointly: each statistic’s interval equals its own run on the same stream', () => {
    const data = Rng.fromSeed(7, 'bon/bootstrap/joint-data');
    const base = normalSample(data, 80, 0, 1);
    const shifted = base.map((v) => v + 10);
    const [a, b] = bootstrapMeans([base, shifted], { rng: Rng.fromSeed(8, 'joint'), resamples: 300 });
    // The same resampled prompts for both rows, so a shifted copy gets exactly the shifted interval.
    expect(b!.low - a!.low).toBeCloseTo(10, 10);
    expect(b!.high - a!.high).toBeCloseTo(10, 10);
    expect(bootstrapMean(base, { rng: Rng.fromSeed(8, 'joint'), resamples: 300 })).toEqual(a);
  });

  it('rejects rows of different lengths', () => {
    expect(() => bootstrapMeans([[1, 2], [1]], { rng: Rng.fromSeed(9) })).toThrow(RangeError);
    expect(bootstrapMeans([], { rng: Rng.fromSeed(9) })).toEqual([]);
  });
});

describe('bootstrapStatistics', () => {
  it('passes the original prompts first, then resamples, for any statistic', () => {
    const values = [1, 2, 3, 4, 100];
    const [median] = bootstrapStatistics(
      values.length,
      (indices) => {
        const sorted = Array.from(indices, (i) => values[i]!).sort((x, y) => x - y);
        return [sorted[2]!];
      },
      { rng: Rng.fromSeed(10), resamples: 200 },
    );
    expect(median!.estimate).toBe(3);
    expect(median!.low).toBeGreaterThanOrEqual(1);
    expect(median!.high).toBeLessThanOrEqual(100);
  });

  it('rejects a statistic whose length changes', () => {
    let calls = 0;
    expect(() => bootstrapStatistics(3, () => (calls++ === 0 ? [1] : [1, 2]), { rng: Rng.fromSeed(11), resamples: 5 })).toThrow(RangeError);
  });
});
