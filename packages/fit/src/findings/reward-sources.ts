import { bootstrapStatistics, Rng } from '@goodhart/core';
import { tIntervalOfMean } from '../student-t.ts';
import type { BonCurve, FitInput, Interval, SourceCurve } from '../types.ts';
import { analyseOveroptimisation, type CurvePoints } from './curve-shape.ts';
import { fmt, fmtInterval, num } from './numbers.ts';
import { splitPrompts, valuesAt } from './prompt-split.ts';
import { DEFAULT_CONFIDENCE } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/** Finding 10's title (a finding of this project, not one of the paper's eight): Coste et al. 2023, Ramé et al. 2024. */
export const SOURCES_FINDING_TITLE =
  'Reward sources: ensembles and weight averaging raise best-of-n gold at the largest n over their single members; with a small KL penalty the ensembles’ RL gold does not fall where a single member’s does';

/** A source's best-of-n gold at the largest n against the mean of its single members' on the same prompts. */
export interface SourceBonResult {
  source: string;
  kind: string;
  objective: string;
  members: string[];
  n: number;
  gold: Interval;
  membersGold: Interval;
  /** gold − membersGold, paired by prompt. */
  gain: Interval;
  /** The members' mean gold at the smallest n (n = 1: the initial policy's samples). */
  baseline: number;
  /** membersGold − baseline: what the single members gain by best-of-n. */
  membersGain: Interval;
  /**
   * gain / membersGain: the extra gold as a fraction of the members' own gain, the analogue of Coste et al.'s
   * percentages. Its interval carries the gain's uncertainty only (divided by the members' gain's estimate). null
   * when the members' gain interval does not lie above 0: a fraction of a gain that may be nothing is no number.
   */
  relative: Interval | null;
  /** How many of the single members (one per seed) have a lower mean gold at n than the source. */
  membersBeaten: number;
}

/** A PPO run's peak chosen on one half of the prompts, its peak and final gold and its fall on the other. */
export interface SourceRlResult {
  run: string;
  proxy: string;
  /** "cell", "ensemble" or "weightAverage". */
  kind: string;
  objective: string;
  klCoefficient: number;
  policy: string;
  peakIteration: number;
  peakGold: Interval;
  finalGold: number;
  fall: Interval;
  falls: boolean;
}

/** What a peak and fall are read from: a curve's points and per-prompt gold. */
type CurveData = Pick<SourceCurve, 'points' | 'perPromptGold'>;

export interface RewardSourcesAnalysis {
  bon: SourceBonResult[];
  rl: SourceRlResult[];
  /** Sources whose members lack a best-of-n curve (bon.proxies left them out): not comparable. */
  skipped: string[];
}

function confidenceOf(input: FitInput): number {
  const c = input.options.confidence;
  return c > 0 && c < 1 ? c : DEFAULT_CONFIDENCE;
}

/**
 * Each source's best-of-n gold at the largest n against the mean over its members of each member's, paired by
 * prompt, with a percentile bootstrap over prompts drawn jointly for the gold, the members' mean, the gain and the
 * members' gain. No peak is chosen, so no split is needed: the largest n is named in advance. null when the preset
 * declares no sources.
 */
export function analyseRewardSources(input: FitInput): RewardSourcesAnalysis | null {
  const sources = input.sources;
  if (!sources) return null;
  const bon: SourceBonResult[] = [];
  const skipped: string[] = [];
  for (const curve of sources.bon) {
    const members = curve.members.map((cell) => input.bon.find((c) => c.proxy.cell === cell));
    if (members.some((m) => m === undefined) || curve.points.length === 0) {
      skipped.push(curve.name);
      continue;
    }
    bon.push(compareWithMembers(input, curve, members as BonCurve[]));
  }
  const rl: { run: string; proxy: string; kind: string; objective: string; klCoefficient: number; policy: string; curve: CurveData }[] = sources.rl.map(
    (run) => ({ run: run.run, proxy: run.name, kind: run.kind, objective: run.objective, klCoefficient: run.klCoefficient, policy: run.policy, curve: run }),
  );
  // The single-member runs the sources' runs are compared with: runs against a member cell of a source with runs.
  const memberCells = new Set(sources.rl.flatMap((run) => run.members));
  for (const run of input.rl) {
    if (!memberCells.has(run.proxy.cell)) continue;
    rl.push({
      run: run.run,
      proxy: run.proxy.cell,
      kind: 'cell',
      objective: '',
      klCoefficient: run.klCoefficient,
      policy: run.policy.size,
      curve: {
        points: run.points.map((p) => ({ x: p.step, d: p.d, gold: p.gold, proxy: p.proxy })),
        perPromptGold: run.perPromptGold,
      },
    });
  }
  return {
    bon,
    rl: rl.flatMap((r) => {
      const result = peakAndFall(input, r.run, r.curve);
      return result ? [{ run: r.run, proxy: r.proxy, kind: r.kind, objective: r.objective, klCoefficient: r.klCoefficient, policy: r.policy, ...result }] : [];
    }),
    skipped,
  };
}

