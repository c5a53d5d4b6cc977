import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { poolSlopes, type SeedFitRow, type SeedFits } from '../src/index.ts';

/**
 * Finding 3's slopes pooled over pipeline seeds recover known slopes from synthetic fits: α and β drawn as
 * level(seed) + slope · log10(parameters) (+ noise), with levels far apart between seeds, so a pooled line without an
 * intercept per seed would be wrong.
 */
const SIZES = [
  ['xs', 7_300],
  ['s', 30_000],
  ['m', 110_000],
  ['l', 400_000],
  ['xl', 928_000],
] as const;
const COUNTS = [300, 1000, 4000];
const SLOPES = { alpha: 0.08, beta: -0.04, betaRl: -0.03, alphaData: 0.05, betaData: -0.02 };

function synthetic(seed: number, noise: number, rng: Rng): SeedFits {
  const level = { alpha: 0.3 + 0.5 * seed, beta: 0.4 - 0.2 * seed, rl: 0.1 * seed };
  const fits: SeedFitRow[] = [];
  const sharedBeta = new Map<string, number>();
  for (const [size, parameters] of SIZES) {
    const x = Math.log10(parameters);
    for (const comparisons of COUNTS) {
      const ln = Math.log(comparisons);
      const alpha = level.alpha + SLOPES.alpha * x + SLOPES.alphaData * ln + noise * rng.normal();
      const beta = level.beta + SLOPES.beta * x + SLOPES.betaData * ln + noise * rng.normal();
      const peak = alpha / (2 * beta);
      const cell = `${size}-n${comparisons}-s0`;
      fits.push({
        method: 'bon',
        curve: cell,
        rm_size: size,
        rm_parameters: parameters,
        comparisons,
        seed: 0,
        policy: '',
        kl_coefficient: null,
        alpha,
        beta,
        peak_d: peak,
        peak_gold: (alpha * peak) / 2,
      });
      if (comparisons !== 4000) continue;
      for (const [policy, offset] of [
        ['m', 0],
        ['l', 0.3],
      ] as const) {
        const run = `${cell}-kl0-${policy}`;
        // The single-run fit's β has another slope; the shared-α fit's β carries the true one, as finding 3 reads it.
        const shared = level.rl + offset + SLOPES.betaRl * x + noise * rng.normal();
        sharedBeta.set(run, shared);
        fits.push({
          method: 'rl',
          curve: run,
          rm_size: size,
          rm_parameters: parameters,
          comparisons,
          seed: 0,
          policy,
          kl_coefficient: 0,
          alpha: 1,
          beta: shared + x,
          peak_d: null,
          peak_gold: null,
        });
        // A penalised run that must not enter.
        fits.push({
          method: 'rl',
          curve: `${cell}-kl0p1-${policy}`,
          rm_size: size,
          rm_parameters: parameters,
          comparisons,
          seed: 0,
          policy,
          kl_coefficient: 0.1,
          alpha: 1,
          beta: 100 * x,
          peak_d: null,
          peak_gold: null,
        });
      }
    }
  }
  return { seed, fits, sharedBeta };
}

const byName = (seeds: SeedFits[]) => new Map(poolSlopes(seeds, 0.95).slopes.map((s) => [s.name, s]));

describe('poolSlopes', () => {
  it('recovers exact slopes with an intercept per seed, at the largest count with two sizes', () => {
    const rng = Rng.fromSeed(1, 'fit/test/pooled-slopes/exact');
    const pooled = poolSlopes(
      [1, 2, 3].map((seed) => synthetic(seed, 0, rng)),
      0.95,
    );
    expect(pooled.bonComparisons).toBe(4000);
    expect(pooled.rlComparisons).toBe(4000);
    const slopes = new Map(pooled.slopes.map((s) => [s.name, s]));
    expect(slopes.get('alpha_bon')!.estimate!.slope).toBeCloseTo(SLOPES.alpha, 10);
    expect(slopes.get('beta_bon')!.estimate!.slope).toBeCloseTo(SLOPES.beta, 10);
    expect(slopes.get('beta_rl')!.estimate!.slope).toBeCloseTo(SLOPES.betaRl, 10);
    expect(slopes.get('alpha_bon_data')!.estimate!.slope).toBeCloseTo(SLOPES.alphaData, 10);
    expect(slopes.get('beta_bon_data')!.estimate!.slope).toBeCloseTo(SLOPES.betaData, 10);
    // 15 best-of-n points (5 sizes × 3 seeds), 3 intercepts; 30 RL runs (5 sizes × 2 policies × 3 seeds), 6 intercepts.
    expect(slopes.get('alpha_bon')!.estimate).toMatchObject({ points: 15, groups: 3, degreesOfFreedom: 11 });
    expect(slopes.get('beta_rl')!.estimate).toMatchObject({ points: 30, groups: 6, degreesOfFreedom: 23 });
    expect([...slopes.values()].map((s) => s.agrees)).toEqual([true, true, true, true, true]);
  });

  it('covers the true slopes with noisy fits, and its intervals exclude 0', () => {
    const rng = Rng.fromSeed(2, 'fit/test/pooled-slopes/noisy');
    const slopes = byName([1, 2, 3].map((seed) => synthetic(seed, 0.01, rng)));
    for (const [name, truth] of [
      ['alpha_bon', SLOPES.alpha],
      ['beta_bon', SLOPES.beta],
      ['beta_rl', SLOPES.betaRl],
    ] as const) {
      const estimate = slopes.get(name)!.estimate!;
      expect(estimate.low).toBeLessThan(truth);
      expect(estimate.high).toBeGreaterThan(truth);
      expect(slopes.get(name)!.agrees).toBe(true);
    }
  });

  it('says a slope pointing the other way disagrees, and one seed of two sizes has no interval', () => {
    const rng = Rng.fromSeed(3, 'fit/test/pooled-slopes/flipped');
    const flipped = [1, 2].map((seed) => {
      const run = synthetic(seed, 0, rng);
      return { ...run, fits: run.fits.map((row) => ({ ...row, alpha: -row.alpha })) };
    });
    expect(byName(flipped).get('alpha_bon')!.agrees).toBe(false);
    const two = synthetic(1, 0, rng);
    const small = { ...two, fits: two.fits.filter((row) => row.rm_size === 'xs' || row.rm_size === 's') };
    const pooled = poolSlopes([small], 0.95);
    expect(pooled.slopes[0]!.estimate!.degreesOfFreedom).toBe(0);
    expect(pooled.slopes[0]!.agrees).toBeNull();
  });

  it('averages the predicted peaks per size over the seeds and says whether they rise', () => {
    const rng = Rng.fromSeed(4, 'fit/test/pooled-slopes/peaks');
    const pooled = poolSlopes(
      [1, 2].map((seed) => synthetic(seed, 0, rng)),
      0.95,
    );
    expect(pooled.peaks.map((p) => p.size)).toEqual(['xs', 's', 'm', 'l', 'xl']);
    expect(pooled.peaks.every((p) => p.fits === 2)).toBe(true);
    const xs = [1, 2].map((seed) => synthetic(seed, 0, rng).fits.find((row) => row.curve === 'xs-n4000-s0')!.peak_d!);
    expect(pooled.peaks[0]!.d).toBeCloseTo((xs[0]! + xs[1]!) / 2, 12);
    expect(pooled.peaksRise).toBe(pooled.peaks.every((p, i) => i === 0 || p.d > pooled.peaks[i - 1]!.d));
  });
});
