import { join } from 'node:path';
import { DPO_FITS_TABLE, FITS_TABLE, SCALING_TABLE, SHARED_ALPHA_TABLE, writeParquetFile } from '@goodhart/core';
import type { CurveFit, FitResults } from './types.ts';

/** A fit's α and β with their intervals, R², points and predicted peak, as fits.parquet and dpo_fits.parquet name them. */
function coefficientColumns(f: CurveFit) {
  return {
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
  };
}

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
        ...coefficientColumns(f),
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
  if (results.dpo) await writeDpoFits(dir, results);
}

/** dpo_fits.parquet: each DPO run's RL-form fit beside the unpenalised PPO run on the same cell and policy. */
async function writeDpoFits(dir: string, results: FitResults): Promise<void> {
  await writeParquetFile(
    join(dir, DPO_FITS_TABLE.file),
    DPO_FITS_TABLE.fromRows(
      (results.dpo ?? []).map((f) => {
        const ppo = results.rl.find((r) => r.klCoefficient === 0 && r.proxy.cell === f.proxy.cell && r.policy?.size === f.policy?.size);
        return {
          run: f.curve,
          proxy: f.proxy.cell,
          policy: f.policy?.size ?? '',
          loss: f.loss,
          dpo_beta: f.dpoBeta,
          ...coefficientColumns(f),
          ppo_run: ppo?.curve ?? '',
          ppo_alpha: ppo?.alpha.mean ?? null,
          ppo_alpha_low: ppo?.alpha.low ?? null,
          ppo_alpha_high: ppo?.alpha.high ?? null,
          ppo_beta: ppo?.beta.mean ?? null,
          ppo_beta_low: ppo?.beta.low ?? null,
          ppo_beta_high: ppo?.beta.high ?? null,
          ppo_peak_d: ppo?.peak?.d ?? null,
        };
      }),
    ),
  );
}
