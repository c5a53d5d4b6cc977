import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { incompleteBeta, logGamma, studentTCdf, studentTQuantile, tIntervalOfMean } from '../src/student-t.ts';

describe('Student t', () => {
  it('ln Γ matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(6)).toBeCloseTo(Math.log(120), 11);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 11);
    expect(logGamma(30)).toBeCloseTo(Math.log(8.841761993739701e30), 9);
  });

  it('the incomplete beta matches closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.7, 3, 1)).toBeCloseTo(0.343, 12);
    expect(incompleteBeta(0.2, 1, 4)).toBeCloseTo(1 - 0.8 ** 4, 12);
  });

  it('quantiles match the printed t table and the closed forms for 1 and 2 degrees of freedom', () => {
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [3, 3.1824],
      [5, 2.5706],
      [10, 2.2281],
      [30, 2.0423],
      [1000, 1.9623],
    ];
    for (const [df, q] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 3);
    expect(studentTQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 9);
    const p = 0.95;
    expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-studentTQuantile(0.975, 4), 12);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 14);
  });

  it('the t interval of a mean covers the truth at its level on normal samples of 8', () => {
    const rng = Rng.fromSeed(5, 'fit/test/t-interval');
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const values = Float64Array.from({ length: 8 }, () => 1 + 2 * rng.normal());
      const interval = tIntervalOfMean(values, 0.9);
      if (interval.low <= 1 && 1 <= interval.high) covered++;
    }
    // 0.9 ± 3 binomial sd (0.0047).
    expect(Math.abs(covered / trials - 0.9)).toBeLessThan(0.015);
  });
});
