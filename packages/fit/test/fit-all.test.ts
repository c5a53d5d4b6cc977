import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { fitAll, type BonCurve, type FitInput, type Interval, type ProxyInfo, type RlCurve } from '../src/index.ts';
import { BON_D, RL_D, syntheticBonPrompts, syntheticRlPrompts } from './synthetic-curves.ts';

const SIZES = [
  { size: 'xs', parameters: 1e5 },
  { size: 's', parameters: 4e5 },
  { size: 'm', parameters: 1.6e6 },
];
const COMPARISONS = [1000, 2000, 4000];
const POLICIES = { m: { size: 'm', parameters: 5e5 }, l: { size: 'l', parameters: 2e6 } };

function proxy(sizeIndex: number, comparisons: number): ProxyInfo {
  const { size, parameters } = SIZES[sizeIndex]!;
  const cell = `${size}-n${comparisons}-s0`;
  return { cell, size, parameters, comparisons, seed: 0, validationLoss: 0.6, validationAccuracy: 0.7 };
}

/** The points' summary fields are not what the fits read; they only need to be well-formed. */
function flat(value: number): Interval {
  return { mean: value, low: value, high: value };
}

function bonCurve(rng: Rng, sizeIndex: number, comparisons: number, prompts: number): BonCurve {
  // Bigger RMs: higher α, lower β (finding 3), so the scaling fits have a sign to get right.
  const alpha = 0.4 + 0.08 * sizeIndex;
  const beta = 0.15 - 0.02 * sizeIndex;
  const perPromptGold = syntheticBonPrompts(rng, alpha, beta, prompts);
  return {
    proxy: proxy(sizeIndex, comparisons),
    points: BON_D.map((d, j) => ({ n: 2 ** j, kl: d * d, d, gold: flat(0), human: flat(0), proxy: flat(0) })),
    perPromptGold,
    perPromptHuman: perPromptGold,
  };
}

function rlCurve(rng: Rng, sizeIndex: number, klCoefficient: number, policy: 'm' | 'l', prompts: number): RlCurve {
  const p = proxy(sizeIndex, 4000);
  const data = syntheticRlPrompts(rng, 0.55, 0.25 - 0.04 * sizeIndex, prompts);
  return {
    run: `${p.cell}-kl${klCoefficient}-${policy}`,
    proxy: p,
    policy: POLICIES[policy],
    klCoefficient,
    points: RL_D.map((d, j) => ({
      step: j * 10,
      kl: flat(d * d),
      klEstimators: { k1: flat(d * d), k2: flat(d * d), k3: flat(d * d), exact: flat(d * d) },
      k1Negative: 0,
      d,
      gold: flat(0),
      human: flat(0),
      proxy: flat(0),
    })),
    ...data,
    perPromptHuman: data.perPromptGold,
  };
}

/** About the size of the quick preset: 9 BoN curves × 11 points × 32 prompts, 5 RL runs × 10 points. */
function quickInput(seed: number): FitInput {
  const rng = Rng.fromSeed(seed, 'fit/test/fit-all');
  const proxies = SIZES.flatMap((_, s) => COMPARISONS.map((c) => proxy(s, c)));
  return {
    preset: 'test',
    goldKind: 'lexicon',
    proxies,
    policies: Object.values(POLICIES),
    bon: SIZES.flatMap((_, s) => COMPARISONS.map((c) => bonCurve(rng, s, c, 32))),
    rl: [...[0, 1, 2].map((s) => rlCurve(rng, s, 0, 'm', 64)), rlCurve(rng, 2, 0.1, 'm', 64), rlCurve(rng, 2, 0, 'l', 64)],
    regressional: null,
    options: { bootstrapResamples: 1000, confidence: 0.95, extrapolationFraction: 0.6, seed: 11 },
  };
}

