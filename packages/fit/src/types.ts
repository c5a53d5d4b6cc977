import type { RewardSource } from '@goodhart/core';

/**
 * What the fit stage reads (curves gathered from the bon and ppo artifacts, proxy metrics) and what it produces
 * (fits, scaling fits, findings). The stage glue (stage.ts) builds a FitInput from Parquet; the fitting library and
 * the report only ever see these types.
 */
import type { KlEstimator } from '@goodhart/core';

/** A point estimate with its bootstrap interval over prompts. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/** One proxy reward model of the grid. */
export interface ProxyInfo {
  /** Grid cell name, `<size>-n<comparisons>-s<seed>`. */
  cell: string;
  size: string;
  /** Non-embedding parameters of the RM (the paper's x axis for RM size). */
  parameters: number;
  comparisons: number;
  seed: number;
  validationLoss: number;
  validationAccuracy: number;
}

export interface PolicyInfo {
  size: string;
  parameters: number;
}

/** Best-of-n curve of one proxy: points on the n grid, and per-prompt estimates for bootstrapping fits. */
export interface BonCurve {
  proxy: ProxyInfo;
  points: {
    n: number;
    kl: number;
    d: number;
    gold: Interval;
    /** The human labeller's score of the same chosen samples (its own units; equal to gold for a lexicon gold). */
    human: Interval;
    proxy: Interval;
  }[];
  /** perPromptGold[j][p]: unbiased best-of-n gold estimate at points[j] for prompt p (same prompt order for all j). */
  perPromptGold: Float64Array[];
  /** perPromptHuman[j][p]: the same estimate of the human score. */
  perPromptHuman: Float64Array[];
}

/** One PPO run (proxy × KL coefficient × policy size): eval points along training. */
export interface RlCurve {
  /** Run name, `<cell>-kl<coef>-<policy>`. */
  run: string;
  proxy: ProxyInfo;
  policy: PolicyInfo;
  klCoefficient: number;
  points: {
    step: number;
    /** Mean over eval samples of the exact per-token KL (what d and the curves use). */
    kl: Interval;
    /** The same samples' KL every way (k1, k2, k3, exact), each with its bootstrap interval over prompts. */
    klEstimators: Record<KlEstimator, Interval>;
    /** Fraction of the eval samples whose k1 is below 0. */
    k1Negative: number;
    /** sqrt(max(exact KL, 0)). */
    d: number;
    gold: Interval;
    /** The human labeller's score of the same eval samples (its own units; equal to gold for a lexicon gold). */
    human: Interval;
    proxy: Interval;
  }[];
  /** perPromptKl[j][p] (exact per-token KL), perPromptGold[j][p], perPromptHuman[j][p]: prompt p's mean over its eval samples at points[j]. */
  perPromptKl: Float64Array[];
  perPromptGold: Float64Array[];
  perPromptHuman: Float64Array[];
}

/**
 * One direct-alignment run (packages/dpo): the policy trained on a proxy cell's training comparisons with the DPO
 * or IPO loss at one β. Shaped like a PPO run (its points' `proxy` is the implicit reward β·KL of the samples), so
 * the RL form is fitted to it the same way.
 */
export interface DpoCurve extends Omit<RlCurve, 'klCoefficient' | 'points'> {
  /** As a PPO run's points, with KL as k1 only (its `kl`): DPO's evaluation does not yet measure KL every way. */
  points: Omit<RlCurve['points'][number], 'klEstimators' | 'k1Negative'>[];
  loss: 'dpo' | 'ipo';
  /** β of the loss. */
  beta: number;
}

/**
 * Finding 8 on the real pool: a synthetic proxy = gold + independent Gaussian noise (written by bon), whose best-of-n
 * gold should follow ρ·σ_gold·E[max of n standard normals] with no peak.
 */
export interface RegressionalCheck {
  /** corr(proxy, gold) = σ_gold / sqrt(σ_gold² + σ_noise²). */
  rho: number;
  goldStd: number;
  noiseStd: number;
  points: { n: number; d: number; gold: Interval; predicted: number }[];
}

export interface FitOptions {
  bootstrapResamples: number;
  /** Two-sided interval level, e.g. 0.95. */
  confidence: number;
  /** Extrapolation check: fit on points with d ≤ this fraction of the curve's largest d, predict the rest. */
  extrapolationFraction: number;
  seed: number;
}

/** A curve of a reward source (an ensemble or a weight average of cells; `sources` in the pipeline file). */
export interface SourceCurve {
  /** The source's name. */
  name: string;
  kind: RewardSource['kind'];
  /** An ensemble's objective; "" for a weight average. */
  objective: string;
  /** Its member cells. */
  members: string[];
  /** Points in optimisation order: n for best-of-n, iteration for PPO (`x`). */
  points: { x: number; d: number; gold: Interval; proxy: Interval }[];
  /** perPromptGold[j][p], prompts in the same order as the cells' curves. */
  perPromptGold: Float64Array[];
}

/** A PPO run against a source. */
export interface SourceRun extends SourceCurve {
  run: string;
  policy: string;
  klCoefficient: number;
}