function compareWithMembers(input: FitInput, curve: SourceCurve, members: readonly BonCurve[]): SourceBonResult {
  const last = curve.points.length - 1;
  const n = curve.points[last]!.x;
  const at = (member: BonCurve, value: number): Float64Array => {
    const j = member.points.findIndex((p) => p.n === value);
    if (j < 0) throw new Error(`best-of-n source ${curve.name}: member ${member.proxy.cell} has no point at n = ${value}`);
    return member.perPromptGold[j]!;
  };
  const source = curve.perPromptGold[last]!;
  const atN = members.map((m) => at(m, n));
  const firstN = Math.min(...members[0]!.points.map((p) => p.n));
  const atStart = members.map((m) => at(m, firstN));
  const prompts = source.length;
  const memberMean = (rows: readonly Float64Array[], p: number): number => rows.reduce((sum, row) => sum + row[p]!, 0) / rows.length;
  const statistic = (indices: Int32Array): number[] => {
    let s = 0;
    let m = 0;
    let b = 0;
    for (const p of indices) {
      s += source[p]!;
      m += memberMean(atN, p);
      b += memberMean(atStart, p);
    }
    s /= indices.length;
    m /= indices.length;
    b /= indices.length;
    return [s, m, s - m, m - b, b];
  };
  const [gold, membersGold, gain, membersGain, baseline] = bootstrapStatistics(prompts, statistic, {
    // Seeded by the members, not the source: every source of the same members draws the same resamples of the
    // prompts, so the members' gold and gain (the same quantities) get the same intervals beside each source.
    rng: Rng.fromSeed(input.options.seed, `fit/sources/bon/${curve.members.join(' ')}`),
    resamples: input.options.bootstrapResamples,
    confidence: confidenceOf(input),
  });
  const interval = (s: { estimate: number; low: number; high: number }): Interval => ({ mean: s.estimate, low: s.low, high: s.high });
  const sourceMean = gold!.estimate;
  return {
    source: curve.name,
    kind: curve.kind,
    objective: curve.objective,
    members: curve.members,
    n,
    gold: interval(gold!),
    membersGold: interval(membersGold!),
    gain: interval(gain!),
    baseline: baseline!.estimate,
    membersGain: interval(membersGain!),
    relative:
      membersGain!.low > 0
        ? { mean: gain!.estimate / membersGain!.estimate, low: gain!.low / membersGain!.estimate, high: gain!.high / membersGain!.estimate }
        : null,
    membersBeaten: atN.filter((row) => row.reduce((a, v) => a + v, 0) / row.length < sourceMean).length,
  };
}

/**
 * Finding 1's test on one run (curve-shape.ts): the peak is the evaluation with the most gold on a random half of
 * the prompts; the peak's gold, the last evaluation's and the fall between them are measured on the other half,
 * paired by prompt, with t intervals over that half.
 */
