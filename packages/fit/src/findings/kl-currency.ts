import { quantileOfSorted } from '@goodhart/core';
import { bonCoefficientDraws, rlCoefficientDraws, type BootstrapSettings, type CoefficientDraws } from '../bootstrap-fits.ts';
import { distanceFromKl } from '../curve-fits.ts';
import { gainsOverStart } from '../fit-all.ts';
import { distanceToGain, maxFittedGain } from '../gain-distance.ts';
import { SingularMatrixError } from '../linear-solve.ts';
import { percentileInterval } from '../percentile.ts';
import type { BonCurve, FitInput, Interval, RlCurve } from '../types.ts';
import { fmt, fmtInterval, num } from './numbers.ts';
import { unpenalisedRuns } from './selection.ts';
import { DEFAULT_CONFIDENCE, KL_CURRENCY_GAIN_FRACTION, MIN_RL_OVER_BON_KL_RATIO } from './thresholds.ts';
import type { Check, FindingNumbers } from './types.ts';

/** The KL each method spends to reach one gold gain, read off the fitted curves, with intervals over prompts. */
export interface KlAtGain {
  proxy: string;
  run: string;
  /** The common gain g on the full data (gold standard deviations over the initial policy). */
  gain: number;
  bonKl: Interval;
  rlKl: Interval;
  /** rlKl / bonKl; its low end is −∞ when at least the lower tail of resamples reached no common gain. */
  ratio: Interval;
  /** Resamples where a refit failed or the two curves shared no positive gain: counted against the finding. */
  failedResamples: number;
}

/**
 * Finding 7 on the fitted curves. For each proxy with a best-of-n curve and an unpenalised RL run of the policy the
 * best-of-n pool was drawn from, both gain curves are fitted (R_bon = d(α − βd), R_RL = d(α − β ln d), gains over
 * each curve's start), the common gain is g = KL_CURRENCY_GAIN_FRACTION × the smaller of the two fitted curves'
 * largest gains within their measured d, and each method's KL to reach g is the square of the first d where its
 * fitted curve reaches g. Intervals come from bootstrapping the whole procedure over prompts (the two methods'
 * prompts independently: the pool's prompts and PPO's evaluation prompts are different draws), with the same
 * resamples as the curves' reported α and β. A resample in which either refit fails or there is no common gain
 * counts as a ratio of −∞, so it can only weaken the finding. Holds when, for every pair, the interval of
 * KL_RL / KL_BoN lies above MIN_RL_OVER_BON_KL_RATIO.
 */
export function checkKlCurrency(input: FitInput): Check {
  const bonPolicy = input.policies[0]?.size;
  const pairs = unpenalisedRuns(input.rl)
    .filter((run) => bonPolicy === undefined || run.policy.size === bonPolicy)
    .flatMap((run) => {
      const bon = input.bon.find((curve) => curve.proxy.cell === run.proxy.cell);
      return bon ? [{ bon, run }] : [];
    });
  if (pairs.length === 0) {
    return {
      holds: null,
      evidence: `Needs a proxy with both a BoN curve and an unpenalised RL run of the best-of-n policy (${bonPolicy ?? 'none'}); this preset has no such pair.`,
      numbers: { pairs: 0 },
    };
  }
  const confidence = input.options.confidence > 0 && input.options.confidence < 1 ? input.options.confidence : DEFAULT_CONFIDENCE;
  const settings: BootstrapSettings = { resamples: input.options.bootstrapResamples, confidence, seed: input.options.seed };
  const measured: KlAtGain[] = [];
  const skipped: string[] = [];
  for (const { bon, run } of pairs) {
    const result = klAtCommonGain(bon, run, settings);
    if (typeof result === 'string') skipped.push(`${run.run}: ${result}`);
    else measured.push(result);
  }
  const numbers: FindingNumbers = {
    pairs: pairs.length,
    skipped: skipped.length,
    min_ratio: MIN_RL_OVER_BON_KL_RATIO,
    gain_fraction: KL_CURRENCY_GAIN_FRACTION,
    confidence: num(confidence),
  };
  if (measured.length === 0) {
    return { holds: null, evidence: `${pairs.length} BoN/RL pair(s), none comparable: ${skipped.join('; ')}.`, numbers };
  }
  measured.forEach((m, i) => {
    const key = `p${i + 1}_`;
    Object.assign(numbers, {
      [`${key}proxy`]: m.proxy,
      [`${key}run`]: m.run,
      [`${key}gold_gain`]: num(m.gain),
      [`${key}bon_kl`]: num(m.bonKl.mean),
      [`${key}bon_kl_low`]: num(m.bonKl.low),
      [`${key}bon_kl_high`]: num(m.bonKl.high),
      [`${key}rl_kl`]: num(m.rlKl.mean),
      [`${key}rl_kl_low`]: num(m.rlKl.low),
      [`${key}rl_kl_high`]: num(m.rlKl.high),
      [`${key}rl_over_bon_kl`]: num(m.ratio.mean),
      [`${key}rl_over_bon_kl_low`]: num(m.ratio.low),
      [`${key}rl_over_bon_kl_high`]: num(m.ratio.high),
      [`${key}failed_resamples`]: m.failedResamples,
    });
  });
  numbers.min_rl_over_bon_kl_low = num(Math.min(...measured.map((m) => m.ratio.low)));
  const first = measured[0]!;
  const others =
    measured.length > 1
      ? ` Over ${measured.length} pairs the ratio's lower ends range ${low(Math.min(...measured.map((m) => m.ratio.low)))}–${low(Math.max(...measured.map((m) => m.ratio.low)))}.`
      : '';
  const skippedText = skipped.length > 0 ? ` Not comparable: ${skipped.join('; ')}.` : '';
  return {
    holds: measured.every((m) => m.ratio.low > MIN_RL_OVER_BON_KL_RATIO),
    evidence:
      `On the fitted curves, to gain ${fmt(first.gain)} gold on ${first.proxy} BoN spends ${fmt(first.bonKl.mean, 2)} ${fmtInterval(first.bonKl.low, first.bonKl.high, 2)} nats of KL ` +
      `and RL (${first.run}) ${fmt(first.rlKl.mean, 2)} ${fmtInterval(first.rlKl.low, first.rlKl.high, 2)}: ${fmt(first.ratio.mean, 2)}× as much [${low(first.ratio.low)}, ${fmt(first.ratio.high, 2)}] (needs the interval above ${MIN_RL_OVER_BON_KL_RATIO}).${others}${skippedText}`,
    numbers,
  };
}