/** The preset's reward sources and their curves; null when the pipeline file declares none. */
export interface SourcesInput {
  declared: Readonly<Record<string, RewardSource>>;
  bon: SourceCurve[];
  rl: SourceRun[];
}

export interface FitInput {
  preset: string;
  /**
   * What the gold is (the preset's gold.kind): a trained gold reward model, whose curves the report draws beside the
   * human labeller's score of the same samples, or the lexicon, which is the human labeller itself (human = gold).
   */
  goldKind: 'model' | 'lexicon';
  proxies: ProxyInfo[];
  policies: PolicyInfo[];
  bon: BonCurve[];
  rl: RlCurve[];
  /** Direct-alignment runs (absent or empty without a dpo section). */
  dpo?: DpoCurve[];
  regressional: RegressionalCheck | null;
  /**
   * Curves of the declared reward sources, kept apart from `bon` and `rl` (which hold single cells only, so the
   * paper's findings and fits see exactly what they saw before sources existed); null when none are declared.
   */
  sources?: SourcesInput | null;
  options: FitOptions;
}

export type Method = 'bon' | 'rl';

/** R_bon(d) = d(α − βd) or R_RL(d) = d(α − β ln d), fitted through the origin to one curve's mean gold. */
export interface CurveFit {
  method: Method;
  /** The proxy cell (bon) or the run name (rl). */
  curve: string;
  proxy: ProxyInfo;
  policy: PolicyInfo | null;
  klCoefficient: number | null;
  alpha: Interval;
  beta: Interval;
  r2: number;
  /** Points used (RL drops d = 0). */
  points: number;
  /**
   * Mean gold at the curve's d = 0 point, subtracted (per prompt) before fitting: the fits are gains over the
   * initial policy, and the fitted curve in gold units is baseline + R(d). 0 when the curve has no d = 0 point.
   */
  baseline?: number;
  /** Predicted peak (R* is a gain over the baseline): BoN d* = α/2β, R* = α²/4β; RL d* = e^(α/β − 1), R* = β·d*. null when β ≤ 0 (no peak). */
  peak: { d: number; gold: number } | null;
  /** Fit on d ≤ extrapolationFraction·max d, predict the rest; null when either part has < 2 points. */
  extrapolation: { fitUpToD: number; fittedPoints: number; predictedPoints: number; rmse: number; maxAbsError: number } | null;
}

/** The RM-size sweep for RL: one α shared across the RM sizes of a group, β per size (paper §4). */
export interface SharedAlphaFit {
  /** The runs fitted together (same comparisons, seed, KL coefficient and policy; different RM sizes). */
  runs: string[];
  alpha: Interval;
  betas: { run: string; beta: Interval; r2: number }[];
}

/** A coefficient against log10(RM parameters) or ln(comparisons): y = intercept + slope·x. */
export interface ScalingFit {
  method: Method;
  coefficient: 'alpha' | 'beta';
  against: 'log10_parameters' | 'ln_comparisons';
  /** What was held fixed, e.g. "comparisons=4000" or "size=xs". */
  slice: string;
  slope: number;
  /** Two-sided t interval on the slope at the fit's confidence (slope-regression.ts); NaN with only 2 points. */
  slopeLow: number;
  slopeHigh: number;
  intercept: number;
  r2: number;
  points: { x: number; y: number; curve: string }[];
}

/** A curve (or shared-α group) the fit could not determine, and why; the report lists it and carries on. */
export interface UnfittedCurve {
  method: Method | 'rl-shared-alpha' | 'dpo';
  /** The proxy cell (bon), the run name (rl), or the runs joined by ", " (shared α). */
  curve: string;
  /** Why, e.g. "fitRl: needs at least 2 points with d > 1e-12, got 1". */
  reason: string;
}

export interface FitResults {
  bon: CurveFit[];
  rl: CurveFit[];
  rlSharedAlpha: SharedAlphaFit[];
  scaling: ScalingFit[];
  /** Curves too degenerate to fit (too few points, a singular design): left out of every fit above. */
  unfitted: UnfittedCurve[];
  /** The RL form fitted to each direct-alignment run (absent without DPO runs). */
  dpo?: DpoFit[];
}

/** The RL form d(α − β ln d) fitted to a DPO run (method "rl": the form), with the run's loss and β. */
export interface DpoFit extends CurveFit {
  loss: 'dpo' | 'ipo';
  dpoBeta: number;
}

/** A finding judged on each proxy seed's curves alone: the seeds where it holds, fails, or cannot be judged. */
export interface SeedVerdicts {
  holds: number[];
  fails: number[];
  untestable: number[];
}

/**
 * One of the eight findings of paper-notes §5, checked against measured numbers. holds = null: the preset lacks the
 * runs. With several proxy seeds, holds is true only if it holds on the pooled seeds and fails on none of them.
 */
export interface Finding {
  id: number;
  title: string;
  holds: boolean | null;
  /** Per proxy seed; null for a finding that does not depend on the proxies (finding 8's synthetic proxy). */
  seeds: SeedVerdicts | null;
  evidence: string;
  numbers: Record<string, number | string | boolean | null>;
}
