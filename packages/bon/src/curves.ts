import { bootstrapMeans, type Rng } from '@goodhart/core';
import { bestOfNCurve } from './estimator.ts';
import { distanceFromKl, empiricalBestOfNKl, klBestOfN } from './kl.ts';

/** One prompt's pool: gold, human and proxy score of each sample, and a key identifying identical responses. */
export interface PromptPool {
  promptId: number;
  gold: Float64Array;
  /** The human's score of the same samples (equal to gold when gold.kind is "lexicon"). */
  human: Float64Array;
  proxy: Float64Array;
  keys: readonly string[];
}

export interface CurvePoint {
  n: number;
  /** ln n − (n−1)/n: the KL of best-of-n from a continuous distribution (an upper bound with repeats). */
  kl: number;
  /** sqrt(kl), the paper's x axis. */
  d: number;
  /** Exact KL of best-of-n drawn from each prompt's pool as a discrete distribution (repeats counted), averaged. */
  klExact: number;
  gold: { mean: number; low: number; high: number };
  proxy: { mean: number; low: number; high: number };
  /** The human's score of the best of n (by proxy): the outer Goodhart curve beside the gold. */
  human: { mean: number; low: number; high: number };
}

export interface OveroptimizationCheck {
  /** n with the highest mean gold. */
  peakN: number;
  /** Peak strictly inside the grid (neither the first nor the last n). */
  interiorPeak: boolean;
  /** gold(peak) − gold(largest n), with its bootstrap interval over prompts. */
  drop: { mean: number; low: number; high: number };
  /** The drop's interval excludes 0. */
  significantDrop: boolean;
  /** Mean proxy never decreases along the grid. */
  proxyMonotone: boolean;
}

/**
 * Best-of-n curves for one proxy over many prompts: the unbiased estimator per prompt, averaged over prompts, with
 * percentile bootstrap intervals over prompts (one resample of prompts shared by every n, gold, proxy and human
 * alike).
 */
export function bestOfNCurves(
  pools: readonly PromptPool[],
  ns: readonly number[],
  options: { resamples: number; confidence: number; rng: Rng },
): { points: CurvePoint[]; check: OveroptimizationCheck; perPromptGold: Float64Array[]; perPromptHuman: Float64Array[]; promptIds: number[] } {
  if (pools.length === 0) throw new Error('no prompts in the pool');
  const perPrompt = pools.map((pool) => bestOfNCurve(pool.proxy, pool.gold, ns));
  const goldRows = ns.map((_, j) => Float64Array.from(perPrompt, (curve) => curve[j].gold));
  const proxyRows = ns.map((_, j) => Float64Array.from(perPrompt, (curve) => curve[j].proxy));
  const perPromptHumanCurve = pools.map((pool) => bestOfNCurve(pool.proxy, pool.human, ns));
  const humanRows = ns.map((_, j) => Float64Array.from(perPromptHumanCurve, (curve) => curve[j].gold));
  const intervals = bootstrapMeans([...goldRows, ...proxyRows, ...humanRows], {
    resamples: options.resamples,
    confidence: options.confidence,
    rng: options.rng.fork('curve'),
  });
  const points: CurvePoint[] = ns.map((n, j) => {
    const kl = klBestOfN(n);
    let exact = 0;
    for (const pool of pools)
      exact += empiricalBestOfNKl(
        pool.keys.map((key, i) => ({ key, proxy: pool.proxy[i] })),
        n,
      );
    return {
      n,
      kl,
      d: distanceFromKl(kl),
      klExact: exact / pools.length,
      gold: intervals[j],
      proxy: intervals[ns.length + j],
      human: intervals[2 * ns.length + j],
    };
  });

  let peak = 0;
  points.forEach((p, j) => {
    if (p.gold.mean > points[peak].gold.mean) peak = j;
  });
  const last = points.length - 1;
  const dropPerPrompt = goldRows[peak].map((value, p) => value - goldRows[last][p]);
  const [drop] = bootstrapMeans([dropPerPrompt], { resamples: options.resamples, confidence: options.confidence, rng: options.rng.fork('drop') });
  return {
    points,
    perPromptGold: goldRows,
    perPromptHuman: humanRows,
    promptIds: pools.map((pool) => pool.promptId),
    check: {
      peakN: ns[peak],
      interiorPeak: peak > 0 && peak < last,
      drop,
      significantDrop: drop.low > 0,
      proxyMonotone: points.every((p, j) => j === 0 || p.proxy.mean >= points[j - 1].proxy.mean - 1e-12),
    },
  };
}
