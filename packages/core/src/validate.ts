/** Argument checks shared by the math modules (bon, fit, bootstrap): bad inputs throw here instead of turning into silent NaNs. */

export function assertSampleCount(name: string, value: number, max?: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  if (max !== undefined && value > max) throw new RangeError(`${name} = ${value} exceeds the pool size ${max}`);
}

export function assertFiniteArray(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`${name}[${i}] must be finite, got ${values[i]}`);
  }
}

export function assertSameLength(names: string, ...arrays: ArrayLike<number>[]): void {
  const lengths = arrays.map((a) => a.length);
  if (lengths.some((length) => length !== lengths[0])) {
    throw new RangeError(`${names} must have the same length, got ${lengths.join(' vs ')}`);
  }
}
