import { bootstrapMean, type Rng } from '@goodhart/core';
import type { Interval } from '../types.ts';
import { argmax } from './stats.ts';

/** What finding 1 needs to know about one curve (BoN or RL); points are in optimisation order (n or step ascending). */
export interface Overoptimisation {
  curve: string;
  peakIndex: number;
  lastIndex: number;
  peakD: number;
  peakGold: number;
  lastGold: number;
  /** The mean-gold peak is neither the first nor the last point. */
  interiorPeak: boolean;
  /** gold(peak) − gold(last) with an interval over prompts. */
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

export interface DropBootstrap {
  rng: Rng;
  resamples: number;
  confidence: number;
}

/**
 * Gold rises then falls while proxy keeps rising. The peak is chosen once on the full data and held fixed across
 * resamples: the question is whether the fall from that point is real, not where exactly the peak sits.
 */
export function analyseOveroptimisation(
  curve: string,
  points: readonly CurvePoints[],
  perPromptGold: readonly Float64Array[],
  bootstrap: DropBootstrap,
): Overoptimisation | null {
  if (points.length === 0) return null;
  const golds = points.map((p) => p.gold.mean);
  const peakIndex = argmax(golds);
  const lastIndex = points.length - 1;
  const peak = points[peakIndex]!;
  const last = points[lastIndex]!;
  const drop = dropInterval(peakIndex, lastIndex, points, perPromptGold, bootstrap);
  const interiorPeak = peakIndex > 0 && peakIndex < lastIndex;
  const significantDrop = drop.low > 0;
  const proxyRises = last.proxy.mean > peak.proxy.mean;
  return {
    curve,
    peakIndex,
    lastIndex,
    peakD: peak.d,
    peakGold: peak.gold.mean,
    lastGold: last.gold.mean,
    interiorPeak,
    drop,
    significantDrop,
    proxyAtPeak: peak.proxy.mean,
    proxyAtLast: last.proxy.mean,
    proxyRises,
    overoptimises: interiorPeak && significantDrop && proxyRises,
  };
}

function dropInterval(
  peakIndex: number,
  lastIndex: number,
  points: readonly CurvePoints[],
  perPromptGold: readonly Float64Array[],
  bootstrap: DropBootstrap,
): Interval {
  const atPeak = perPromptGold[peakIndex];
  const atLast = perPromptGold[lastIndex];
  if (atPeak && atLast && atPeak.length > 0 && atPeak.length === atLast.length) {
    // Paired over prompts: the same prompt at both points, so prompt difficulty cancels out of the difference.
    const differences = new Float64Array(atPeak.length);
    for (let p = 0; p < atPeak.length; p++) differences[p] = atPeak[p]! - atLast[p]!;
    return bootstrapMean(differences, { rng: bootstrap.rng, resamples: bootstrap.resamples, confidence: bootstrap.confidence });
  }
  // No per-prompt data: fall back to the widest difference the two point intervals allow (conservative).
  const peak = points[peakIndex]!.gold;
  const last = points[lastIndex]!.gold;
  return { mean: peak.mean - last.mean, low: peak.low - last.high, high: peak.high - last.low };
}