function peakAndFall(
  input: FitInput,
  run: string,
  curve: CurveData,
): Omit<SourceRlResult, 'run' | 'proxy' | 'kind' | 'objective' | 'klCoefficient' | 'policy'> | null {
  const label = `fit/findings/split/sources/${run}`;
  const confidence = confidenceOf(input);
  const points: CurvePoints[] = curve.points.map((p) => ({ d: p.d, gold: p.gold, proxy: p.proxy }));
  const shape = analyseOveroptimisation(run, points, curve.perPromptGold, { splitRng: Rng.fromSeed(input.options.seed, label), confidence });
  const split = splitPrompts(curve.perPromptGold[0]?.length ?? 0, Rng.fromSeed(input.options.seed, label));
  if (!shape || !split) return null;
  const peak = tIntervalOfMean(valuesAt(curve.perPromptGold[shape.peakIndex]!, split.measure), confidence);
  return {
    peakIteration: curve.points[shape.peakIndex]!.x,
    peakGold: { mean: peak.mean, low: peak.low, high: peak.high },
    finalGold: shape.lastGold,
    fall: shape.drop,
    falls: shape.significantDrop,
  };
}

/** One pair of finding 10's RL half: a penalised run against a source and the single member's run at the same β_KL. */
interface RlPair {
  source: SourceRlResult;
  single: SourceRlResult;
  /** null: the single member does not fall, so there is no fall to prevent. */
  holds: boolean | null;
}

function rlPairs(analysis: RewardSourcesAnalysis, input: FitInput): RlPair[] {
  const declared = input.sources?.declared ?? {};
  return analysis.rl
    .filter((r) => r.kind !== 'cell' && r.klCoefficient > 0)
    .flatMap((source) => {
      const members = declared[source.proxy]?.members;
      const singles = analysis.rl.filter(
        (r) =>
          r.kind === 'cell' &&
          r.klCoefficient === source.klCoefficient &&
          r.policy === source.policy &&
          members !== undefined &&
          r.proxy.startsWith(`${members.size}-n${members.comparisons}-s`),
      );
      return singles.map((single) => ({ source, single, holds: single.falls ? !source.falls : null }));
    });
}

/**
 * Finding 10. Best-of-n half: every source's gain over the mean of its single members at the largest n has an
 * interval above 0 (sources pool the seeds, so this half is not judged per seed; members_beaten counts the single
 * members each source beats). RL half: for each run against a source with a KL penalty, and the run against one of
 * its members at the same β_KL and policy: where the member's run falls (its fall from the held-out peak to the last
 * evaluation has an interval above 0), the source's run does not. Holds when both halves hold; fails when either
 * fails; otherwise null when a half has nothing to judge (no sources with comparable members, or no penalised pair
 * whose single member falls).
 */
