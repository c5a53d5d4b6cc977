import { Rng } from '@goodhart/core';
import type { BonCurve, CurveFit, FitInput, FitResults, Interval, PolicyInfo, ProxyInfo, RegressionalCheck, RlCurve, ScalingFit } from '../src/types.ts';

/**
 * A hand-built synthetic preset for the findings and report tests: BoN curves of 5 RM sizes × 2 comparisons counts,
 * unpenalised and KL-penalised PPO runs, and a regressional check. The curves are drawn from the paper's functional
 * forms with per-prompt noise, and the fits are computed here with a minimal least squares, so these tests depend
 * only on the types and never on the fitting library being written alongside.
 */

export interface FixtureOptions {
  /** Policy sizes of the unpenalised RL runs against the main proxy (1 or 2). Default 1. */
  policySizes?: number;
  /** Include RL runs at all. Default true. */
  rl?: boolean;
  /** Include the regressional check. Default true. */
  regressional?: boolean;
  /** Multiplies every BoN β: 0 gives gold that never turns down. Default 1. */
  bonBetaScale?: number;
  /** Multiplies the RL runs' KL (gold stays a function of the step): small values make RL KL-cheap. Default 1. */
  rlKlScale?: number;
  /** Added to the penalised run's gold: moves it off the unpenalised frontier. Default 0. */
  penaltyGoldShift?: number;
  /** Makes the regressional check's gold peak and fall. Default false. */
  regressionalPeak?: boolean;
  /** Proxy seeds of the BoN grid (RL runs stay on seed 0). Default [0]. */
  seeds?: number[];
  /** More proxy seeds at some RM sizes only, every comparisons count (proxy.grid.extraSeeds). Default none. */
  extraSeeds?: { sizes: string[]; seeds: number[] };
}

export interface Fixture {
  input: FitInput;
  results: FitResults;
}

export const RM_SIZES = [
  { size: 'xs', parameters: 3e6 },
  { size: 's', parameters: 1.2e7 },
  { size: 'm', parameters: 4.2e7 },
  { size: 'l', parameters: 8.5e7 },
  { size: 'xl', parameters: 3e8 },
] as const;
export const COMPARISONS = [1000, 8000] as const;
export const POLICIES: readonly PolicyInfo[] = [
  { size: 'small', parameters: 2e6 },
  { size: 'large', parameters: 8e6 },
];
export const MAIN_PROXY = 'm-n8000-s0';
const PROMPTS = 64;
const N_GRID = Array.from({ length: 13 }, (_, i) => 2 ** i);
const RL_STEPS = Array.from({ length: 21 }, (_, i) => i * 10);
const RL_ALPHA = 0.279;
const RL_BETA = 0.1;
const Z95 = 1.96;

export function makeFixture(options: FixtureOptions = {}): Fixture {
  const rng = Rng.fromSeed(11, 'fit/test/fixture');
  const extra = options.extraSeeds;
  const seedsAt = (size: string): number[] => [...(options.seeds ?? [0]), ...(extra?.sizes.includes(size) ? extra.seeds : [])];
  const proxies = RM_SIZES.flatMap((s) => COMPARISONS.flatMap((count) => seedsAt(s.size).map((seed) => proxyInfo(s.size, s.parameters, count, seed))));
  const bon = proxies.map((proxy) => bonCurve(proxy, bonCoefficients(proxy, options.bonBetaScale ?? 1), rng.fork(`bon/${proxy.cell}`)));

  const main = proxies.find((p) => p.cell === MAIN_PROXY)!;
  const rl: RlCurve[] = [];
  if (options.rl ?? true) {
    const klScale = options.rlKlScale ?? 1;
    rl.push(rlCurve(main, POLICIES[0]!, 0, { klScale }, rng.fork('rl/base')));
    rl.push(rlCurve(main, POLICIES[0]!, 0.05, { klScale, goldShift: options.penaltyGoldShift ?? 0 }, rng.fork('rl/penalised')));
    if ((options.policySizes ?? 1) >= 2) rl.push(rlCurve(main, POLICIES[1]!, 0, { klScale, start: 0.3, gainScale: 0.7 }, rng.fork('rl/large')));
  }
  const regressional = (options.regressional ?? true) ? regressionalCheck(options.regressionalPeak ?? false, rng.fork('regressional')) : null;
  const input: FitInput = {
    preset: 'fixture',
    goldKind: 'lexicon',
    proxies,
    policies: rl.length > 0 ? POLICIES.slice(0, options.policySizes ?? 1) : [],
    bon,
    rl,
    regressional,
    options: { bootstrapResamples: 200, confidence: 0.95, extrapolationFraction: 0.7, seed: 7 },
  };
  return { input, results: fitAll(input) };
}

