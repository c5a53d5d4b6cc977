import { describe, expect, it } from 'vitest';
import { leastSquaresThroughOrigin, rSquared, simpleLinearRegression, SingularMatrixError, solveLinearSystem, sumsOfSquares } from '../src/index.ts';

describe('R² (1 − SS_res/SS_tot, SS_tot about the mean)', () => {
  it('matches the arithmetic done by hand for a one-column fit through the origin', () => {
    // x = 1..4, y = (1, 3, 2, 6). β = Σxy/Σx² = (1 + 6 + 6 + 24)/30 = 37/30.
    // Residuals y − 37x/30 = (30−37, 90−74, 60−111, 180−148)/30 = (−7, 16, −51, 32)/30.
    // SS_res = (49 + 256 + 2601 + 1024)/900 = 3930/900. Mean y = 3, SS_tot = 4 + 0 + 1 + 9 = 14.
    const fit = leastSquaresThroughOrigin([[1, 2, 3, 4]], [1, 3, 2, 6]);
    expect(fit.coefficients[0]).toBeCloseTo(37 / 30, 14);
    const ss = sumsOfSquares([1, 3, 2, 6], fit.fitted);
    expect(Math.abs(ss.residual - 3930 / 900)).toBeLessThan(1e-12);
    expect(ss.total).toBe(14);
    expect(Math.abs(fit.r2 - (1 - 3930 / 900 / 14))).toBeLessThan(1e-12);
  });

  it('matches the hand-solved 2×2 normal equations of the BoN design [d, −d²]', () => {
    // d = 1..4, y = (1, 1, 0, −3). Σd² = 30, Σd³ = 100, Σd⁴ = 354, so XᵀX = [[30, −100], [−100, 354]].
    // Xᵀy = (Σd·y, −Σd²·y) = (1 + 2 + 0 − 12, −(1 + 4 + 0 − 48)) = (−9, 43). det = 30·354 − 100² = 620.
    // α = (354·(−9) + 100·43)/620 = 1114/620, β = (30·43 − 100·9)/620 = 390/620.
    const alpha = 1114 / 620;
    const beta = 390 / 620;
    const d = [1, 2, 3, 4];
    const y = [1, 1, 0, -3];
    const fit = leastSquaresThroughOrigin([d, d.map((x) => -x * x)], y);
    expect(Math.abs(fit.coefficients[0]! - alpha)).toBeLessThan(1e-12);
    expect(Math.abs(fit.coefficients[1]! - beta)).toBeLessThan(1e-12);
    // Fitted: α·d − β·d². Mean y = −1/4, SS_tot = 1.25² + 1.25² + 0.25² + 2.75² = 1.5625·2 + 0.0625 + 7.5625 = 10.75.
    const fitted = d.map((x) => alpha * x - beta * x * x);
    const ssRes = y.reduce((sum, value, i) => sum + (value - fitted[i]!) ** 2, 0);
    expect(Math.abs(fit.r2 - (1 - ssRes / 10.75))).toBeLessThan(1e-12);
  });

  it('is 1 for a perfect fit, can be negative for a bad one, and is NaN for constant y', () => {
    expect(rSquared([1, 2, 3], [1, 2, 3])).toBe(1);
    // Fitted values worse than the flat mean: residuals (−2, 2, 2), SS_res = 12 > SS_tot = 1 + 0 + 1 = 2.
    expect(rSquared([1, 2, 3], [3, 0, 1])).toBeCloseTo(1 - 12 / 2, 12);
    expect(rSquared([2, 2, 2], [2, 2, 2])).toBeNaN();
  });
});

