import type { Interval } from '../types.ts';

/** Number formatting shared by the HTML and Markdown tables, so both show the same digits. */

export function fixed(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

/** "0.453 [0.410, 0.497]" */
export function withInterval(interval: Interval, digits = 3): string {
  return `${fixed(interval.mean, digits)} [${fixed(interval.low, digits)}, ${fixed(interval.high, digits)}]`;
}

/** 3e6 → "3M", 1.2e9 → "1.2B": RM and policy sizes as the paper writes them. */
export function compactCount(value: number): string {
  const units: [number, string][] = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, unit] of units) if (Math.abs(value) >= scale) return `${Number((value / scale).toPrecision(3))}${unit}`;
  return String(value);
}

/** A confidence level as a percentage label, e.g. 0.95 → "95%". */
export function percent(level: number): string {
  return `${Number((level * 100).toPrecision(3))}%`;
}