function proxyInfo(size: string, parameters: number, comparisons: number, seed: number): ProxyInfo {
  const L = Math.log10(parameters / 3e6);
  // Few comparisons: near chance whatever the size; many: loss falls with size.
  const validationLoss = comparisons <= 1000 ? 0.688 - 0.003 * L : 0.6 - 0.05 * L;
  return {
    cell: `${size}-n${comparisons}-s${seed}`,
    size,
    parameters,
    comparisons,
    seed,
    validationLoss,
    validationAccuracy: 0.5 + (0.693 - validationLoss) * 2,
  };
}

/** The paper's logarithmic trends (paper-notes §4), weakened for the small comparisons count. */
function bonCoefficients(proxy: ProxyInfo, betaScale: number): { alpha: number; beta: number } {
  const L = Math.log10(proxy.parameters / 3e6);
  const few = proxy.comparisons <= 1000;
  return { alpha: (0.45 + 0.09 * L) * (few ? 0.7 : 1), beta: (0.16 - 0.035 * L) * (few ? 1.25 : 1) * betaScale };
}

export function bonKl(n: number): number {
  return Math.log(n) - (n - 1) / n;
}

/** Per-prompt values around `center` (a fixed prompt effect plus independent noise) and their 95% normal interval. */
function promptValues(center: number, promptEffect: Float64Array, noise: number, rng: Rng): { values: Float64Array; interval: Interval } {
  const values = new Float64Array(promptEffect.length);
  for (let p = 0; p < values.length; p++) values[p] = center + promptEffect[p]! + noise * rng.normal();
  return { values, interval: meanInterval(values) };
}

function meanInterval(values: Float64Array): Interval {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const se = Math.sqrt(ss / (values.length - 1) / values.length);
  return { mean, low: mean - Z95 * se, high: mean + Z95 * se };
}

function promptEffects(rng: Rng, scale: number): Float64Array {
  const effects = new Float64Array(PROMPTS);
  for (let p = 0; p < PROMPTS; p++) effects[p] = scale * rng.normal();
  // Centre them so the curves start at 0 as the paper's normalisation makes them.
  const mean = effects.reduce((a, b) => a + b, 0) / PROMPTS;
  for (let p = 0; p < PROMPTS; p++) effects[p] = effects[p]! - mean;
  return effects;
}

export function bonCurve(proxy: ProxyInfo, c: { alpha: number; beta: number }, rng: Rng): BonCurve {
  const effects = promptEffects(rng, 0.3);
  const perPromptGold: Float64Array[] = [];
  const points = N_GRID.map((n) => {
    const kl = bonKl(n);
    const d = Math.sqrt(kl);
    const gold = promptValues(d * (c.alpha - c.beta * d), effects, n === 1 ? 0 : 0.25, rng);
    perPromptGold.push(gold.values);
    // Proxy keeps rising, faster for larger and better-trained RMs (they are more confident).
    const proxyMean = (0.9 + 0.15 * Math.log10(proxy.parameters / 3e6) + (proxy.comparisons > 1000 ? 0.2 : 0)) * d + 0.02 * d * d;
    // The fixture's gold is a lexicon-like gold: the human score equals it.
    return { n, kl, d, gold: gold.interval, human: gold.interval, proxy: { mean: proxyMean, low: proxyMean - 0.05, high: proxyMean + 0.05 } };
  });
  return { proxy, points, perPromptGold, perPromptHuman: perPromptGold };
}

interface RlShape {
  klScale: number;
  goldShift?: number;
  /** Gold at step 0 (a larger policy starts higher). */
  start?: number;
  /** Multiplies the gain over the start (a larger policy gains less). */
  gainScale?: number;
}

