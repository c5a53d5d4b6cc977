import { describe, expect, it } from 'vitest';
import { scalingFits, type CurveFit, type Method, type ScalingFit } from '../src/index.ts';

const SIZES = [
  { size: 'xs', parameters: 1e5 },
  { size: 's', parameters: 4e5 },
  { size: 'm', parameters: 1.6e6 },
];

function interval(value: number): CurveFit['alpha'] {
  return { mean: value, low: value - 0.01, high: value + 0.01 };
}

/** A fit whose coefficients follow exact lines: α = 0.4 + 0.065·log10 N + 0.02·ln C, β = 0.3 − 0.011·log10 N − 0.01·ln C. */
function makeFit(method: Method, sizeIndex: number, comparisons: number, extra: { seed?: number; policy?: string; kl?: number } = {}): CurveFit {
  const { size, parameters } = SIZES[sizeIndex]!;
  const seed = extra.seed ?? 0;
  const log10N = Math.log10(parameters);
  const lnC = Math.log(comparisons);
  const cell = `${size}-n${comparisons}-s${seed}`;
  const policy = method === 'rl' ? { size: extra.policy ?? 'm', parameters: extra.policy === 'l' ? 2e6 : 5e5 } : null;
  return {
    method,
    curve: method === 'rl' ? `${cell}-kl${extra.kl ?? 0}-${policy!.size}` : cell,
    proxy: { cell, size, parameters, comparisons, seed, validationLoss: 0.6, validationAccuracy: 0.7 },
    policy,
    klCoefficient: method === 'rl' ? (extra.kl ?? 0) : null,
    alpha: interval(0.4 + 0.065 * log10N + 0.02 * lnC),
    beta: interval(0.3 - 0.011 * log10N - 0.01 * lnC),
    r2: 0.99,
    points: 10,
    peak: null,
    extrapolation: null,
  };
}

function find(fits: ScalingFit[], method: Method, coefficient: 'alpha' | 'beta', against: ScalingFit['against'], slice: string): ScalingFit {
  const match = fits.filter((f) => f.method === method && f.coefficient === coefficient && f.against === against && f.slice === slice);
  expect(match).toHaveLength(1);
  return match[0]!;
}

describe('scalingFits', () => {
  it('recovers the slopes against log10(parameters) and ln(comparisons) from synthetic coefficients', () => {
    const bon = [0, 1, 2].flatMap((s) => [1000, 4000].map((c) => makeFit('bon', s, c)));
    const fits = scalingFits(bon, [], 0.95);
    for (const slice of ['comparisons=1000 seed=0', 'comparisons=4000 seed=0']) {
      const alpha = find(fits, 'bon', 'alpha', 'log10_parameters', slice);
      expect(alpha.slope).toBeCloseTo(0.065, 12);
      expect(alpha.r2).toBeCloseTo(1, 12);
      expect(alpha.points.map((p) => p.x)).toEqual([5, Math.log10(4e5), Math.log10(1.6e6)]);
      expect(find(fits, 'bon', 'beta', 'log10_parameters', slice).slope).toBeCloseTo(-0.011, 12);
    }
    const alphaXs = find(fits, 'bon', 'alpha', 'ln_comparisons', 'size=xs seed=0');
    expect(alphaXs.slope).toBeCloseTo(0.02, 12);
    // Intercept at ln C = 0: 0.4 + 0.065·5.
    expect(alphaXs.intercept).toBeCloseTo(0.4 + 0.065 * 5, 12);
    expect(find(fits, 'bon', 'beta', 'ln_comparisons', 'size=m seed=0').slope).toBeCloseTo(-0.01, 12);
    // 2 parameter slices + 3 comparison slices, α and β each.
    expect(fits).toHaveLength(10);
    expect(fits.filter((f) => f.against === 'log10_parameters').map((f) => f.slice)).toEqual([
      'comparisons=1000 seed=0',
      'comparisons=1000 seed=0',
      'comparisons=4000 seed=0',
      'comparisons=4000 seed=0',
    ]);
  });

  it('holds the seed fixed and skips slices with a single x', () => {
    const bon = [makeFit('bon', 0, 1000), makeFit('bon', 1, 1000, { seed: 1 }), makeFit('bon', 2, 1000, { seed: 1 })];
    const fits = scalingFits(bon, [], 0.95);
    expect(fits.map((f) => f.slice)).toEqual(['comparisons=1000 seed=1', 'comparisons=1000 seed=1']);
    expect(fits[0]!.points.map((p) => p.curve)).toEqual(['s-n1000-s1', 'm-n1000-s1']);
  });

  it('for RL, uses only KL coefficient 0 runs and also holds the policy fixed', () => {
    const rl = [
      ...[0, 1, 2].map((s) => makeFit('rl', s, 4000)),
      // A KL-penalised sweep must not enter, even though it alone would form a valid slice.
      ...[0, 1, 2].map((s) => makeFit('rl', s, 4000, { kl: 0.1 })),
      ...[0, 2].map((s) => makeFit('rl', s, 4000, { policy: 'l' })),
    ];
    const fits = scalingFits([], rl, 0.95);
    expect(fits.every((f) => f.points.every((p) => p.curve.includes('-kl0-')))).toBe(true);
    const m = find(fits, 'rl', 'beta', 'log10_parameters', 'comparisons=4000 seed=0 policy=m');
    expect(m.slope).toBeCloseTo(-0.011, 12);
    expect(m.points).toHaveLength(3);
    expect(find(fits, 'rl', 'alpha', 'log10_parameters', 'comparisons=4000 seed=0 policy=l').points).toHaveLength(2);
    expect(fits.filter((f) => f.against === 'ln_comparisons')).toHaveLength(0);
  });
});
