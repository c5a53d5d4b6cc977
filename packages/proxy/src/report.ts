import type { CellMetrics } from './stage.ts';

/** The printed grid: validation loss / accuracy per cell, then the averages the issue asks to read off. */
export function formatProxyTable(rows: readonly CellMetrics[]): string {
  const sizes = [...new Set(rows.map((r) => r.size))];
  const counts = [...new Set(rows.map((r) => r.comparisons))].sort((a, b) => a - b);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const cellText = (size: string, n: number): string => {
    const matching = rows.filter((r) => r.size === size && r.comparisons === n);
    if (matching.length === 0) return '—'.padStart(18);
    return `${mean(matching.map((r) => r.validationLoss)).toFixed(3)} / ${(100 * mean(matching.map((r) => r.validationAccuracy))).toFixed(1)}%`.padStart(18);
  };
  const lines = [
    `proxy RM validation loss (nats) / accuracy, by RM size (rows) and training comparisons (columns); chance = ${Math.LN2.toFixed(3)}`,
    `${'size'.padEnd(8)}${'params'.padStart(10)}${counts.map((n) => String(n).padStart(18)).join('')}`,
    ...sizes.map((size) => {
      const parameters = rows.find((r) => r.size === size)!.parameters;
      return `${size.padEnd(8)}${String(parameters).padStart(10)}${counts.map((n) => cellText(size, n)).join('')}`;
    }),
    `${'mean'.padEnd(18)}${counts
      .map((n) =>
        mean(rows.filter((r) => r.comparisons === n).map((r) => r.validationLoss))
          .toFixed(3)
          .padStart(18),
      )
      .join('')}`,
  ];
  return lines.join('\n');
}
