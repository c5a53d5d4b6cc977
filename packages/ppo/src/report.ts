import type { RunCurveRow } from './summary.ts';

/** One table per run: step → exact KL, k1, k3, d, proxy, gold, with the gold peak marked. */
export function formatRunCurves(rows: readonly RunCurveRow[]): string {
  const runs = [...new Set(rows.map((r) => r.run))];
  return runs
    .map((run) => {
      const points = rows.filter((r) => r.run === run).sort((a, b) => a.step - b.step);
      const peak = points.reduce((best, p) => (p.gold > best.gold ? p : best), points[0]);
      const last = points[points.length - 1];
      const lines = [
        `PPO run ${run}: proxy ${points[0].proxy}, policy ${points[0].policy}, β_KL ${points[0].klCoefficient}`,
        `${'step'.padStart(6)}${'KL exact'.padStart(10)}${'k1'.padStart(10)}${'k3'.padStart(10)}${'d'.padStart(8)}${'proxy'.padStart(9)}${'gold'.padStart(9)}   gold 95% interval`,
        ...points.map(
          (p) =>
            `${String(p.step).padStart(6)}${p.kl.toFixed(3).padStart(10)}${p.klK1.toFixed(3).padStart(10)}${p.klK3.toFixed(3).padStart(10)}${p.d.toFixed(3).padStart(8)}${p.proxyScore.toFixed(3).padStart(9)}${p.gold.toFixed(3).padStart(9)}   [${p.goldLow.toFixed(3)}, ${p.goldHigh.toFixed(3)}]${p === peak ? '  ← gold peak' : ''}`,
        ),
        `gold peak ${peak.gold.toFixed(3)} at step ${peak.step} (KL ${peak.kl.toFixed(2)}); at the end ${last.gold.toFixed(3)} (KL ${last.kl.toFixed(2)}), proxy ${points[0].proxyScore.toFixed(3)} → ${last.proxyScore.toFixed(3)}`,
      ];
      return lines.join('\n');
    })
    .join('\n\n');
}
