import { describe, expect, it } from 'vitest';
import { rewardScale } from '../src/reward-normalisation.ts';

describe('rewardScale', () => {
  it('is the sample standard deviation of the initial-policy scores', () => {
    const scores = [1, 2, 3, 4, 10];
    const mean = 4;
    const brute = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (scores.length - 1));
    expect(rewardScale(scores)).toBeCloseTo(brute, 12);
    // Shifting the scores (the centring) does not change the scale; scaling them scales it.
    expect(rewardScale(scores.map((s) => s - 7))).toBeCloseTo(brute, 12);
    expect(rewardScale(scores.map((s) => 3 * s))).toBeCloseTo(3 * brute, 12);
  });

  it('refuses a proxy that cannot steer (all scores alike), too few scores and non-finite scores', () => {
    expect(() => rewardScale([0.5, 0.5, 0.5])).toThrow(/all alike/);
    expect(() => rewardScale([1])).toThrow(/at least 2/);
    expect(() => rewardScale([1, Number.NaN, 2])).toThrow(/score 1 is NaN/);
  });
});
