import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { leastSquaresThroughOrigin, simpleLinearRegression } from '../src/index.ts';
import { slopeWithInterval, type SlopePoint } from '../src/slope-regression.ts';
import { studentTQuantile } from '../src/student-t.ts';

describe('slopeWithInterval', () => {
  it('matches ordinary least squares and the textbook standard error with one group', () => {
    const points = [0, 1, 2, 3, 4].map((x, i) => ({ x, y: 0.4 + 0.07 * x + [0.01, -0.02, 0.015, -0.005, 0.002][i]! }));
    const estimate = slopeWithInterval(points, 0.95)!;
    const line = simpleLinearRegression(
      points.map((p) => p.x),
      points.map((p) => p.y),
    );
    expect(estimate.slope).toBeCloseTo(line.slope, 12);
    expect(estimate.r2).toBeCloseTo(line.r2, 12);
    // Brute force: s² = RSS/(n − 2), se = √(s² / Σ(x − x̄)²), Σ(x − x̄)² = 10 here.
    const rss = points.reduce((sum, p) => sum + (p.y - line.intercept - line.slope * p.x) ** 2, 0);
    expect(estimate.standardError).toBeCloseTo(Math.sqrt(rss / 3 / 10), 12);
    expect(estimate.degreesOfFreedom).toBe(3);
    expect(estimate.high - estimate.slope).toBeCloseTo(3.182446 * estimate.standardError, 5);
  });

  it('gives each group its own intercept, as the full dummy-variable regression does', () => {
    const rng = Rng.fromSeed(2, 'fit/test/slope/groups');
    const points: SlopePoint[] = [];
    for (const [group, level] of [
      ['m', 0.2],
      ['l', 0.9],
    ] as const) {
      for (const x of [6.1, 6.7, 7.4, 8.0]) points.push({ x, y: level - 0.03 * x + 0.01 * rng.normal(), group });
    }
    const estimate = slopeWithInterval(points, 0.9)!;
    // The same model as columns [1_m, 1_l, x] through the origin.
    const fit = leastSquaresThroughOrigin(
      [points.map((p) => (p.group === 'm' ? 1 : 0)), points.map((p) => (p.group === 'l' ? 1 : 0)), points.map((p) => p.x)],
      points.map((p) => p.y),
    );
    expect(estimate.slope).toBeCloseTo(fit.coefficients[2]!, 10);
    expect(estimate.degreesOfFreedom).toBe(5);
    expect(estimate.groups).toBe(2);
  });

  it('has no interval without residual degrees of freedom, and no slope when x never varies', () => {
    const two = slopeWithInterval(
      [
        { x: 1, y: 1 },
        { x: 2, y: 3 },
      ],
      0.95,
    )!;
    expect(two.slope).toBeCloseTo(2, 12);
    expect(two.low).toBeNaN();
    expect(
      slopeWithInterval(
        [
          { x: 1, y: 1 },
          { x: 1, y: 3 },
        ],
        0.95,
      ),
    ).toBeNull();
  });

  it('covers the true slope at its level with five sizes and noisy coefficients', () => {
    const rng = Rng.fromSeed(4, 'fit/test/slope/coverage');
    const xs = [4.1, 4.7, 5.3, 5.9, 6.6];
    const trials = 3000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const estimate = slopeWithInterval(
        xs.map((x) => ({ x, y: 0.5 + 0.065 * x + 0.05 * rng.normal() })),
        0.95,
      )!;
      if (estimate.low <= 0.065 && 0.065 <= estimate.high) covered++;
    }
    // 0.95 ± 3 binomial sd (0.004); the normal 1.96 in place of t(3) would cover only about 86%.
    expect(Math.abs(covered / trials - 0.95)).toBeLessThan(0.012);
    expect(studentTQuantile(0.975, 3)).toBeGreaterThan(1.96 * 1.6);
  });
});
