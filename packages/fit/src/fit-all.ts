import { bootstrapBonFit, bootstrapRlFit, bootstrapRlSharedAlpha, type BootstrappedFit, type BootstrapSettings } from './bootstrap-fits.ts';
import { distanceFromKl, peakOf } from './curve-fits.ts';
import { extrapolationCheck } from './extrapolation.ts';
import { SingularMatrixError } from './linear-solve.ts';
import { scalingFits } from './scaling.ts';
import type { BonCurve, CurveFit, DpoCurve, DpoFit, FitInput, FitResults, Method, RlCurve, SharedAlphaFit, UnfittedCurve } from './types.ts';

/**
 * Every fit of the stage from its input: one CurveFit per BoN curve and per RL run, the shared-α fit per RM-size
 * sweep of RL runs, and the coefficient-scaling lines. Pure: the same input always gives the same output.
 *
 * A curve's point estimate is the fit to the means over all prompts of its per-prompt data, the same numbers every
 * bootstrap resample re-averages, so estimate and interval describe one quantity. These means equal the curve's
 * points when the stage built both from the same samples; for RL, d = sqrt(max(mean KL, 0)).
 *
 * A curve the forms cannot determine (a PPO run with one point of positive KL, a best-of-n curve on a one-entry n
 * grid, a singular design) is listed in `unfitted` with the reason and left out of every later fit; the rest of
 * the report goes on. A shared-α group loses such a run and is fitted on the others.
 */
export function fitAll(original: FitInput): FitResults {
  const { input, baselines } = relativeToStart(original);
  const settings: BootstrapSettings = {
    resamples: input.options.bootstrapResamples,
    confidence: input.options.confidence,
    seed: input.options.seed,
  };
  const fraction = input.options.extrapolationFraction;
  const unfitted: UnfittedCurve[] = [];
  const withBaseline = (fit: CurveFit): CurveFit => ({ ...fit, baseline: baselines.get(`${fit.method}/${fit.curve}`) ?? 0 });
  const bon = input.bon.flatMap((curve) => attempt('bon', curve.proxy.cell, unfitted, () => withBaseline(fitBonCurve(curve, settings, fraction))));
  const rl = input.rl.flatMap((curve) => attempt('rl', curve.run, unfitted, () => withBaseline(fitRlCurve(curve, settings, fraction))));
  const fittedRuns = new Set(rl.map((fit) => fit.curve));
  const rlSharedAlpha = sharedAlphaGroups(input.rl.filter((run) => fittedRuns.has(run.run))).flatMap((group) =>
    attempt('rl-shared-alpha', group.map((run) => run.run).join(', '), unfitted, () => fitSharedAlpha(group, settings)),
  );
  // Direct-alignment runs get the RL form, fitted exactly as a PPO run's; they enter no scaling or shared-α fit.
  const dpo = (input.dpo ?? []).flatMap((curve) =>
    attempt('dpo', curve.run, unfitted, (): DpoFit => ({ ...fitDpoCurve(curve, settings, fraction), baseline: baselines.get(`dpo/${curve.run}`) ?? 0 })),
  );
  return { bon, rl, rlSharedAlpha, scaling: scalingFits(bon, rl, input.options.confidence), unfitted, ...(input.dpo ? { dpo } : {}) };
}

/**
 * Runs one fit; a degenerate curve (RangeError: too few points or non-finite data; SingularMatrixError: the design
 * cannot separate α from β) becomes an UnfittedCurve with its reason. Anything else is a bug and still throws.
 */
