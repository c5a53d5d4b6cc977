/** Argument checks for the fitting modules: bad input throws a message naming the problem instead of becoming NaN. */

export function assertFiniteValues(name: string, values: ArrayLike<number>): void {
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
