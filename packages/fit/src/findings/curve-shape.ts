import type { Rng } from '@goodhart/core';
import { tIntervalOfMean } from '../student-t.ts';
import type { Interval } from '../types.ts';
import { meansOver, splitPrompts, valuesAt } from './prompt-split.ts';
import { argmax } from './stats.ts';

/** What finding 1 needs to know about one curve (BoN or RL); points are in optimisation order (n or step ascending). */
export interface Overoptimisation {
  curve: string;
  /** The point with the highest mean gold on the selecting half of the prompts. */
  peakIndex: number;
  lastIndex: number;
  peakD: number;
  /** Mean gold at the peak and at the last point on the measuring half (the other prompts). */
  peakGold: number;
  lastGold: number;
  /** Prompts in the selecting and the measuring half. */
  selectPrompts: number;
  measurePrompts: number;
  /** The peak is neither the first nor the last point. */
  interiorPeak: boolean;
  /** gold(peak) − gold(last) on the measuring half, paired by prompt, with a t interval over its prompts. */
  drop: Interval;
  /** The drop interval lies above 0. */
  significantDrop: boolean;
  proxyAtPeak: number;
  proxyAtLast: number;
  proxyRises: boolean;
  overoptimises: boolean;
}

export interface CurvePoints {
  d: number;
  gold: Interval;
  proxy: Interval;
}

export interface DropTest {
  /** Draws the split of the prompts into halves. */
  splitRng: Rng;
  /** Two-sided level of the drop interval. */
  confidence: number;
}

/**
 * Gold rises then falls while proxy keeps rising, judged by sample splitting (see prompt-split.ts): the peak is the
 * argmax of mean gold over one random half of the prompts, and the fall from it to the last point is measured on
 * the other half, paired by prompt, with a t interval over that half's prompts. On a curve whose true gold never
 * falls, the measured drop then has mean ≤ 0 whichever point was chosen, so a drop interval above 0 happens at most
 * about (1 − confidence)/2 of the time. (A t interval, not a percentile bootstrap: on a half of 16 prompts the
 * bootstrap's interval is too narrow, and the calibration test measured 3.8% false falls against 2.5% nominal.) Proxy is compared at the same two points (all prompts: proxy is not
 * the quantity the peak was chosen on). null when the curve has no per-prompt gold or too few prompts to halve.
 */
export function analyseOveroptimisation(
  curve: string,
  points: readonly CurvePoints[],
  perPromptGold: readonly Float64Array[],
  test: DropTest,
): Overoptimisation | null {
  if (points.length === 0 || perPromptGold.length !== points.length) return null;
  const prompts = perPromptGold[0]!.length;
  if (perPromptGold.some((row) => row.length !== prompts)) return null;
  const split = splitPrompts(prompts, test.splitRng);
  if (!split) return null;

  const peakIndex = argmax(meansOver(perPromptGold, split.select));
  const lastIndex = points.length - 1;
  const atPeak = valuesAt(perPromptGold[peakIndex]!, split.measure);
  const atLast = valuesAt(perPromptGold[lastIndex]!, split.measure);
  const differences = atPeak.map((value, i) => value - atLast[i]!);
  const drop = tIntervalOfMean(differences, test.confidence);
  const peak = points[peakIndex]!;
  const last = points[lastIndex]!;
  const interiorPeak = peakIndex > 0 && peakIndex < lastIndex;
  const significantDrop = drop.low > 0;
  const proxyRises = last.proxy.mean > peak.proxy.mean;
  return {
    curve,
    peakIndex,
    lastIndex,
    peakD: peak.d,
    peakGold: mean(atPeak),
    lastGold: mean(atLast),
    selectPrompts: split.select.length,
    measurePrompts: split.measure.length,
    interiorPeak,
    drop: { mean: drop.mean, low: drop.low, high: drop.high },
    significantDrop,
    proxyAtPeak: peak.proxy.mean,
    proxyAtLast: last.proxy.mean,
    proxyRises,
    overoptimises: interiorPeak && significantDrop && proxyRises,
  };
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