function attempt<T>(method: UnfittedCurve['method'], curve: string, unfitted: UnfittedCurve[], fit: () => T): T[] {
  try {
    return [fit()];
  } catch (error) {
    if (error instanceof RangeError || error instanceof SingularMatrixError) {
      unfitted.push({ method, curve, reason: error.message });
      return [];
    }
    throw new Error(`fitting ${method} curve ${curve}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Per-prompt gold as gains over each prompt's d = 0 point, as the fits see it (see relativeToStart). */
export function gainsOverStart(rows: readonly Float64Array[]): Float64Array[] {
  const start = rows[0];
  if (!start) return [];
  return rows.map((row) => row.map((value, p) => value - start[p]!));
}

/**
 * The functional forms are gains over the initial policy (R(0) = 0, fitted through the origin), so each curve's
 * per-prompt gold at its d = 0 point (n = 1, or PPO's iteration 0) is subtracted from every point of that prompt
 * first. Gold is normalised on the default policy, so without this a second policy size, which starts higher, would
 * be fitted with a spurious offset. Pairing within prompts also removes between-prompt spread from the intervals.
 */
function relativeToStart(input: FitInput): { input: FitInput; baselines: Map<string, number> } {
  const baselines = new Map<string, number>();
  const subtract = (name: string, rows: Float64Array[]): Float64Array[] => {
    if (rows[0]) baselines.set(name, mean(rows[0]));
    return gainsOverStart(rows);
  };
  return {
    baselines,
    input: {
      ...input,
      bon: input.bon.map((curve) => (curve.points[0]?.d === 0 ? { ...curve, perPromptGold: subtract(`bon/${curve.proxy.cell}`, curve.perPromptGold) } : curve)),
      rl: input.rl.map((curve) => (curve.points[0]?.step === 0 ? { ...curve, perPromptGold: subtract(`rl/${curve.run}`, curve.perPromptGold) } : curve)),
      dpo: input.dpo?.map((curve) => (curve.points[0]?.step === 0 ? { ...curve, perPromptGold: subtract(`dpo/${curve.run}`, curve.perPromptGold) } : curve)),
    },
  };
}

function fitBonCurve(curve: BonCurve, settings: BootstrapSettings, fraction: number): CurveFit {
  const name = curve.proxy.cell;
  const d = curve.points.map((point) => point.d);
  const result = bootstrapBonFit(name, d, curve.perPromptGold, settings);
  // The extrapolation check uses the same per-prompt means as the fit: it asks about the form, not the sampling.
  const gold = curve.perPromptGold.map(mean);
  return curveFit('bon', name, curve.proxy, null, null, result, d, gold, fraction);
}

function fitRlCurve(curve: RlCurve, settings: BootstrapSettings, fraction: number): CurveFit {
  const result = bootstrapRlFit(curve.run, curve, settings);
  const d = curve.perPromptKl.map((row) => distanceFromKl(mean(row)));
  const gold = curve.perPromptGold.map(mean);
  return curveFit('rl', curve.run, curve.proxy, curve.policy, curve.klCoefficient, result, d, gold, fraction);
}

function fitDpoCurve(curve: DpoCurve, settings: BootstrapSettings, fraction: number): DpoFit {
  // Its own bootstrap stream (fit/rl/dpo/<run>), so adding or removing a PPO run never moves a DPO interval.
  const result = bootstrapRlFit(`dpo/${curve.run}`, curve, settings);
  const d = curve.perPromptKl.map((row) => distanceFromKl(mean(row)));
  const gold = curve.perPromptGold.map(mean);
  return { ...curveFit('rl', curve.run, curve.proxy, curve.policy, null, result, d, gold, fraction), loss: curve.loss, dpoBeta: curve.beta };
}

function curveFit(
  method: Method,
  name: string,
  proxy: CurveFit['proxy'],
  policy: CurveFit['policy'],
  klCoefficient: number | null,
  result: BootstrappedFit,
  d: number[],
  gold: number[],
  fraction: number,
): CurveFit {
  return {
    method,
    curve: name,
    proxy,
    policy,
    klCoefficient,
    alpha: result.alpha,
    beta: result.beta,
    r2: result.fit.r2,
    points: result.fit.points,
    peak: peakOf(method, result.fit.alpha, result.fit.beta),
    extrapolation: extrapolationCheck(method, d, gold, fraction),
  };
}

/**
 * RM-size sweeps: RL runs that share comparisons, seed, KL coefficient and policy, covering at least 2 RM sizes.
 * Runs within a group are ordered by RM parameters; groups by the first run's name, for a stable output.
 */
export function sharedAlphaGroups(runs: readonly RlCurve[]): RlCurve[][] {
  const groups = new Map<string, RlCurve[]>();
  for (const run of runs) {
    const key = JSON.stringify([run.proxy.comparisons, run.proxy.seed, run.klCoefficient, run.policy.size]);
    const group = groups.get(key) ?? [];
    group.push(run);
    groups.set(key, group);
  }
  return [...groups.values()]
    .filter((group) => new Set(group.map((run) => run.proxy.size)).size >= 2)
    .map((group) => [...group].sort((a, b) => a.proxy.parameters - b.proxy.parameters || a.run.localeCompare(b.run)))
    .sort((a, b) => a[0]!.run.localeCompare(b[0]!.run));
}

function fitSharedAlpha(group: readonly RlCurve[], settings: BootstrapSettings): SharedAlphaFit {
  const runs = group.map((run) => run.run);
  const result = bootstrapRlSharedAlpha(
    group.map((run) => ({ label: run.run, perPromptKl: run.perPromptKl, perPromptGold: run.perPromptGold })),
    settings,
  );
  return {
    runs,
    alpha: result.alpha,
    betas: runs.map((run, c) => ({ run, beta: result.betas[c]!, r2: result.fit.r2s[c]! })),
  };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
