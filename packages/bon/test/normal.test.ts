import { describe, expect, it } from 'vitest';
import { expectedMaxOfStandardNormals, standardNormalCdf } from '../src/normal.ts';

describe('standardNormalCdf', () => {
  it('matches tabulated values', () => {
    expect(standardNormalCdf(0)).toBe(0.5);
    expect(standardNormalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(standardNormalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(standardNormalCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(standardNormalCdf(-50)).toBe(0);
    expect(standardNormalCdf(50)).toBe(1);
  });
});

describe('expectedMaxOfStandardNormals', () => {
  it('matches closed forms and published values', () => {
    expect(expectedMaxOfStandardNormals(1)).toBe(0);
    expect(expectedMaxOfStandardNormals(2)).toBeCloseTo(1 / Math.sqrt(Math.PI), 12);
    expect(expectedMaxOfStandardNormals(3)).toBeCloseTo(3 / (2 * Math.sqrt(Math.PI)), 12);
    expect(expectedMaxOfStandardNormals(5)).toBeCloseTo(1.1629644736, 9);
    expect(expectedMaxOfStandardNormals(10)).toBeCloseTo(1.5387527308, 9);
    expect(expectedMaxOfStandardNormals(100)).toBeCloseTo(2.5075936, 6);
  });

  it('keeps rising with n', () => {
    let previous = -Infinity;
    for (const n of [1, 2, 10, 100, 1000, 60_000]) {
      const value = expectedMaxOfStandardNormals(n);
      expect(value).toBeGreaterThan(previous);
      previous = value;
    }
  });
});
