/**
 * Solves a small dense square system A·x = b by Gaussian elimination with partial pivoting. The matrices here are
 * the normal equations of curve fits (2×2, or 1 + #curves for the shared-α fit), so an O(k³) solve is all we need.
 */

/** Thrown when the system has no unique solution; least squares reports it as a singular design. */
export class SingularMatrixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SingularMatrixError';
  }
}

/**
 * `matrix` is row-major k×k and is not modified. `pivotTolerance` is absolute: callers scale the system so its
 * diagonal is 1 (see least-squares.ts), which makes an absolute threshold meaningful.
 */
export function solveLinearSystem(matrix: ArrayLike<number>, rhs: ArrayLike<number>, pivotTolerance: number): Float64Array {
  const k = rhs.length;
  if (matrix.length !== k * k) throw new RangeError(`matrix has ${matrix.length} entries, expected ${k}×${k}`);
  const a = Float64Array.from(matrix);
  const x = Float64Array.from(rhs);

  for (let col = 0; col < k; col++) {
    // Partial pivoting: the largest remaining entry of the column keeps the multipliers ≤ 1 in size.
    let pivotRow = col;
    for (let row = col + 1; row < k; row++) {
      if (Math.abs(a[row * k + col]!) > Math.abs(a[pivotRow * k + col]!)) pivotRow = row;
    }
    const pivot = a[pivotRow * k + col]!;
    if (!(Math.abs(pivot) > pivotTolerance)) {
      throw new SingularMatrixError(`singular system: pivot ${pivot} in column ${col} is below ${pivotTolerance}`);
    }
    if (pivotRow !== col) {
      for (let j = 0; j < k; j++) {
        const tmp = a[col * k + j]!;
        a[col * k + j] = a[pivotRow * k + j]!;
        a[pivotRow * k + j] = tmp;
      }
      const tmp = x[col]!;
      x[col] = x[pivotRow]!;
      x[pivotRow] = tmp;
    }
    for (let row = col + 1; row < k; row++) {
      const factor = a[row * k + col]! / pivot;
      if (factor === 0) continue;
      for (let j = col; j < k; j++) a[row * k + j] = a[row * k + j]! - factor * a[col * k + j]!;
      x[row] = x[row]! - factor * x[col]!;
    }
  }
  for (let row = k - 1; row >= 0; row--) {
    let sum = x[row]!;
    for (let j = row + 1; j < k; j++) sum -= a[row * k + j]! * x[j]!;
    x[row] = sum / a[row * k + row]!;
  }
  return x;
}
