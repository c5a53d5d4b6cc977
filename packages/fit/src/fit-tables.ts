import { join } from 'node:path';
import { tableFromColumns, writeParquetFile } from '@goodhart/core';
import type { CurveFit, FitResults } from './types.ts';

/**
 * fits.parquet (one row per fitted curve: α and β with intervals, R², predicted peak, extrapolation error),
 * shared_alpha.parquet (the RM-size sweep fit for RL) and scaling.parquet (coefficients against RM size and data):
 * the numbers behind the report, for DuckDB or pandas.
 */
export async function writeFitTables(dir: string, results: FitResults): Promise<void> {
  const fits: CurveFit[] = [...results.bon, ...results.rl];
  await writeParquetFile(
    join(dir, 'fits.parquet'),
    tableFromColumns({
      method: { type: 'utf8', values: fits.map((f) => f.method) },
      curve: { type: 'utf8', values: fits.map((f) => f.curve) },
      proxy: { type: 'utf8', values: fits.map((f) => f.proxy.cell) },
      rm_size: { type: 'utf8', values: fits.map((f) => f.proxy.size) },
      rm_parameters: { type: 'int32', values: fits.map((f) => f.proxy.parameters) },
      comparisons: { type: 'int32', values: fits.map((f) => f.proxy.comparisons) },
      seed: { type: 'int32', values: fits.map((f) => f.proxy.seed) },
      policy: { type: 'utf8', values: fits.map((f) => f.policy?.size ?? '') },
      kl_coefficient: { type: 'float64', values: fits.map((f) => f.klCoefficient) },
      alpha: { type: 'float64', values: fits.map((f) => f.alpha.mean) },
      alpha_low: { type: 'float64', values: fits.map((f) => f.alpha.low) },
      alpha_high: { type: 'float64', values: fits.map((f) => f.alpha.high) },
      beta: { type: 'float64', values: fits.map((f) => f.beta.mean) },
      beta_low: { type: 'float64', values: fits.map((f) => f.beta.low) },
      beta_high: { type: 'float64', values: fits.map((f) => f.beta.high) },
      r2: { type: 'float64', values: fits.map((f) => f.r2) },
      points: { type: 'int32', values: fits.map((f) => f.points) },
      peak_d: { type: 'float64', values: fits.map((f) => f.peak?.d ?? null) },
      peak_gold: { type: 'float64', values: fits.map((f) => f.peak?.gold ?? null) },
      extrapolation_fit_up_to_d: { type: 'float64', values: fits.map((f) => f.extrapolation?.fitUpToD ?? null) },
      extrapolation_rmse: { type: 'float64', values: fits.map((f) => f.extrapolation?.rmse ?? null) },
      extrapolation_max_abs_error: { type: 'float64', values: fits.map((f) => f.extrapolation?.maxAbsError ?? null) },
    }),
  );
  const shared = results.rlSharedAlpha.flatMap((group) => group.betas.map((b) => ({ group, b })));
  await writeParquetFile(
    join(dir, 'shared_alpha.parquet'),
    tableFromColumns({
      group: { type: 'utf8', values: shared.map((r) => r.group.runs.join(' ')) },
      alpha: { type: 'float64', values: shared.map((r) => r.group.alpha.mean) },
      alpha_low: { type: 'float64', values: shared.map((r) => r.group.alpha.low) },
      alpha_high: { type: 'float64', values: shared.map((r) => r.group.alpha.high) },
      run: { type: 'utf8', values: shared.map((r) => r.b.run) },
      beta: { type: 'float64', values: shared.map((r) => r.b.beta.mean) },
      beta_low: { type: 'float64', values: shared.map((r) => r.b.beta.low) },
      beta_high: { type: 'float64', values: shared.map((r) => r.b.beta.high) },
      r2: { type: 'float64', values: shared.map((r) => r.b.r2) },
    }),
  );
  const scaling = results.scaling;
  await writeParquetFile(
    join(dir, 'scaling.parquet'),
    tableFromColumns({
      method: { type: 'utf8', values: scaling.map((s) => s.method) },
      coefficient: { type: 'utf8', values: scaling.map((s) => s.coefficient) },
      against: { type: 'utf8', values: scaling.map((s) => s.against) },
      slice: { type: 'utf8', values: scaling.map((s) => s.slice) },
      slope: { type: 'float64', values: scaling.map((s) => s.slope) },
      slope_low: { type: 'float64', values: scaling.map((s) => (Number.isFinite(s.slopeLow) ? s.slopeLow : null)) },
      slope_high: { type: 'float64', values: scaling.map((s) => (Number.isFinite(s.slopeHigh) ? s.slopeHigh : null)) },
      intercept: { type: 'float64', values: scaling.map((s) => s.intercept) },
      r2: { type: 'float64', values: scaling.map((s) => s.r2) },
      points: { type: 'int32', values: scaling.map((s) => s.points.length) },
    }),
  );
}
