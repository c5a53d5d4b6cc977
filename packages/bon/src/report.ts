import type { ProxyCurve } from './curves-stage.ts';

/** One proxy's curve as a table: n, KL, d, gold, proxy and the human's score of the same samples, with intervals. */
export function formatCurve(curve: ProxyCurve): string {
  const interval = (v: { mean: number; low: number; high: number }): string => `${v.mean.toFixed(3).padStart(7)} [${v.low.toFixed(3)}, ${v.high.toFixed(3)}]`;
  const lines = [
    `best-of-n against proxy ${curve.cell} (gold in initial-policy standard deviations; 95% bootstrap intervals over prompts)`,
    `${'n'.padStart(6)} ${'KL'.padStart(6)} ${'d'.padStart(6)} ${'KL exact'.padStart(9)}  ${'gold'.padEnd(26)} ${'proxy'.padEnd(26)} human`,
    ...curve.points.map(
      (p) =>
        `${String(p.n).padStart(6)} ${p.kl.toFixed(2).padStart(6)} ${p.d.toFixed(2).padStart(6)} ${p.klExact.toFixed(2).padStart(9)}  ${interval(p.gold).padEnd(26)} ${interval(p.proxy).padEnd(26)} ${interval(p.human)}`,
    ),
    `peak gold at n = ${curve.check.peakN} (${curve.check.interiorPeak ? 'inside the grid' : 'at an end of the grid'}); ` +
      `gold(peak) − gold(n max) = ${curve.check.drop.mean.toFixed(3)} [${curve.check.drop.low.toFixed(3)}, ${curve.check.drop.high.toFixed(3)}]` +
      `${curve.check.significantDrop ? ' (a significant fall)' : ''}; proxy ${curve.check.proxyMonotone ? 'rises monotonically' : 'is not monotone'}`,
  ];
  return lines.join('\n');
}

/** One line per proxy: where its gold peaks and whether it falls after. */
export function formatSummary(curves: readonly ProxyCurve[]): string {
  return [
    'proxy               peak n   gold at peak   gold at n max   fall [interval]',
    ...curves.map((c) => {
      const peak = c.points.find((p) => p.n === c.check.peakN)!;
      const last = c.points.at(-1)!;
      return `${c.cell.padEnd(18)} ${String(c.check.peakN).padStart(7)} ${peak.gold.mean.toFixed(3).padStart(14)} ${last.gold.mean.toFixed(3).padStart(15)}   ${c.check.drop.mean.toFixed(3)} [${c.check.drop.low.toFixed(3)}, ${c.check.drop.high.toFixed(3)}]${c.check.interiorPeak && c.check.significantDrop ? '  rises then falls' : ''}`;
    }),
  ].join('\n');
}
