import { assertFiniteArray, Rng } from '@goodhart/core';
import { distanceFromKl, fitBon, fitRl, fitRlSharedAlpha, type CoefficientFit, type SharedAlphaCoefficients } from './curve-fits.ts';
import { SingularMatrixError } from './linear-solve.ts';
import { percentileInterval } from './percentile.ts';
import type { Interval } from './types.ts';

/**
 * Percentile bootstrap of the curve fits over prompts: prompts are the unit of sampling in both BoN and RL eval, so
 * resampling them (with replacement) and refitting shows how much α and β owe to which prompts were drawn. Each
 * resample draws ONE multiset of prompts and uses it for every point of the curve, keeping the points' correlation.
 *
 * Every curve gets its own stream, Rng.fromSeed(seed, "fit/<method>/<label>"), so a curve's interval depends only
 * on the seed and its own name, never on which other curves were fitted or in what order.
 */

export interface BootstrapSettings {
  resamples: number;
  /** Two-sided interval level, e.g. 0.95. */
  confidence: number;
  seed: number;
}

export interface BootstrappedFit {
  /** The fit to the mean over all prompts; the intervals' `mean`. */
  fit: CoefficientFit;
  alpha: Interval;
  beta: Interval;
  /** Resamples whose refit was impossible (e.g. an RL resample with < 2 points of positive KL); left out. */
  failedResamples: number;
}

export interface PerPromptRl {
  /** perPromptKl[j][p], perPromptGold[j][p]: prompt p's mean at point j. */
  perPromptKl: readonly ArrayLike<number>[];
  perPromptGold: readonly ArrayLike<number>[];
}

/** One curve's fit and its bootstrap draws of (α, β): alphas[b] and betas[b] come from the same resample b. */
export interface CoefficientDraws {
  fit: CoefficientFit;
  alphas: Float64Array;
  betas: Float64Array;
  /** Resamples whose refit was impossible; left out of alphas and betas. */
  failedResamples: number;
}

/** BoN: d per point is fixed by n (it does not depend on the prompts); gold is re-averaged per resample. */
export function bootstrapBonFit(
  label: string,
  d: ArrayLike<number>,
  perPromptGold: readonly ArrayLike<number>[],
  settings: BootstrapSettings,
): BootstrappedFit {
  return withIntervals(bonCoefficientDraws(label, d, perPromptGold, settings), settings.confidence);
}

/** The draws behind bootstrapBonFit (the same stream, so the same resamples), for statistics built on α and β. */
export function bonCoefficientDraws(
  label: string,
  d: ArrayLike<number>,
  perPromptGold: readonly ArrayLike<number>[],
  settings: BootstrapSettings,
): CoefficientDraws {
  checkSettings(settings);
  const prompts = promptCount(`bon curve ${label}: perPromptGold`, perPromptGold, d.length);
  const gold = new Float64Array(d.length);
  const indices = identity(prompts);
  meansAt(perPromptGold, indices, gold);
  const fit = fitBon(d, gold);
  const rng = Rng.fromSeed(settings.seed, `fit/bon/${label}`);
  const draws = drawCoefficients(settings.resamples, () => {
    drawIndices(rng, indices);
    meansAt(perPromptGold, indices, gold);
    const refit = fitBon(d, gold);
    return [refit.alpha, refit.beta];
  });
  return asCoefficientDraws(fit, draws);
}

/** RL: both the KL (hence d) and the gold of every point are re-averaged over the resampled prompts. */
export function bootstrapRlFit(label: string, curve: PerPromptRl, settings: BootstrapSettings): BootstrappedFit {
  return withIntervals(rlCoefficientDraws(label, curve, settings), settings.confidence);
}

/** The draws behind bootstrapRlFit (the same stream, so the same resamples). */
export function rlCoefficientDraws(label: string, curve: PerPromptRl, settings: BootstrapSettings): CoefficientDraws {
  checkSettings(settings);
  const points = curve.perPromptGold.length;
  const prompts = promptCount(`rl curve ${label}: perPromptGold`, curve.perPromptGold, points);
  promptCount(`rl curve ${label}: perPromptKl`, curve.perPromptKl, points, prompts);
  const d = new Float64Array(points);
  const gold = new Float64Array(points);
  const indices = identity(prompts);
  rlMeansAt(curve, indices, d, gold);
  const fit = fitRl(d, gold);
  const rng = Rng.fromSeed(settings.seed, `fit/rl/${label}`);
  const draws = drawCoefficients(settings.resamples, () => {
    drawIndices(rng, indices);
    rlMeansAt(curve, indices, d, gold);
    const refit = fitRl(d, gold);
    return [refit.alpha, refit.beta];
  });
  return asCoefficientDraws(fit, draws);
}

function asCoefficientDraws(fit: CoefficientFit, draws: Draws): CoefficientDraws {
  const empty = new Float64Array(0);
  return { fit, alphas: draws.values[0] ?? empty, betas: draws.values[1] ?? empty, failedResamples: draws.failed };
}

export interface BootstrappedSharedAlpha {
  fit: SharedAlphaCoefficients;
  alpha: Interval;
  /** β per curve, in input order. */
  betas: Interval[];
  failedResamples: number;
}

