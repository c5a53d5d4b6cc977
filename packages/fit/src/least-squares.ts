import { SingularMatrixError, solveLinearSystem } from './linear-solve.ts';
import { assertFiniteArray, assertSameLength } from '@goodhart/core';

/**
 * Ordinary least squares for the curve fits (through the origin, k columns) and for the coefficient-scaling lines
 * (intercept and slope), with R².
 *
 * R² is 1 − SS_res/SS_tot with SS_tot taken about the MEAN of y, also for fits through the origin. Some software
 * uses the uncentred Σy² for no-intercept models, which inflates R² whenever the mean of y is far from zero; the
 * centred form answers "how much better than a flat line is this curve", the same question for every fit here.
 * It is undefined (NaN) when y is constant.
 */

export interface LeastSquaresFit {
  coefficients: Float64Array;
  fitted: Float64Array;
  r2: number;
}

/**
 * After scaling the columns to unit norm the normal matrix has a unit diagonal; a pivot below this means two
 * columns (or a combination) are parallel to within ~1e-6 rad, and the coefficients would be noise.
 */
const PIVOT_TOLERANCE = 1e-12;

/**
 * Minimises Σ_i (y_i − Σ_c β_c·X_c[i])² over β (no intercept). `columns[c][i]` is column c of the design at row i.
 * Solves the normal equations XᵀX β = Xᵀy after scaling every column to unit norm (Jacobi equilibration), which
 * keeps columns of very different magnitude (d and d², or many per-curve columns) from ruining the pivots.
 * Throws on non-finite input, fewer rows than columns, an all-zero column, or linearly dependent columns.
 */
export function leastSquaresThroughOrigin(columns: readonly ArrayLike<number>[], y: ArrayLike<number>): LeastSquaresFit {
  const k = columns.length;
  const n = y.length;
  if (k === 0) throw new RangeError('least squares: the design has no columns');
  assertFiniteArray('least squares: y', y);
  columns.forEach((column, c) => {
    if (column.length !== n) {
      throw new RangeError(`least squares: design column ${c} has ${column.length} rows, y has ${n}`);
    }
    assertFiniteArray(`least squares: design column ${c}`, column);
  });
  if (n < k) throw new RangeError(`least squares: ${n} points cannot determine ${k} coefficients`);

  const scale = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const norm = Math.sqrt(dot(columns[c]!, columns[c]!));
    if (norm === 0) throw new SingularMatrixError(`least squares: singular design, column ${c} is all zeros`);
    scale[c] = 1 / norm;
  }
  const gram = new Float64Array(k * k);
  const moment = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    moment[a] = dot(columns[a]!, y) * scale[a]!;
    for (let b = a; b < k; b++) {
      const value = dot(columns[a]!, columns[b]!) * scale[a]! * scale[b]!;
      gram[a * k + b] = value;
      gram[b * k + a] = value;
    }
  }
  let scaled: Float64Array;
  try {
    scaled = solveLinearSystem(gram, moment, PIVOT_TOLERANCE);
  } catch (error) {
    if (error instanceof SingularMatrixError) {
      throw new SingularMatrixError(`least squares: singular design, the ${k} columns are linearly dependent (${error.message})`);
    }
    throw error;
  }
  const coefficients = scaled.map((value, c) => value * scale[c]!);
  const fitted = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    const column = columns[c]!;
    const coefficient = coefficients[c]!;
    for (let i = 0; i < n; i++) fitted[i] = fitted[i]! + coefficient * column[i]!;
  }
  return { coefficients, fitted, r2: rSquared(y, fitted) };
}

export interface SumsOfSquares {
  /** Σ (y − fitted)². */
  residual: number;
  /** Σ (y − mean y)². */
  total: number;
}

export function sumsOfSquares(y: ArrayLike<number>, fitted: ArrayLike<number>): SumsOfSquares {
  assertSameLength('y and fitted', y, fitted);
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i]!;
  mean /= y.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    residual += (y[i]! - fitted[i]!) ** 2;
    total += (y[i]! - mean) ** 2;
  }
  return { residual, total };
}

/** 1 − SS_res/SS_tot, SS_tot about the mean of y (see the file comment); NaN when y is constant. */
export function rSquared(y: ArrayLike<number>, fitted: ArrayLike<number>): number {
  const { residual, total } = sumsOfSquares(y, fitted);
  return total > 0 ? 1 - residual / total : Number.NaN;
}

export interface LineFit {
  intercept: number;
  slope: number;
  r2: number;
}

/** y = intercept + slope·x by least squares, computed on centred x so large offsets (ln 100000) cost no precision. */
export function simpleLinearRegression(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  assertSameLength('linear regression: x and y', x, y);
  assertFiniteArray('linear regression: x', x);
  assertFiniteArray('linear regression: y', y);
  const n = x.length;
  if (n < 2) throw new RangeError(`linear regression: needs at least 2 points, got ${n}`);
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - meanX) ** 2;
    sxy += (x[i]! - meanX) * (y[i]! - meanY);
  }
  if (!(sxx > 0)) throw new SingularMatrixError('linear regression: singular design, all x values are equal');
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const fitted = Array.from({ length: n }, (_, i) => intercept + slope * x[i]!);
  return { intercept, slope, r2: rSquared(y, fitted) };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
