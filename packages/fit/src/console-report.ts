import { humanBesideGold } from './human-beside-gold.ts';
import { LEXICON_GOLD_NOTE } from './report/tables.ts';
import type { CurveFit, FitInput, FitResults, Finding, SeedVerdicts } from './types.ts';

const num = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The fitted coefficients, one line per curve, as the terminal shows them. */
export function formatFits(results: FitResults): string {
  const line = (f: CurveFit, method: string = f.method): string =>
    `${method.padEnd(4)}${f.curve.padEnd(26)}α ${num(f.alpha.mean)} [${num(f.alpha.low)}, ${num(f.alpha.high)}]  β ${num(f.beta.mean)} [${num(f.beta.low)}, ${num(f.beta.high)}]  R² ${num(f.r2)}  ${f.peak ? `d* ${num(f.peak.d, 2)} R* ${num(f.peak.gold)}` : 'no peak'}`;
  const unfitted = results.unfitted.map((u) => `${u.method.padEnd(4)}${u.curve.padEnd(26)}not fitted: ${u.reason}`);
  return [
    'fits: BoN gold = d(α − βd), RL and DPO gold = d(α − β ln d), 95% bootstrap intervals over prompts',
    ...results.bon.map((f) => line(f)),
    ...results.rl.map((f) => line(f)),
    ...(results.dpo ?? []).map((f) => line(f, 'dpo')),
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

/** Where the human labeller's curve peaks beside the gold's, one line per curve (one note for a lexicon gold). */
export function formatHumanBesideGold(input: FitInput): string {
  if (input.goldKind === 'lexicon') return `human beside the gold: ${LEXICON_GOLD_NOTE}`;
  const rows = humanBesideGold(input);
  const split = rows.find((r) => r.split)?.split;
  const header = `human beside the gold: peaks ${split ? `chosen on ${split.select} prompts, read on the other ${split.measure}` : 'on all prompts'} (gold in gold s.d., human in human s.d.)`;
  const line = (r: (typeof rows)[number]): string =>
    `${r.method.padEnd(4)}${r.curve.padEnd(26)}gold peaks at d ${num(r.gold.d, 2)} (${num(r.gold.value)} → ${num(r.gold.last)} at the last point), human at d ${num(r.human.d, 2)} (${num(r.human.value)} → ${num(r.human.last)}): ${r.humanPeaks}`;
  return [header, ...rows.map(line)].join('\n');
}
