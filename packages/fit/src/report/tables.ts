import type { HumanBesideGold, ScorePeak } from '../human-beside-gold.ts';
import type { CurveFit, DpoFit, FitResults, Finding } from '../types.ts';
import { fixed, withInterval } from './format.ts';

/** Table contents shared by index.html and summary.md: plain strings, escaped by each writer for its format. */

export type Verdict = 'holds' | 'does not hold' | 'not testable here';

export interface FindingRow {
  id: number;
  title: string;
  holds: boolean | null;
  symbol: '✓' | '✗' | '—';
  verdict: Verdict;
  /** Per proxy seed, e.g. "holds: 0, 2 · fails: 1"; "not seed-dependent" for the synthetic-proxy finding. */
  seeds: string;
  evidence: string;
}

export function findingRows(findings: readonly Finding[]): FindingRow[] {
  return findings.map((f) => ({
    id: f.id,
    title: f.title,
    holds: f.holds,
    symbol: f.holds === true ? '✓' : f.holds === false ? '✗' : '—',
    verdict: f.holds === true ? 'holds' : f.holds === false ? 'does not hold' : 'not testable here',
    seeds: seedCell(f),
    evidence: f.evidence,
  }));
}

function seedCell(f: Finding): string {
  if (!f.seeds) return 'not seed-dependent';
  const parts: string[] = [];
  if (f.seeds.holds.length > 0) parts.push(`holds: ${f.seeds.holds.join(', ')}`);
  if (f.seeds.fails.length > 0) parts.push(`fails: ${f.seeds.fails.join(', ')}`);
  if (f.seeds.untestable.length > 0) parts.push(`not judged: ${f.seeds.untestable.join(', ')}`);
  return parts.join(' · ') || '—';
}

export const FIT_HEADERS = ['curve', 'method', 'α [low, high]', 'β [low, high]', 'R²', 'points', 'd*', 'R*', 'extrapolation RMSE'] as const;

/** One row per curve fit: BoN first, then RL, then DPO; intervals are the fitting library's bootstrap intervals. */
export function fitRows(results: FitResults): string[][] {
  return [...results.bon, ...results.rl, ...(results.dpo ?? [])].map((fit) => [
    fit.curve,
    methodLabel(fit),
    withInterval(fit.alpha),
    withInterval(fit.beta),
    fixed(fit.r2),
    String(fit.points),
    fixed(fit.peak?.d, 2),
    fixed(fit.peak?.gold),
    fit.extrapolation ? `${fixed(fit.extrapolation.rmse)} (${fit.extrapolation.predictedPoints} pts beyond d ${fixed(fit.extrapolation.fitUpToD, 2)})` : '—',
  ]);
}

function methodLabel(fit: CurveFit): string {
  if (fit.method === 'bon') return 'BoN d(α − βd)';
  if ('loss' in fit)
    return `${(fit as DpoFit).loss.toUpperCase()} β ${(fit as DpoFit).dpoBeta}: RL form d(α − β ln d)${fit.policy ? `, policy ${fit.policy.size}` : ''}`;
  const policy = fit.policy ? `, policy ${fit.policy.size}` : '';
  return `RL d(α − β ln d), KL coef ${fit.klCoefficient ?? 0}${policy}`;
}

export const SHARED_ALPHA_HEADERS = ['runs', 'shared α_RL [low, high]', 'β_RL per run [low, high] (R²)'] as const;

export function sharedAlphaRows(results: FitResults): string[][] {
  return results.rlSharedAlpha.map((group) => [
    group.runs.join(', '),
    withInterval(group.alpha),
    group.betas.map((b) => `${b.run}: ${withInterval(b.beta)} (${fixed(b.r2)})`).join('; '),
  ]);
}

export const SCALING_HEADERS = ['coefficient', 'against', 'slice', 'slope [low, high]', 'intercept', 'R²', 'points'] as const;

export function scalingRows(results: FitResults): string[][] {
  return results.scaling.map((s) => [
    `${s.coefficient === 'alpha' ? 'α' : 'β'}_${s.method === 'bon' ? 'bon' : 'RL'}`,
    s.against === 'log10_parameters' ? 'log10(RM parameters)' : 'ln(comparisons)',
    s.slice,
    withInterval({ mean: s.slope, low: s.slopeLow, high: s.slopeHigh }, 4),
    fixed(s.intercept, 4),
    fixed(s.r2),
    String(s.points.length),
  ]);
}

export const UNFITTED_HEADERS = ['curve', 'method', 'why it could not be fitted'] as const;

/** Curves the fit left out (too few points, a singular design), so the reader sees them rather than a gap. */
export function unfittedRows(results: FitResults): string[][] {
  const method = { bon: 'BoN', rl: 'RL', 'rl-shared-alpha': 'RL shared α', dpo: 'DPO (RL form)' } as const;
  return results.unfitted.map((u) => [u.curve, method[u.method], u.reason]);
}

/** Said once, in place of the human's curves and table, when the gold is the lexicon (the human labeller itself). */
export const LEXICON_GOLD_NOTE =
  'The gold is the lexicon scorer, which is the human labeller itself: the human score of every sample equals its gold score, so no separate human curve is drawn.';

/** What the human table's peaks mean, for the sentence above it (HTML and Markdown). */
export function humanTableIntro(rows: readonly HumanBesideGold[]): string {
  const split = rows.find((r) => r.split)?.split;
  const how = split
    ? `Each peak is the point of highest mean on one random half of the prompts (${split.select}), read on the other half (${split.measure}), as finding 1 reads the gold’s; gold and human use the same halves, and the drop to the last point has a t interval over the measuring half.`
    : 'Each peak is the point of highest mean over all prompts (too few prompts to halve).';
  return `The human labeller’s score of the same samples, beside the gold: the gold RM is itself a proxy for the human, so the human curve is a second, outer Goodhart curve. Gold in gold s.d., human in the human’s s.d. on the label stage’s samples. ${how}`;
}

export const HUMAN_HEADERS = [
  'curve',
  'method',
  'gold peak d',
  'gold at peak → last',
  'gold drop [low, high]',
  'human peak d',
  'human at peak → last',
  'human drop [low, high]',
  'human peaks',
] as const;

/** One row per curve: where gold and human peak, their values, and the human's peak relative to the gold's. */
export function humanRows(rows: readonly HumanBesideGold[]): string[][] {
  const drop = (peak: ScorePeak): string => (peak.drop ? withInterval(peak.drop) : fixed(peak.value - peak.last));
  return rows.map((r) => [
    r.curve,
    r.method === 'bon' ? 'BoN' : 'RL',
    fixed(r.gold.d, 2),
    `${fixed(r.gold.value)} → ${fixed(r.gold.last)}`,
    drop(r.gold),
    fixed(r.human.d, 2),
    `${fixed(r.human.value)} → ${fixed(r.human.last)}`,
    drop(r.human),
    `${r.humanPeaks}${r.humanPeaks === 'at the same point' ? ' as' : ' than'} the gold`,
  ]);
}
