/** Turning measured values into what a Finding carries: finite JSON numbers and short human-readable strings. */

/** Non-finite values become null (JSON has no NaN); finite ones are rounded to 6 significant digits for readability. */
export function num(value: number | undefined | null): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  return Number(value.toPrecision(6));
}

/** A number for evidence text: fixed decimals, "n/a" when missing. */
export function fmt(value: number | undefined | null, digits = 3): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return 'n/a';
  return value.toFixed(digits);
}

/** "[low, high]" for evidence text. */
export function fmtInterval(low: number, high: number, digits = 3): string {
  return `[${fmt(low, digits)}, ${fmt(high, digits)}]`;
}
