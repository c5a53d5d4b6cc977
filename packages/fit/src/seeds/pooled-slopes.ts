import { slopeWithInterval, type SlopeEstimate, type SlopePoint } from '../slope-regression.ts';

/**
 * Finding 3's coefficient slopes pooled over pipeline seeds: every seed's fits are points of one regression, each
 * seed with an intercept of its own (a pipeline seed redraws the pretrained LMs, the labels and the gold, which may
 * move every coefficient's level; the slope against RM size is what the seeds share). The points are the ones
 * finding 3 uses at each seed (findings/rm-size.ts): best-of-n α and β of every (size, proxy seed) at the largest
 * comparisons count that has at least two RM sizes at every seed; β_RL of the unpenalised runs at the largest
 * comparisons count where a policy's runs cover at least two sizes, from the shared-α fit where the run has one, one
 * intercept per (seed, policy). Slopes against ln(comparisons) are pooled the same way, one intercept per
 * (seed, RM size, proxy seed).
 */

/** A row of fit/fits.parquet, the columns these slopes read. */
export interface SeedFitRow {
  method: string;
  curve: string;
  rm_size: string;
  rm_parameters: number;
  comparisons: number;
  seed: number;
  policy: string;
  kl_coefficient: number | null;
  alpha: number;
  beta: number;
  peak_d: number | null;
  peak_gold: number | null;
}

/** One pipeline seed's fits, and the β of each RL run from its shared-α fit (fit/shared_alpha.parquet). */
export interface SeedFits {
  seed: number;
  fits: readonly SeedFitRow[];
  sharedBeta: ReadonlyMap<string, number>;
}

export interface PooledSlope {
  name: 'alpha_bon' | 'beta_bon' | 'beta_rl' | 'alpha_bon_data' | 'beta_bon_data';
  /** What x is: "log10 RM parameters" or "ln comparisons". */
  against: string;
  /** The sign the paper reports: α_bon up with size, β down with size (and with data). */
  claimed: 'up' | 'down';
  /** Which fits entered, for the report. */
  where: string;
  estimate: SlopeEstimate | null;
  /** true when the interval lies on the claimed side of 0, false when not, null without an interval. */
  agrees: boolean | null;
}

export interface PooledPeak {
  size: string;
  parameters: number;
  /** Mean predicted best-of-n peak over every seed's fits of this size that have one. */
  d: number;
  gold: number;
  fits: number;
}

export interface PooledScaling {
  seeds: number[];
  bonComparisons: number | null;
  rlComparisons: number | null;
  slopes: PooledSlope[];
  peaks: PooledPeak[];
  /** Whether the pooled predicted peak d* rises with every step up in size (null with fewer than two sizes, or a size without a peak). */
  peaksRise: boolean | null;
}

const sizesOf = (rows: readonly SeedFitRow[]): Set<string> => new Set(rows.map((row) => row.rm_size));

function agreesWith(estimate: SlopeEstimate | null, claimed: 'up' | 'down'): boolean | null {
  if (!estimate || !Number.isFinite(estimate.low) || !Number.isFinite(estimate.high)) return null;
  return claimed === 'up' ? estimate.low > 0 : estimate.high < 0;
}

function slope(
  name: PooledSlope['name'],
  against: string,
  claimed: PooledSlope['claimed'],
  where: string,
  points: SlopePoint[],
  confidence: number,
): PooledSlope {
  const estimate = points.length > 0 ? slopeWithInterval(points, confidence) : null;
  return { name, against, claimed, where, estimate, agrees: agreesWith(estimate, claimed) };
}

/** The largest comparisons count at which `covers` holds for every seed's rows there; null when none does. */
function largestCommon(seeds: readonly SeedFits[], rowsOf: (run: SeedFits) => SeedFitRow[], covers: (rows: SeedFitRow[]) => boolean): number | null {
  const counts = [...new Set(seeds.flatMap((run) => rowsOf(run).map((row) => row.comparisons)))].sort((a, b) => b - a);
  return counts.find((count) => seeds.every((run) => covers(rowsOf(run).filter((row) => row.comparisons === count)))) ?? null;
}