describe('leastSquaresThroughOrigin', () => {
  it('recovers exact coefficients from noiseless data with many columns of very different scale', () => {
    const n = 30;
    const x = Array.from({ length: n }, (_, i) => 0.1 + i * 0.37);
    const columns = [x, x.map((v) => v * v * 1e3), x.map((v) => Math.sin(v) * 1e-3), x.map((v) => Math.log(v))];
    const truth = [0.7, -2e-4, 350, 1.3];
    const y = x.map((_, i) => columns.reduce((sum, column, c) => sum + truth[c]! * column[i]!, 0));
    const fit = leastSquaresThroughOrigin(columns, y);
    truth.forEach((value, c) => expect(Math.abs(fit.coefficients[c]! - value) / Math.abs(value)).toBeLessThan(1e-10));
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  it('throws a clear error on singular designs', () => {
    const d = [1, 2, 3];
    expect(() => leastSquaresThroughOrigin([d, d.map((v) => 2 * v)], [1, 2, 3])).toThrow(/linearly dependent/);
    expect(() => leastSquaresThroughOrigin([d, [0, 0, 0]], [1, 2, 3])).toThrow(/column 1 is all zeros/);
    expect(() => leastSquaresThroughOrigin([d, d.map((v) => 2 * v)], [1, 2, 3])).toThrow(SingularMatrixError);
    expect(() => leastSquaresThroughOrigin([[1], [2]], [1])).toThrow(/1 points cannot determine 2 coefficients/);
    expect(() => leastSquaresThroughOrigin([], [])).toThrow(/no columns/);
  });

  it('throws a clear error on non-finite input or mismatched lengths', () => {
    expect(() => leastSquaresThroughOrigin([[1, 2, 3]], [1, Number.NaN, 3])).toThrow(/y\[1\] must be finite, got NaN/);
    expect(() => leastSquaresThroughOrigin([[1, Infinity, 3]], [1, 2, 3])).toThrow(/column 0\[1\] must be finite/);
    expect(() => leastSquaresThroughOrigin([[1, 2]], [1, 2, 3])).toThrow(/column 0 has 2 rows, y has 3/);
  });
});

describe('solveLinearSystem', () => {
  it('pivots past a zero on the diagonal', () => {
    // [[0, 1], [1, 0]]·x = (2, 3) → x = (3, 2); without row exchange the first pivot would be 0.
    const x = solveLinearSystem([0, 1, 1, 0], [2, 3], 1e-12);
    expect(Array.from(x)).toEqual([3, 2]);
  });

  it('rejects a singular matrix', () => {
    expect(() => solveLinearSystem([1, 2, 2, 4], [1, 2], 1e-12)).toThrow(SingularMatrixError);
  });
});

describe('simpleLinearRegression', () => {
  it('recovers an exact line, also far from the origin', () => {
    const x = [11.5, 11.6, 11.9, 12.3];
    const fit = simpleLinearRegression(
      x,
      x.map((v) => 3 - 0.25 * v),
    );
    expect(fit.slope).toBeCloseTo(-0.25, 12);
    expect(fit.intercept).toBeCloseTo(3, 10);
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  it('matches the hand computation on three points', () => {
    // x = (0, 1, 2), y = (1, 2, 4): means 1 and 7/3; Sxx = 2, Sxy = (−1)(−4/3) + 0 + (1)(5/3) = 3.
    // slope = 3/2, intercept = 7/3 − 3/2 = 5/6; fitted (5/6, 7/3, 23/6), residuals (1/6, −1/3, 1/6):
    // SS_res = 1/36 + 4/36 + 1/36 = 1/6; SS_tot = 16/9 + 1/9 + 25/9 = 42/9.
    const fit = simpleLinearRegression([0, 1, 2], [1, 2, 4]);
    expect(fit.slope).toBeCloseTo(1.5, 14);
    expect(fit.intercept).toBeCloseTo(5 / 6, 14);
    expect(Math.abs(fit.r2 - (1 - 1 / 6 / (42 / 9)))).toBeLessThan(1e-12);
  });

  it('rejects equal x, too few points, and NaN', () => {
    expect(() => simpleLinearRegression([2, 2], [1, 3])).toThrow(/all x values are equal/);
    expect(() => simpleLinearRegression([2], [1])).toThrow(/at least 2 points/);
    expect(() => simpleLinearRegression([1, 2], [1, Number.NaN])).toThrow(/y\[1\] must be finite/);
  });
});