/**
 * Shared-α RL fit over several runs. The runs were evaluated independently, so each resample draws prompts
 * independently per run, each from that run's own stream ("fit/rl-shared/<label>").
 */
export function bootstrapRlSharedAlpha(curves: readonly (PerPromptRl & { label: string })[], settings: BootstrapSettings): BootstrappedSharedAlpha {
  checkSettings(settings);
  const state = curves.map((curve) => {
    const points = curve.perPromptGold.length;
    const prompts = promptCount(`rl curve ${curve.label}: perPromptGold`, curve.perPromptGold, points);
    promptCount(`rl curve ${curve.label}: perPromptKl`, curve.perPromptKl, points, prompts);
    const data = { d: new Float64Array(points), gold: new Float64Array(points) };
    const indices = identity(prompts);
    rlMeansAt(curve, indices, data.d, data.gold);
    return { curve, data, indices, rng: Rng.fromSeed(settings.seed, `fit/rl-shared/${curve.label}`) };
  });
  const fit = fitRlSharedAlpha(state.map((s) => s.data));
  const draws = drawCoefficients(settings.resamples, () => {
    for (const s of state) {
      drawIndices(s.rng, s.indices);
      rlMeansAt(s.curve, s.indices, s.data.d, s.data.gold);
    }
    const refit = fitRlSharedAlpha(state.map((s) => s.data));
    return [refit.alpha, ...refit.betas];
  });
  return {
    fit,
    alpha: percentileInterval(fit.alpha, draws.values[0]!, settings.confidence),
    betas: fit.betas.map((beta, c) => percentileInterval(beta, draws.values[c + 1]!, settings.confidence)),
    failedResamples: draws.failed,
  };
}

/** Checked before the full-data fit so a bad setting fails fast rather than after thousands of refits. */
function checkSettings(settings: BootstrapSettings): void {
  if (!Number.isInteger(settings.resamples) || settings.resamples < 1) {
    throw new RangeError(`bootstrap resamples must be a positive integer, got ${settings.resamples}`);
  }
  if (!(settings.confidence > 0 && settings.confidence < 1)) {
    throw new RangeError(`bootstrap confidence must be in (0, 1), got ${settings.confidence}`);
  }
}

interface Draws {
  /** values[s]: the successful resamples' values of statistic s. */
  values: Float64Array[];
  failed: number;
}

/** Runs `refit` once per resample; refits that hit a degenerate resample are counted and left out. */
function drawCoefficients(resamples: number, refit: () => number[]): Draws {
  let values: Float64Array[] | undefined;
  let kept = 0;
  let failed = 0;
  for (let b = 0; b < resamples; b++) {
    let result: number[];
    try {
      result = refit();
    } catch (error) {
      if (error instanceof SingularMatrixError || error instanceof RangeError) {
        failed++;
        continue;
      }
      throw error;
    }
    values ??= result.map(() => new Float64Array(resamples));
    result.forEach((value, s) => (values![s]![kept] = value));
    kept++;
  }
  return { values: (values ?? []).map((column) => column.subarray(0, kept)), failed };
}

/** Percentile intervals of α and β; copies the draws first (percentileInterval sorts in place). */
function withIntervals(draws: CoefficientDraws, confidence: number): BootstrappedFit {
  return {
    fit: draws.fit,
    alpha: percentileInterval(draws.fit.alpha, draws.alphas.slice(), confidence),
    beta: percentileInterval(draws.fit.beta, draws.betas.slice(), confidence),
    failedResamples: draws.failedResamples,
  };
}

/** Checks the per-prompt matrix (one row per point, same prompt count, finite) and returns the prompt count. */
function promptCount(name: string, rows: readonly ArrayLike<number>[], points: number, expectedPrompts?: number): number {
  if (rows.length !== points) throw new RangeError(`${name} has ${rows.length} rows, expected one per point (${points})`);
  if (points === 0) throw new RangeError(`${name} has no points`);
  const prompts = expectedPrompts ?? rows[0]!.length;
  if (prompts < 1) throw new RangeError(`${name} has no prompts`);
  rows.forEach((row, j) => {
    if (row.length !== prompts) throw new RangeError(`${name}[${j}] has ${row.length} prompts, expected ${prompts}`);
    assertFiniteArray(`${name}[${j}]`, row);
  });
  return prompts;
}

function identity(prompts: number): Int32Array {
  const indices = new Int32Array(prompts);
  for (let p = 0; p < prompts; p++) indices[p] = p;
  return indices;
}

function drawIndices(rng: Rng, indices: Int32Array): void {
  for (let p = 0; p < indices.length; p++) indices[p] = rng.int(indices.length);
}

function meansAt(rows: readonly ArrayLike<number>[], indices: Int32Array, out: Float64Array): void {
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j]!;
    let sum = 0;
    for (let p = 0; p < indices.length; p++) sum += row[indices[p]!]!;
    out[j] = sum / indices.length;
  }
}

function rlMeansAt(curve: PerPromptRl, indices: Int32Array, d: Float64Array, gold: Float64Array): void {
  meansAt(curve.perPromptKl, indices, d);
  for (let j = 0; j < d.length; j++) d[j] = distanceFromKl(d[j]!);
  meansAt(curve.perPromptGold, indices, gold);
}