export function poolSlopes(seeds: readonly SeedFits[], confidence: number): PooledScaling {
  const bonOf = (run: SeedFits): SeedFitRow[] => run.fits.filter((row) => row.method === 'bon');
  const rlOf = (run: SeedFits): SeedFitRow[] => run.fits.filter((row) => row.method === 'rl' && row.kl_coefficient === 0);
  const sizeX = (row: SeedFitRow): number => Math.log10(row.rm_parameters);

  const bonComparisons = largestCommon(seeds, bonOf, (rows) => sizesOf(rows).size >= 2);
  const bonAt = seeds.flatMap((run) =>
    bonOf(run)
      .filter((row) => row.comparisons === bonComparisons)
      .map((row) => ({ run, row })),
  );
  const bonWhere = `best-of-n at ${bonComparisons ?? '—'} comparisons, ${bonAt.length} (seed, size, proxy seed) fits`;

  // A policy sweeps RM size at a count when its runs there cover two sizes; some policy must at every seed.
  const coversSizes = (rows: SeedFitRow[]): boolean =>
    [...new Set(rows.map((row) => row.policy))].some((policy) => sizesOf(rows.filter((row) => row.policy === policy)).size >= 2);
  const rlComparisons = largestCommon(seeds, rlOf, coversSizes);
  const rlAt = seeds.flatMap((run) =>
    rlOf(run)
      .filter(
        (row) => row.comparisons === rlComparisons && sizesOf(rlOf(run).filter((r) => r.comparisons === rlComparisons && r.policy === row.policy)).size >= 2,
      )
      .map((row) => ({ run, row })),
  );

  const dataPoints = (coefficient: 'alpha' | 'beta'): SlopePoint[] =>
    seeds.flatMap((run) => bonOf(run).map((row) => ({ x: Math.log(row.comparisons), y: row[coefficient], group: `${run.seed}/${row.rm_size}/${row.seed}` })));
  const slopes = [
    slope(
      'alpha_bon',
      'log10 RM parameters',
      'up',
      bonWhere,
      bonAt.map(({ run, row }) => ({ x: sizeX(row), y: row.alpha, group: String(run.seed) })),
      confidence,
    ),
    slope(
      'beta_bon',
      'log10 RM parameters',
      'down',
      bonWhere,
      bonAt.map(({ run, row }) => ({ x: sizeX(row), y: row.beta, group: String(run.seed) })),
      confidence,
    ),
    slope(
      'beta_rl',
      'log10 RM parameters',
      'down',
      `unpenalised RL at ${rlComparisons ?? '—'} comparisons, ${rlAt.length} runs, one intercept per (seed, policy)`,
      rlAt.map(({ run, row }) => ({ x: sizeX(row), y: run.sharedBeta.get(row.curve) ?? row.beta, group: `${run.seed}/${row.policy}` })),
      confidence,
    ),
    slope('alpha_bon_data', 'ln comparisons', 'up', 'every best-of-n fit, one intercept per (seed, size, proxy seed)', dataPoints('alpha'), confidence),
    slope('beta_bon_data', 'ln comparisons', 'down', 'every best-of-n fit, one intercept per (seed, size, proxy seed)', dataPoints('beta'), confidence),
  ];

  const sizes = [...new Map(bonAt.map(({ row }) => [row.rm_size, row.rm_parameters])).entries()].sort((a, b) => a[1] - b[1]);
  const peaks = sizes.map(([size, parameters]): PooledPeak => {
    const withPeak = bonAt.flatMap(({ row }) => (row.rm_size === size && row.peak_d !== null && row.peak_gold !== null ? [row] : []));
    const mean = (values: number[]): number => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);
    return { size, parameters, d: mean(withPeak.map((row) => row.peak_d ?? 0)), gold: mean(withPeak.map((row) => row.peak_gold ?? 0)), fits: withPeak.length };
  });
  const peaksRise = peaks.length < 2 || peaks.some((peak) => !Number.isFinite(peak.d)) ? null : peaks.every((peak, i) => i === 0 || peak.d > peaks[i - 1]!.d);
  return { seeds: seeds.map((run) => run.seed), bonComparisons, rlComparisons, slopes, peaks, peaksRise };
}