describe('fitAll', () => {
  const input = quickInput(1);
  const results = fitAll(input);

  it('fits every curve with intervals, peaks and an extrapolation check', () => {
    expect(results.bon.map((f) => f.curve)).toEqual(input.bon.map((c) => c.proxy.cell));
    expect(results.rl.map((f) => f.curve)).toEqual(input.rl.map((c) => c.run));
    for (const fit of [...results.bon, ...results.rl]) {
      expect(fit.alpha.low).toBeLessThan(fit.alpha.mean);
      expect(fit.alpha.high).toBeGreaterThan(fit.alpha.mean);
      expect(fit.beta.low).toBeLessThan(fit.beta.high);
      expect(fit.extrapolation).not.toBeNull();
    }
    expect(results.bon.every((f) => f.method === 'bon' && f.policy === null && f.klCoefficient === null)).toBe(true);
    expect(results.bon.every((f) => f.points === BON_D.length)).toBe(true);
    // RL drops the step-0 point (d = 0).
    expect(results.rl.every((f) => f.points === RL_D.length - 1)).toBe(true);
    expect(results.rl.every((f) => f.peak !== null && f.peak.d > 0)).toBe(true);
  });

  it('fits gains over each curve’s start: a per-prompt offset moves the baseline, not α or β', () => {
    const shifted: FitInput = {
      ...input,
      // A second policy that starts 0.7 higher on every prompt (and the BoN pool 0.7 higher): same gains.
      bon: input.bon.map((c) => ({ ...c, perPromptGold: c.perPromptGold.map((row) => row.map((g) => g + 0.7)) })),
      rl: input.rl.map((c) => ({ ...c, perPromptGold: c.perPromptGold.map((row) => row.map((g) => g + 0.7)) })),
    };
    const moved = fitAll(shifted);
    for (const [before, after] of [...results.bon.map((f, i) => [f, moved.bon[i]!] as const), ...results.rl.map((f, i) => [f, moved.rl[i]!] as const)]) {
      expect(after.alpha.mean).toBeCloseTo(before.alpha.mean, 10);
      expect(after.beta.mean).toBeCloseTo(before.beta.mean, 10);
      expect(after.r2).toBeCloseTo(before.r2, 10);
      expect(after.baseline! - before.baseline!).toBeCloseTo(0.7, 10);
    }
  });

  it('fits one shared α per RM-size sweep (same comparisons, seed, KL coefficient, policy)', () => {
    expect(results.rlSharedAlpha).toHaveLength(1);
    const [group] = results.rlSharedAlpha;
    expect(group!.runs).toEqual(['xs-n4000-s0-kl0-m', 's-n4000-s0-kl0-m', 'm-n4000-s0-kl0-m']);
    expect(group!.betas.map((b) => b.run)).toEqual(group!.runs);
    expect(group!.alpha.low).toBeLessThan(0.55);
    expect(group!.alpha.high).toBeGreaterThan(0.55);
    // β falls with RM size in the synthetic data; the fit should see it.
    const betas = group!.betas.map((b) => b.beta.mean);
    expect(betas[0]!).toBeGreaterThan(betas[1]!);
    expect(betas[1]!).toBeGreaterThan(betas[2]!);
  });

  it('adds the scaling fits: BoN per comparisons and per size, RL per comparisons with kl = 0', () => {
    const bonSlices = results.scaling.filter((f) => f.method === 'bon' && f.coefficient === 'alpha').map((f) => f.slice);
    expect(bonSlices).toEqual([
      'comparisons=1000 seed=0',
      'comparisons=2000 seed=0',
      'comparisons=4000 seed=0',
      'size=xs seed=0',
      'size=s seed=0',
      'size=m seed=0',
    ]);
    const rlSlices = results.scaling.filter((f) => f.method === 'rl' && f.coefficient === 'beta').map((f) => f.slice);
    expect(rlSlices).toEqual(['comparisons=4000 seed=0 policy=m']);
    // The scaling points are the curve fits' point estimates.
    const xsAlpha = results.scaling.find((f) => f.method === 'bon' && f.coefficient === 'alpha' && f.slice === 'size=xs seed=0')!;
    expect(xsAlpha.points.map((p) => p.y)).toEqual(results.bon.filter((f) => f.proxy.size === 'xs').map((f) => f.alpha.mean));
    expect(xsAlpha.points.map((p) => p.x)).toEqual(COMPARISONS.map(Math.log));
  });

  it('is deterministic and does not depend on the order of the curves', () => {
    const again = fitAll({ ...input, bon: [...input.bon].reverse(), rl: [...input.rl].reverse() });
    expect([...again.bon].reverse()).toEqual(results.bon);
    expect([...again.rl].reverse()).toEqual(results.rl);
    expect(again.rlSharedAlpha).toEqual(results.rlSharedAlpha);
    expect(again.scaling).toEqual(results.scaling);
  });

  it('reports a curve it cannot fit, with why, and fits every other curve (issue 12)', () => {
    const broken = quickInput(2);
    // A PPO run whose only positive-KL point is one: the RL form needs two.
    const run = broken.rl[0]!;
    run.perPromptKl = run.perPromptKl.map((row, j) => row.map((kl) => (j === 1 ? Math.abs(kl) + 0.1 : 0)));
    // A best-of-n curve on a one-entry n grid.
    const curve = broken.bon[4]!;
    curve.points = curve.points.slice(0, 1);
    curve.perPromptGold = curve.perPromptGold.slice(0, 1);
    const results = fitAll(broken);
    expect(results.unfitted).toEqual([
      { method: 'bon', curve: curve.proxy.cell, reason: expect.stringMatching(/1 points cannot determine 2 coefficients/) },
      { method: 'rl', curve: run.run, reason: expect.stringMatching(/fitRl: needs at least 2 points with d > 1e-12, got 1/) },
    ]);
    expect(results.bon.map((f) => f.curve)).toEqual(broken.bon.filter((c) => c !== curve).map((c) => c.proxy.cell));
    expect(results.rl.map((f) => f.curve)).toEqual(broken.rl.slice(1).map((r) => r.run));
    // The shared-α sweep goes on without the broken run.
    expect(results.rlSharedAlpha.map((g) => g.runs)).toEqual([['s-n4000-s0-kl0-m', 'm-n4000-s0-kl0-m']]);
  });
});