export function checkRewardSources(input: FitInput, analysis: RewardSourcesAnalysis): Check {
  const numbers: FindingNumbers = { sources: analysis.bon.length, coste_gain_no_noise: 0.3, coste_gain_label_noise: 0.75 };
  analysis.bon.forEach((r, i) => {
    const key = `bon${i + 1}_`;
    Object.assign(numbers, {
      [`${key}source`]: r.source,
      [`${key}gold`]: num(r.gold.mean),
      [`${key}members_gold`]: num(r.membersGold.mean),
      [`${key}gain`]: num(r.gain.mean),
      [`${key}gain_low`]: num(r.gain.low),
      [`${key}gain_high`]: num(r.gain.high),
      [`${key}gold_low`]: num(r.gold.low),
      [`${key}gold_high`]: num(r.gold.high),
      [`${key}members_gold_low`]: num(r.membersGold.low),
      [`${key}members_gold_high`]: num(r.membersGold.high),
      [`${key}members_gain`]: num(r.membersGain.mean),
      [`${key}relative_gain`]: num(r.relative?.mean),
      [`${key}relative_low`]: num(r.relative?.low),
      [`${key}relative_high`]: num(r.relative?.high),
      [`${key}members_beaten`]: r.membersBeaten,
    });
  });
  const raising = analysis.bon.filter((r) => r.gain.low > 0).length;
  const bonHolds = analysis.bon.length === 0 ? null : raising === analysis.bon.length;
  numbers.sources_raising_gold = raising;
  const pairs = rlPairs(analysis, input);
  pairs.forEach((pair, i) => {
    const key = `rl${i + 1}_`;
    Object.assign(numbers, {
      [`${key}run`]: pair.source.run,
      [`${key}single_run`]: pair.single.run,
      [`${key}fall`]: num(pair.source.fall.mean),
      [`${key}fall_low`]: num(pair.source.fall.low),
      [`${key}single_fall`]: num(pair.single.fall.mean),
      [`${key}single_fall_low`]: num(pair.single.fall.low),
    });
  });
  // Every run's held-out peak and fall, penalised or not, for the record (the verdict reads the pairs above).
  analysis.rl.forEach((r, i) => {
    const key = `run${i + 1}_`;
    Object.assign(numbers, {
      [`${key}name`]: r.run,
      [`${key}kl_coefficient`]: r.klCoefficient,
      [`${key}peak_iteration`]: r.peakIteration,
      [`${key}peak_gold`]: num(r.peakGold.mean),
      [`${key}final_gold`]: num(r.finalGold),
      [`${key}fall`]: num(r.fall.mean),
      [`${key}fall_low`]: num(r.fall.low),
      [`${key}fall_high`]: num(r.fall.high),
      [`${key}falls`]: r.falls,
    });
  });
  const judged = pairs.filter((p) => p.holds !== null);
  const rlHolds = judged.length === 0 ? null : judged.every((p) => p.holds === true);
  // A half that fails decides; otherwise a half with nothing to judge leaves the finding untested.
  const holds = bonHolds === false || rlHolds === false ? false : bonHolds === null || rlHolds === null ? null : true;

  const byObjective = new Map<string, SourceBonResult[]>();
  for (const r of analysis.bon) {
    const key = r.kind === 'ensemble' ? r.objective : 'weight average';
    byObjective.set(key, [...(byObjective.get(key) ?? []), r]);
  }
  const objectives = [...byObjective].map(([key, results]) => `${key} ${describeObjective(results)}`).join('; ');
  const best = [...analysis.bon].sort((a, b) => b.gain.mean - a.gain.mean)[0];
  const bonText =
    analysis.bon.length === 0
      ? 'BoN: no source has best-of-n curves for all its members.'
      : `BoN: ${raising} of ${analysis.bon.length} sources raise gold at n = ${analysis.bon[0]!.n} over the mean of their single members (gain interval above 0); by objective, mean gain over the members and the gain as a share of the members' own gain where they gained: ${objectives} (Coste et al.: about +30% without label noise, +75% with 25%). Largest: ${best!.source}, gold ${fmt(best!.gold.mean)} vs ${fmt(best!.membersGold.mean)}, gain ${fmt(best!.gain.mean)} ${fmtInterval(best!.gain.low, best!.gain.high)}.`;
  const rlText =
    pairs.length === 0
      ? 'RL: no penalised run against a source has a run against one of its members at the same β_KL.'
      : `RL: ${pairs
          .map(
            (p) =>
              `${p.source.run} falls ${fmt(p.source.fall.mean)} ${fmtInterval(p.source.fall.low, p.source.fall.high)} from its peak at iteration ${p.source.peakIteration}, the single member's ${p.single.run} ${fmt(p.single.fall.mean)} ${fmtInterval(p.single.fall.low, p.single.fall.high)}`,
          )
          .join('; ')}${judged.length === 0 ? ' — the single member does not fall, so there is no fall to prevent' : ''}.`;
  const skipped = analysis.skipped.length > 0 ? ` Not compared (members without best-of-n curves): ${analysis.skipped.join(', ')}.` : '';
  return { holds, evidence: `${bonText} ${rlText}${skipped}`, numbers };
}

/** "+0.123 over 4 sources, 3 above 0; +35% (2 with a members' gain above 0)": one objective's best-of-n results. */
function describeObjective(results: readonly SourceBonResult[]): string {
  const meanGain = results.reduce((a, r) => a + r.gain.mean, 0) / results.length;
  const raising = results.filter((r) => r.gain.low > 0).length;
  const relatives = results.flatMap((r) => (r.relative ? [r.relative.mean] : []));
  const share =
    relatives.length === 0
      ? 'no members’ gain above 0, so no share'
      : `${fmtSigned((100 * relatives.reduce((a, b) => a + b, 0)) / relatives.length, 0)}% (${relatives.length} with a members’ gain above 0)`;
  return `${fmtSigned(meanGain)} over ${results.length} sources, ${raising} above 0; ${share}`;
}

function fmtSigned(value: number, digits = 3): string {
  return `${value >= 0 ? '+' : ''}${fmt(value, digits)}`;
}
