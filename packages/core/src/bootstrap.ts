import type { Rng } from './rng.ts';
import { assertFiniteArray } from './validate.ts';

export interface BootstrapOptions {
  /** Advanced by the call: the same seeded stream gives the same interval. */
  rng: Rng;
  /** Resamples of prompts (with replacement). Default 2000. */
  resamples?: number;
  /** Two-sided coverage of the percentile interval, in (0, 1). Default 0.95. */
  confidence?: number;
}

export interface BootstrapInterval {
  low: number;
  high: number;
}

export interface MeanInterval extends BootstrapInterval {
  /** Mean over all prompts (not over resamples). */
  mean: number;
}

export interface StatisticInterval extends BootstrapInterval {
  /** The statistic on the original prompts. */
  estimate: number;
}

const DEFAULT_RESAMPLES = 2000;
const DEFAULT_CONFIDENCE = 0.95;

/**
 * Percentile bootstrap over prompts for any vector of statistics. Each resample draws one multiset of prompt
 * indices and hands the same indices to `statistic` for every component, so intervals across a curve (every n,
 * or fitted α and β) come from the same resampled prompts. `statistic` must return the same length every call.
 */
export function bootstrapStatistics(
  promptCount: number,
  statistic: (promptIndices: Int32Array) => ArrayLike<number>,
  options: BootstrapOptions,
): StatisticInterval[] {
  if (!Number.isInteger(promptCount) || promptCount < 1) {
    throw new RangeError(`promptCount must be a positive integer, got ${promptCount}`);
  }
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);

  const identity = new Int32Array(promptCount);
  for (let p = 0; p < promptCount; p++) identity[p] = p;
  const estimate = Array.from(checkedStatistic(statistic, identity, undefined));
  const draws = estimate.map(() => new Float64Array(resamples));

  const indices = new Int32Array(promptCount);
  for (let b = 0; b < resamples; b++) {
    for (let p = 0; p < promptCount; p++) indices[p] = options.rng.int(promptCount);
    const values = checkedStatistic(statistic, indices, estimate.length);
    for (let s = 0; s < estimate.length; s++) draws[s]![b] = values[s]!;
  }

  const tail = (1 - confidence) / 2;
  return estimate.map((value, s) => {
    const sorted = draws[s]!.sort();
    return { estimate: value, low: quantileOfSorted(sorted, tail), high: quantileOfSorted(sorted, 1 - tail) };
  });
}

/**
 * Mean over prompts of several statistics with jointly resampled intervals.
 * `statistics[s][p]` is statistic s (e.g. the BoN gold at one n) on prompt p.
 */
export function bootstrapMeans(statistics: readonly ArrayLike<number>[], options: BootstrapOptions): MeanInterval[] {
  if (statistics.length === 0) return [];
  const promptCount = statistics[0]!.length;
  statistics.forEach((row, s) => {
    if (row.length !== promptCount) {
      throw new RangeError(`statistics[${s}] has ${row.length} prompts, statistics[0] has ${promptCount}`);
    }
    assertFiniteArray(`statistics[${s}]`, row);
  });
  const means = new Float64Array(statistics.length);
  const intervals = bootstrapStatistics(
    promptCount,
    (indices) => {
      for (let s = 0; s < statistics.length; s++) {
        const row = statistics[s]!;
        let sum = 0;
        for (let p = 0; p < indices.length; p++) sum += row[indices[p]!]!;
        means[s] = sum / indices.length;
      }
      return means;
    },
    options,
  );
  return intervals.map(({ estimate, low, high }) => ({ mean: estimate, low, high }));
}

/** Mean over prompts of one per-prompt statistic, with its percentile bootstrap interval. */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions): MeanInterval {
  return bootstrapMeans([values], options)[0]!;
}

function checkedStatistic(
  statistic: (promptIndices: Int32Array) => ArrayLike<number>,
  indices: Int32Array,
  expectedLength: number | undefined,
): ArrayLike<number> {
  const values = statistic(indices);
  if (expectedLength !== undefined && values.length !== expectedLength) {
    throw new RangeError(`statistic returned ${values.length} values, expected ${expectedLength}`);
  }
  assertFiniteArray('statistic', values);
  return values;
}

/** Linear interpolation between order statistics (R's type 7), so the interval moves smoothly with B. */
export function quantileOfSorted(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (position - lower) * (sorted[upper]! - sorted[lower]!);
}
