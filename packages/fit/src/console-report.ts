import type { CurveFit, FitResults, Finding, SeedVerdicts } from './types.ts';

const num = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The fitted coefficients, one line per curve, as the terminal shows them. */
export function formatFits(results: FitResults): string {
  const line = (f: CurveFit): string =>
    `${f.method.padEnd(4)}${f.curve.padEnd(26)}α ${num(f.alpha.mean)} [${num(f.alpha.low)}, ${num(f.alpha.high)}]  β ${num(f.beta.mean)} [${num(f.beta.low)}, ${num(f.beta.high)}]  R² ${num(f.r2)}  ${f.peak ? `d* ${num(f.peak.d, 2)} R* ${num(f.peak.gold)}` : 'no peak'}`;
  const unfitted = results.unfitted.map((u) => `${u.method.padEnd(4)}${u.curve.padEnd(26)}not fitted: ${u.reason}`);
  return [
    'fits: BoN gold = d(α − βd), RL gold = d(α − β ln d), 95% bootstrap intervals over prompts',
    ...results.bon.map(line),
    ...results.rl.map(line),
    ...unfitted,
  ].join('\n');
}

export function formatFindings(findings: readonly Finding[]): string {
  const mark = (holds: boolean | null): string => (holds === null ? '—' : holds ? '✓' : '✗');
  return [
    'findings (paper-notes §5): ✓ holds, ✗ does not, — not testable with this preset',
    ...findings.map((f) => `${mark(f.holds)} ${f.id}. ${f.title}${f.seeds ? `  [by proxy seed: ${seedMarks(f.seeds)}]` : ''}\n     ${f.evidence}`),
  ].join('\n');
}

/** "0 ✓, 1 ✗, 2 —" in seed order. */
function seedMarks(seeds: SeedVerdicts): string {
  const marks = [...seeds.holds.map((s) => [s, '✓'] as const), ...seeds.fails.map((s) => [s, '✗'] as const), ...seeds.untestable.map((s) => [s, '—'] as const)];
  return marks
    .sort((a, b) => a[0] - b[0])
    .map(([seed, mark]) => `${seed} ${mark}`)
    .join(', ');
}
