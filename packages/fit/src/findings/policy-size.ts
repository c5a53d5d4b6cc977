import { Rng } from '@goodhart/core';
import type { FitInput, RlCurve } from '../types.ts';
import { fmt, num } from './numbers.ts';
import { distinct, groupBy, unpenalisedRuns } from './selection.ts';
import { heldOutPeak } from './prompt-split.ts';
import { PEAK_D_RATIO_RANGE } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

interface PolicyShape {
  run: string;
  policy: string;
  start: number;
  peak: number;
  gain: number;
  peakD: number;
}

/**
 * Finding 5. For every proxy with unpenalised RL runs of at least two policy sizes, compare the smallest and the
 * largest policy: the larger starts higher (mean gold at its first point), gains less (peak − start), and peaks at
 * about the same d (ratio of the d at the mean-gold maxima within PEAK_D_RATIO_RANGE). The peaks are read off the
 * data, not the fits: a fitted d* can sit far outside the measured range. Each run's peak is chosen on one random
 * half of its evaluation prompts and its start and peak gold are read on the other half (prompt-split.ts), so the
 * gain is not inflated by picking the luckiest point. Holds when every such proxy agrees.
 */
export function checkPolicySize(input: FitInput): Check {
  const groups = [...groupBy(unpenalisedRuns(input.rl), (run) => run.proxy.cell).entries()].filter(
    ([, runs]) => distinct(runs.map((run) => run.policy.size)).length >= 2,
  );
  if (groups.length === 0) {
    const policies = distinct(input.rl.map((run) => run.policy.size));
    return {
      holds: null,
      evidence: `Needs unpenalised RL runs of at least two policy sizes against the same proxy; this preset has ${policies.length} policy size(s) (${policies.join(', ') || 'no RL runs'}).`,
      numbers: { policy_sizes: policies.length, proxies_compared: 0 },
    };
  }
  const numbers: FindingNumbers = { proxies_compared: groups.length };
  const verdicts: boolean[] = [];
  const sentences: string[] = [];
  let judged = 0;
  groups.forEach(([cell, runs]) => {
    const ordered = [...runs].filter((r) => r.points.length > 0).sort((a, b) => a.policy.parameters - b.policy.parameters);
    const small = shapeOf(ordered[0]!, input.options.seed);
    const large = shapeOf(ordered[ordered.length - 1]!, input.options.seed);
    if (!small || !large) return;
    const i = judged++;
    const ratio = large.peakD / small.peakD;
    const startsHigher = large.start > small.start;
    const gainsLess = large.gain < small.gain;
    const samePeak = ratio >= PEAK_D_RATIO_RANGE[0] && ratio <= PEAK_D_RATIO_RANGE[1];
    verdicts.push(startsHigher && gainsLess && samePeak);
    const key = `g${i + 1}_`;
    Object.assign(numbers, {
      [`${key}proxy`]: cell,
      [`${key}small_policy`]: small.policy,
      [`${key}large_policy`]: large.policy,
      [`${key}small_start`]: num(small.start),
      [`${key}large_start`]: num(large.start),
      [`${key}small_gain`]: num(small.gain),
      [`${key}large_gain`]: num(large.gain),
      [`${key}small_peak_d`]: num(small.peakD),
      [`${key}large_peak_d`]: num(large.peakD),
      [`${key}peak_d_ratio`]: num(ratio),
    });
    if (i < 2) {
      sentences.push(
        `Against ${cell}, policy ${large.policy} vs ${small.policy} starts at ${fmt(large.start)} vs ${fmt(small.start)}, gains ${fmt(large.gain)} vs ${fmt(small.gain)}, and peaks at d ${fmt(large.peakD, 2)} vs ${fmt(small.peakD, 2)} (ratio ${fmt(ratio, 2)}).`,
      );
    }
  });
  numbers.proxies_holding = verdicts.filter(Boolean).length;
  numbers.proxies_judged = judged;
  if (judged === 0) {
    return {
      holds: null,
      evidence: `${groups.length} proxy(ies) with two policy sizes, but their runs have too few evaluation prompts to choose a peak on one half and read it on the other.`,
      numbers,
    };
  }
  const more = judged > 2 ? ` (${judged - 2} more proxies in numbers)` : '';
  return { holds: verdicts.every(Boolean), evidence: `${sentences.join(' ')} Peaks chosen on half the prompts, gold read on the other half.${more}`, numbers };
}

function shapeOf(run: RlCurve, seed: number): PolicyShape | null {
  const peak =
    run.perPromptGold.length === run.points.length ? heldOutPeak(run.perPromptGold, Rng.fromSeed(seed, `fit/findings/policy-peak/${run.run}`)) : null;
  if (!peak) return null;
  return { run: run.run, policy: run.policy.size, start: peak.start, peak: peak.gold, gain: peak.gold - peak.start, peakD: run.points[peak.index]!.d };
}
