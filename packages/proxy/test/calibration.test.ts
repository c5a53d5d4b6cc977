import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { calibrateTemperature, softplus } from '../src/reward-training.ts';

describe('calibrateTemperature', () => {
  it('recovers the temperature that maps proxy differences onto the soft gold labels', () => {
    const rng = Rng.fromSeed(1);
    const gold = Array.from({ length: 2000 }, () => rng.normal() * 1.5);
    for (const temperature of [0.4, 1, 2.5, 7]) {
      const proxy = gold.map((g) => g * temperature);
      expect(calibrateTemperature(proxy, gold).temperature).toBeCloseTo(temperature, 3);
    }
  });

  it('reaches the cross-entropy floor (the soft labels’ own entropy) at the optimum', () => {
    const gold = [-2, -0.5, 0.3, 1.2, 3];
    const entropy =
      gold.reduce((sum, g) => {
        const p = 1 / (1 + Math.exp(-g));
        return sum - p * Math.log(p) - (1 - p) * Math.log(1 - p);
      }, 0) / gold.length;
    const { crossEntropy } = calibrateTemperature(
      gold.map((g) => 3 * g),
      gold,
    );
    expect(crossEntropy).toBeCloseTo(entropy, 8);
  });

  it('softplus is log(1 + e^x) without overflow', () => {
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(softplus(-3)).toBeCloseTo(Math.log1p(Math.exp(-3)), 15);
    expect(softplus(800)).toBe(800);
  });
});
