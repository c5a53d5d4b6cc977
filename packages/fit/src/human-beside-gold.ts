import { Rng } from '@goodhart/core';
import { analyseOveroptimisation, type CurvePoints } from './findings/curve-shape.ts';
import { argmax } from './findings/stats.ts';
import { DEFAULT_CONFIDENCE } from './findings/thresholds.ts';
import type { FitInput, Interval, Method } from './types.ts';

/**
 * The human labeller's curve beside the gold's (issue 10): with a trained gold RM, the human's score of the same
 * samples is a second, outer Goodhart curve — the gold RM is itself a proxy for the human. This is a description for
 * the report, not a finding: no threshold judges it.
 *
 * Each score's peak is found the way finding 1 finds the gold's (findings/curve-shape.ts): the point of highest mean
 * on one random half of the prompts, its value and the drop to the last point measured on the other half. Gold and
 * human use the same split (one seed label per curve), so their peaks are chosen and read on the same prompts.
 */
export interface ScorePeak {
  index: number;
  d: number;
  /** Mean at the peak and at the last point, on the measuring half (all prompts when the curve has too few to halve). */
  value: number;
  last: number;
  /** value − last, paired by prompt, with a t interval over the measuring half; null without a split. */
  drop: Interval | null;
}

export interface HumanBesideGold {
  method: Method;
  /** The proxy cell (bon) or the run name (rl). */
  curve: string;
  /** Prompts that chose the peaks and that measured them; null when too few prompts to halve (peaks on all prompts). */
  split: { select: number; measure: number } | null;
  gold: ScorePeak;
  human: ScorePeak;
  /** Where the human's peak lies on the curve relative to the gold's. */
  humanPeaks: 'earlier' | 'at the same point' | 'later';
}

interface CurveScores {
  points: readonly { d: number; gold: Interval; human: Interval; proxy: Interval }[];
  perPromptGold: readonly Float64Array[];
  perPromptHuman: readonly Float64Array[];
}

/** Every best-of-n curve, then every RL run (penalised ones too), gold and human peaks side by side. */
export function humanBesideGold(input: FitInput): HumanBesideGold[] {
  return [...input.bon.map((curve) => compare(input, 'bon', curve.proxy.cell, curve)), ...input.rl.map((run) => compare(input, 'rl', run.run, run))];
}

function compare(input: FitInput, method: Method, curve: string, scores: CurveScores): HumanBesideGold {
  const confidence = input.options.confidence > 0 && input.options.confidence < 1 ? input.options.confidence : DEFAULT_CONFIDENCE;
  const peakOf = (
    perPrompt: readonly Float64Array[],
    value: (p: CurveScores['points'][number]) => Interval,
  ): { peak: ScorePeak; split: HumanBesideGold['split'] } => {
    const points: CurvePoints[] = scores.points.map((p) => ({ d: p.d, gold: value(p), proxy: p.proxy }));
    // The same seed label for gold and human: the same split of the prompts for both.
    const splitRng = Rng.fromSeed(input.options.seed, `fit/report/human-beside-gold/${method}/${curve}`);
    const analysed = analyseOveroptimisation(curve, points, [...perPrompt], { splitRng, confidence });
    if (analysed) {
      return {
        peak: { index: analysed.peakIndex, d: analysed.peakD, value: analysed.peakGold, last: analysed.lastGold, drop: analysed.drop },
        split: { select: analysed.selectPrompts, measure: analysed.measurePrompts },
      };
    }
    const means = points.map((p) => p.gold.mean);
    const index = argmax(means);
    return {
      peak: { index, d: points[index]?.d ?? Number.NaN, value: means[index] ?? Number.NaN, last: means[means.length - 1] ?? Number.NaN, drop: null },
      split: null,
    };
  };
  const gold = peakOf(scores.perPromptGold, (p) => p.gold);
  const human = peakOf(scores.perPromptHuman, (p) => p.human);
  const humanPeaks = human.peak.index < gold.peak.index ? 'earlier' : human.peak.index > gold.peak.index ? 'later' : 'at the same point';
  return { method, curve, split: gold.split, gold: gold.peak, human: human.peak, humanPeaks };
}
