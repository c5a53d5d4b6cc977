import { defineTable } from '../columns.ts';

/** fit/fits.parquet: one row per fitted curve (best-of-n per proxy, RL per run). */
export const FITS_TABLE = defineTable('fits.parquet', {
  method: { type: 'utf8', meaning: '"bon" or "rl": which functional form was fitted' },
  curve: { type: 'utf8', meaning: 'the proxy cell (bon) or the run name (rl)' },
  proxy: { type: 'utf8', meaning: 'the proxy cell whose curve this is' },
  rm_size: { type: 'utf8', meaning: "the proxy's model size" },
  rm_parameters: { type: 'int32', meaning: "the proxy's non-embedding parameters" },
  comparisons: { type: 'int32', meaning: 'the comparisons the proxy was trained on' },
  seed: { type: 'int32', meaning: "the proxy's training seed" },
  policy: { type: 'utf8', meaning: 'the RL policy size ("" for best-of-n)' },
  kl_coefficient: { type: 'float64', meaning: "the RL run's KL penalty coefficient (null for best-of-n)" },
  alpha: { type: 'float64', meaning: 'the fitted α' },
  alpha_low: { type: 'float64', meaning: "α's bootstrap interval: low end" },
  alpha_high: { type: 'float64', meaning: "α's bootstrap interval: high end" },
  beta: { type: 'float64', meaning: 'the fitted β' },
  beta_low: { type: 'float64', meaning: "β's bootstrap interval: low end" },
  beta_high: { type: 'float64', meaning: "β's bootstrap interval: high end" },
  r2: { type: 'float64', meaning: "the fit's R² on the curve's points" },
  points: { type: 'int32', meaning: 'points used (RL drops d = 0)' },
  peak_d: { type: 'float64', meaning: 'the predicted peak distance d* (null when β ≤ 0: no peak)' },
  peak_gold: { type: 'float64', meaning: 'the predicted peak gain R* over the baseline (null when no peak)' },
  extrapolation_fit_up_to_d: {
    type: 'float64',
    meaning: 'the extrapolation test fits points with d up to this and predicts the rest (null when too few points)',
  },
  extrapolation_rmse: { type: 'float64', meaning: "the extrapolation's RMS error on the predicted points" },
  extrapolation_max_abs_error: { type: 'float64', meaning: "the extrapolation's largest absolute error on the predicted points" },
});

/** fit/shared_alpha.parquet: the RL RM-size sweep, one α shared across a group's runs and β per run (paper §4). */
export const SHARED_ALPHA_TABLE = defineTable('shared_alpha.parquet', {
  group: { type: 'utf8', meaning: "the group's runs, space-separated (same comparisons, seed, KL coefficient and policy)" },
  alpha: { type: 'float64', meaning: "the group's shared α" },
  alpha_low: { type: 'float64', meaning: "shared α's interval: low end" },
  alpha_high: { type: 'float64', meaning: "shared α's interval: high end" },
  run: { type: 'utf8', meaning: 'the run this β belongs to' },
  beta: { type: 'float64', meaning: "the run's β with α shared" },
  beta_low: { type: 'float64', meaning: "β's interval: low end" },
  beta_high: { type: 'float64', meaning: "β's interval: high end" },
  r2: { type: 'float64', meaning: "the run's R² under the shared fit" },
});

/** fit/scaling.parquet: each coefficient against RM size or data, y = intercept + slope·x. */
export const SCALING_TABLE = defineTable('scaling.parquet', {
  method: { type: 'utf8', meaning: '"bon" or "rl"' },
  coefficient: { type: 'utf8', meaning: '"alpha" or "beta"' },
  against: { type: 'utf8', meaning: 'x: "log10_parameters" (RM size) or "ln_comparisons" (RM data)' },
  slice: { type: 'utf8', meaning: 'what was held fixed, e.g. "comparisons=4000" or "size=xs"' },
  slope: { type: 'float64', meaning: 'the fitted slope' },
  slope_low: { type: 'float64', meaning: "the slope's two-sided t interval: low end (null with only 2 points)" },
  slope_high: { type: 'float64', meaning: "the slope's two-sided t interval: high end (null with only 2 points)" },
  intercept: { type: 'float64', meaning: 'the fitted intercept' },
  r2: { type: 'float64', meaning: "the regression's R²" },
  points: { type: 'int32', meaning: 'curves in the regression' },
});

/**
 * fit/dpo_fits.parquet: the RL form d(α − β ln d) fitted to each direct-alignment run, beside the unpenalised PPO run
 * (same policy) against the proxy trained on the same comparisons.
 */
export const DPO_FITS_TABLE = defineTable('dpo_fits.parquet', {
  run: { type: 'utf8', meaning: 'the DPO run (dpo/runs/<run>)' },
  proxy: { type: 'utf8', meaning: 'the proxy cell whose training comparisons the run learnt from' },
  policy: { type: 'utf8', meaning: 'the policy size' },
  loss: { type: 'utf8', meaning: '"dpo" or "ipo"' },
  dpo_beta: { type: 'float64', meaning: "the loss's β" },
  alpha: { type: 'float64', meaning: 'the fitted α' },
  alpha_low: { type: 'float64', meaning: "α's bootstrap interval: low end" },
  alpha_high: { type: 'float64', meaning: "α's bootstrap interval: high end" },
  beta: { type: 'float64', meaning: 'the fitted β of the RL form' },
  beta_low: { type: 'float64', meaning: "β's bootstrap interval: low end" },
  beta_high: { type: 'float64', meaning: "β's bootstrap interval: high end" },
  r2: { type: 'float64', meaning: "the fit's R² on the run's points" },
  points: { type: 'int32', meaning: 'points fitted (d = 0 left out)' },
  peak_d: { type: 'float64', meaning: 'the fitted peak d* = e^(α/β − 1) (null: no peak)' },
  peak_gold: { type: 'float64', meaning: 'the fitted peak gain R* over the start (null: no peak)' },
  ppo_run: { type: 'utf8', meaning: 'the unpenalised PPO run against the same cell and policy ("" when the preset has none)' },
  ppo_alpha: { type: 'float64', meaning: "that PPO run's fitted α (null without one)" },
  ppo_alpha_low: { type: 'float64', meaning: "its α's interval: low end" },
  ppo_alpha_high: { type: 'float64', meaning: "its α's interval: high end" },
  ppo_beta: { type: 'float64', meaning: "that PPO run's fitted β" },
  ppo_beta_low: { type: 'float64', meaning: "its β's interval: low end" },
  ppo_beta_high: { type: 'float64', meaning: "its β's interval: high end" },
  ppo_peak_d: { type: 'float64', meaning: "that PPO run's fitted peak d* (null: no peak)" },
});