export function rlCurve(proxy: ProxyInfo, policy: PolicyInfo, klCoefficient: number, shape: RlShape, rng: Rng): RlCurve {
  const effects = promptEffects(rng, 0.3);
  const perPromptGold: Float64Array[] = [];
  const perPromptKl: Float64Array[] = [];
  const lastStep = RL_STEPS[RL_STEPS.length - 1]!;
  const points = RL_STEPS.map((step) => {
    // Unpenalised KL grows quadratically in steps to 144 nats; a penalty makes it saturate near 30 nats.
    const klTrue = klCoefficient > 0 ? 30 * (1 - Math.exp(-step / 60)) : 144 * (step / lastStep) ** 2;
    const dTrue = Math.sqrt(klTrue);
    const frontier = dTrue > 0 ? dTrue * (RL_ALPHA - RL_BETA * Math.log(dTrue)) : 0;
    const center = (shape.start ?? 0) + (shape.gainScale ?? 1) * frontier + (step > 0 ? (shape.goldShift ?? 0) : 0);
    const gold = promptValues(center, effects, step === 0 ? 0 : 0.3, rng);
    perPromptGold.push(gold.values);
    const kl = klTrue * shape.klScale;
    perPromptKl.push(Float64Array.from({ length: PROMPTS }, () => kl * (1 + 0.1 * rng.normal())));
    const proxyMean = (0.5 * dTrue + 0.01 * klTrue) * (klCoefficient > 0 ? 1.08 : 1) + (klCoefficient > 0 && step > 0 ? 0.05 : 0);
    return {
      step,
      kl: { mean: kl, low: kl * 0.95, high: kl * 1.05 },
      klEstimators: {
        k1: { mean: kl * 1.01, low: kl * 0.9, high: kl * 1.1 },
        k2: { mean: kl * 0.9, low: kl * 0.85, high: kl * 0.95 },
        k3: { mean: kl * 0.97, low: kl * 0.9, high: kl * 1.04 },
        exact: { mean: kl, low: kl * 0.95, high: kl * 1.05 },
      },
      k1Negative: kl === 0 ? 0 : 0.1,
      d: Math.sqrt(kl),
      gold: gold.interval,
      human: gold.interval,
      proxy: { mean: proxyMean, low: proxyMean - 0.06, high: proxyMean + 0.06 },
    };
  });
  return {
    run: `${proxy.cell}-kl${klCoefficient}-${policy.size}`,
    proxy,
    policy,
    klCoefficient,
    points,
    perPromptKl,
    perPromptGold,
    perPromptHuman: perPromptGold,
  };
}

/** Standard normal CDF via the Abramowitz–Stegun erf approximation (|error| < 1.5e-7): plenty for a fixture. */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** E[max of n standard normals] = ∫ x·n·φ(x)·Φ(x)^(n−1) dx, by the midpoint rule on [−8, 8]. */
export function expectedMaxOfNormals(n: number): number {
  const steps = 4000;
  const h = 16 / steps;
  let total = 0;
  for (let i = 0; i < steps; i++) {
    const x = -8 + (i + 0.5) * h;
    total += ((x * n * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI)) * normalCdf(x) ** (n - 1) * h;
  }
  return total;
}

function regressionalCheck(peak: boolean, rng: Rng): RegressionalCheck {
  const rho = 0.7;
  const goldStd = 1;
  const noiseStd = goldStd * Math.sqrt(1 / (rho * rho) - 1);
  const points = N_GRID.map((n) => {
    const d = Math.sqrt(bonKl(n));
    const predicted = rho * goldStd * expectedMaxOfNormals(n);
    // The peaked variant: a proxy error growing off-distribution drags gold down past d = 1.5 (extremal Goodhart).
    const mean = predicted + 0.02 * rng.normal() - (peak ? 0.9 * Math.max(0, d - 1.5) ** 2 : 0);
    return { n, d, gold: { mean, low: mean - 0.06, high: mean + 0.06 }, predicted };
  });
  return { rho, goldStd, noiseStd, points };
}

/** Least squares through the origin on two columns, with standard errors and R² (about the mean). */
function fitTwo(rows: readonly { x1: number; x2: number; y: number }[]): { a: number; b: number; seA: number; seB: number; r2: number } {
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (const r of rows) {
    s11 += r.x1 * r.x1;
    s12 += r.x1 * r.x2;
    s22 += r.x2 * r.x2;
    s1y += r.x1 * r.y;
    s2y += r.x2 * r.y;
  }
  const det = s11 * s22 - s12 * s12;
  const a = (s22 * s1y - s12 * s2y) / det;
  const b = (s11 * s2y - s12 * s1y) / det;
  const meanY = rows.reduce((acc, r) => acc + r.y, 0) / rows.length;
  let rss = 0;
  let tss = 0;
  for (const r of rows) {
    rss += (r.y - a * r.x1 - b * r.x2) ** 2;
    tss += (r.y - meanY) ** 2;
  }
  const sigma2 = rss / Math.max(rows.length - 2, 1);
  return { a, b, seA: Math.sqrt((sigma2 * s22) / det), seB: Math.sqrt((sigma2 * s11) / det), r2: 1 - rss / tss };
}