/** A ratio's low end for evidence text: −∞ when failed resamples reach the lower tail. */
function low(value: number): string {
  return value === Number.NEGATIVE_INFINITY ? '−∞' : fmt(value, 2);
}

/** The comparison for one pair, or why it cannot be made. */
export function klAtCommonGain(bon: BonCurve, run: RlCurve, settings: BootstrapSettings): KlAtGain | string {
  let bonDraws: CoefficientDraws;
  let rlDraws: CoefficientDraws;
  try {
    const bonGold = bon.points[0]?.d === 0 ? gainsOverStart(bon.perPromptGold) : bon.perPromptGold;
    bonDraws = bonCoefficientDraws(
      bon.proxy.cell,
      bon.points.map((p) => p.d),
      bonGold,
      settings,
    );
    const rlGold = run.points[0]?.step === 0 ? gainsOverStart(run.perPromptGold) : run.perPromptGold;
    rlDraws = rlCoefficientDraws(run.run, { perPromptKl: run.perPromptKl, perPromptGold: rlGold }, settings);
  } catch (error) {
    if (error instanceof RangeError || error instanceof SingularMatrixError) return `a curve cannot be fitted (${error.message})`;
    throw error;
  }
  const bonMaxD = Math.max(...bon.points.map((p) => p.d));
  const rlMaxD = Math.max(...run.perPromptKl.map((row) => distanceFromKl(row.reduce((a, b) => a + b, 0) / row.length)));
  const compare = (bonAlpha: number, bonBeta: number, rlAlpha: number, rlBeta: number) => {
    const gain = KL_CURRENCY_GAIN_FRACTION * Math.min(maxFittedGain('bon', bonAlpha, bonBeta, bonMaxD), maxFittedGain('rl', rlAlpha, rlBeta, rlMaxD));
    const bonD = distanceToGain('bon', bonAlpha, bonBeta, gain, bonMaxD);
    const rlD = distanceToGain('rl', rlAlpha, rlBeta, gain, rlMaxD);
    return bonD === undefined || rlD === undefined ? undefined : { gain, bonKl: bonD * bonD, rlKl: rlD * rlD };
  };
  const full = compare(bonDraws.fit.alpha, bonDraws.fit.beta, rlDraws.fit.alpha, rlDraws.fit.beta);
  if (!full) return 'one fitted curve never gains within its measured range, so there is no common gain';

  const paired = Math.min(bonDraws.alphas.length, rlDraws.alphas.length);
  const ratios = new Float64Array(settings.resamples).fill(Number.NEGATIVE_INFINITY);
  const bonKls: number[] = [];
  const rlKls: number[] = [];
  for (let b = 0; b < paired; b++) {
    const draw = compare(bonDraws.alphas[b]!, bonDraws.betas[b]!, rlDraws.alphas[b]!, rlDraws.betas[b]!);
    if (!draw) continue;
    bonKls.push(draw.bonKl);
    rlKls.push(draw.rlKl);
    ratios[b] = draw.rlKl / draw.bonKl;
  }
  return {
    proxy: bon.proxy.cell,
    run: run.run,
    gain: full.gain,
    bonKl: percentileInterval(full.bonKl, Float64Array.from(bonKls), settings.confidence),
    rlKl: percentileInterval(full.rlKl, Float64Array.from(rlKls), settings.confidence),
    ratio: intervalWithFailures(full.rlKl / full.bonKl, ratios, settings.confidence),
    failedResamples: settings.resamples - bonKls.length,
  };
}

/** Percentile interval where failed draws sit at −∞: once the lower tail reaches them, the low end is −∞. */
function intervalWithFailures(estimate: number, draws: Float64Array, confidence: number): Interval {
  draws.sort();
  const tail = (1 - confidence) / 2;
  const quantile = (p: number): number => {
    const position = (draws.length - 1) * p;
    if (draws[Math.floor(position)] === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
    return quantileOfSorted(draws, p);
  };
  return { mean: estimate, low: quantile(tail), high: quantile(1 - tail) };
}
