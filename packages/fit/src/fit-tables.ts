import { join } from 'node:path';
import { FITS_TABLE, SCALING_TABLE, SHARED_ALPHA_TABLE, writeParquetFile } from '@goodhart/core';
import type { CurveFit, FitResults } from './types.ts';

/**
 * fits.parquet (one row per fitted curve: α and β with intervals, R², predicted peak, extrapolation error),
 * shared_alpha.parquet (the RM-size sweep fit for RL) and scaling.parquet (coefficients against RM size and data):
 * the numbers behind the report, for DuckDB or pandas.
 */
export async function writeFitTables(dir: string, results: FitResults): Promise<void> {
  const fits: CurveFit[] = [...results.bon, ...results.rl];
  await writeParquetFile(
    join(dir, FITS_TABLE.file),
    FITS_TABLE.fromRows(
      fits.map((f) => ({
        method: f.method,
        curve: f.curve,
        proxy: f.proxy.cell,
        rm_size: f.proxy.size,
        rm_parameters: f.proxy.parameters,
        comparisons: f.proxy.comparisons,
        seed: f.proxy.seed,
        policy: f.policy?.size ?? '',
        kl_coefficient: f.klCoefficient,
        alpha: f.alpha.mean,
        alpha_low: f.alpha.low,
        alpha_high: f.alpha.high,
        beta: f.beta.mean,
        beta_low: f.beta.low,
        beta_high: f.beta.high,
        r2: f.r2,
        points: f.points,
        peak_d: f.peak?.d ?? null,
        peak_gold: f.peak?.gold ?? null,
        extrapolation_fit_up_to_d: f.extrapolation?.fitUpToD ?? null,
        extrapolation_rmse: f.extrapolation?.rmse ?? null,
        extrapolation_max_abs_error: f.extrapolation?.maxAbsError ?? null,
      })),
    ),
  );
  await writeParquetFile(
    join(dir, SHARED_ALPHA_TABLE.file),
    SHARED_ALPHA_TABLE.fromRows(
      results.rlSharedAlpha.flatMap((group) =>
        group.betas.map((b) => ({
          group: group.runs.join(' '),
          alpha: group.alpha.mean,
          alpha_low: group.alpha.low,
          alpha_high: group.alpha.high,
          run: b.run,
          beta: b.beta.mean,
          beta_low: b.beta.low,
          beta_high: b.beta.high,
          r2: b.r2,
        })),
      ),
    ),
  );
  const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);
  await writeParquetFile(
    join(dir, SCALING_TABLE.file),
    SCALING_TABLE.fromRows(
      results.scaling.map((s) => ({
        method: s.method,
        coefficient: s.coefficient,
        against: s.against,
        slice: s.slice,
        slope: s.slope,
        slope_low: finiteOrNull(s.slopeLow),
        slope_high: finiteOrNull(s.slopeHigh),
        intercept: s.intercept,
        r2: s.r2,
        points: s.points.length,
      })),
    ),
  );
}