type Form = 'bon' | 'rl';

function design(form: Form, d: number): { x1: number; x2: number } {
  return form === 'bon' ? { x1: d, x2: -d * d } : { x1: d, x2: -d * Math.log(d) };
}

function predict(form: Form, alpha: number, beta: number, d: number): number {
  if (d <= 0) return 0;
  return form === 'bon' ? d * (alpha - beta * d) : d * (alpha - beta * Math.log(d));
}

export function fitCurve(
  form: Form,
  name: string,
  proxy: ProxyInfo,
  policy: PolicyInfo | null,
  klCoefficient: number | null,
  points: readonly { d: number; gold: Interval }[],
  extrapolationFraction: number,
): CurveFit {
  const usable = points.filter((p) => form === 'bon' || p.d > 0);
  const rows = usable.map((p) => ({ ...design(form, p.d), y: p.gold.mean }));
  const f = fitTwo(rows);
  const alpha = { mean: f.a, low: f.a - Z95 * f.seA, high: f.a + Z95 * f.seA };
  const beta = { mean: f.b, low: f.b - Z95 * f.seB, high: f.b + Z95 * f.seB };
  let peak: CurveFit['peak'] = null;
  if (f.b > 0) {
    const d = form === 'bon' ? f.a / (2 * f.b) : Math.exp(f.a / f.b - 1);
    peak = { d, gold: form === 'bon' ? (f.a * f.a) / (4 * f.b) : f.b * d };
  }
  const maxD = Math.max(...usable.map((p) => p.d));
  const cut = extrapolationFraction * maxD;
  const head = usable.filter((p) => p.d <= cut);
  const tail = usable.filter((p) => p.d > cut);
  let extrapolation: CurveFit['extrapolation'] = null;
  if (head.length >= 2 && tail.length >= 2) {
    const h = fitTwo(head.map((p) => ({ ...design(form, p.d), y: p.gold.mean })));
    const errors = tail.map((p) => predict(form, h.a, h.b, p.d) - p.gold.mean);
    extrapolation = {
      fitUpToD: cut,
      fittedPoints: head.length,
      predictedPoints: tail.length,
      rmse: Math.sqrt(errors.reduce((acc, e) => acc + e * e, 0) / errors.length),
      maxAbsError: Math.max(...errors.map(Math.abs)),
    };
  }
  return { method: form, curve: name, proxy, policy, klCoefficient, alpha, beta, r2: f.r2, points: usable.length, peak, extrapolation };
}

function line(points: { x: number; y: number; curve: string }[]): { slope: number; slopeLow: number; slopeHigh: number; intercept: number; r2: number } {
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
    syy += (p.y - my) ** 2;
  }
  const slope = sxy / sxx;
  // The findings regress the fits' coefficients themselves; the scaling lines here are only for the report.
  return { slope, slopeLow: Number.NaN, slopeHigh: Number.NaN, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}

function fitAll(input: FitInput): FitResults {
  const f = input.options.extrapolationFraction;
  const bon = input.bon.map((c) => fitCurve('bon', c.proxy.cell, c.proxy, null, null, c.points, f));
  const rl = input.rl.map((r) => fitCurve('rl', r.run, r.proxy, r.policy, r.klCoefficient, r.points, f));
  const scaling: ScalingFit[] = [];
  for (const coefficient of ['alpha', 'beta'] as const) {
    const value = (fit: CurveFit): number => (coefficient === 'alpha' ? fit.alpha.mean : fit.beta.mean);
    for (const count of COMPARISONS) {
      const points = bon.filter((b) => b.proxy.comparisons === count).map((b) => ({ x: Math.log10(b.proxy.parameters), y: value(b), curve: b.curve }));
      scaling.push({ method: 'bon', coefficient, against: 'log10_parameters', slice: `comparisons=${count}`, ...line(points), points });
    }
    for (const s of RM_SIZES) {
      const points = bon.filter((b) => b.proxy.size === s.size).map((b) => ({ x: Math.log(b.proxy.comparisons), y: value(b), curve: b.curve }));
      scaling.push({ method: 'bon', coefficient, against: 'ln_comparisons', slice: `size=${s.size}`, ...line(points), points });
    }
  }
  return { bon, rl, rlSharedAlpha: [], scaling, unfitted: [] };
}
