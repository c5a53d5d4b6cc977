import { describe, expect, it } from 'vitest';
import { bonPeak, distanceFromKl, fitBon, fitRl, fitRlSharedAlpha, predictBon, predictRl, rlPeak } from '../src/index.ts';

/** d of best-of-n for n = 1, 2, 4, …, 1024 (KL_bon = ln n − (n−1)/n). */
const BON_D = Array.from({ length: 11 }, (_, i) => {
  const n = 2 ** i;
  return Math.sqrt(Math.log(n) - (n - 1) / n);
});
const RL_D = [0.4, 0.9, 1.5, 2.2, 3, 4, 5.5, 7];

/** Largest value of f on a fine grid of d: an independent check of the closed-form peaks. */
function bruteForceMax(f: (d: number) => number, upTo: number): { d: number; gold: number } {
  let best = { d: 0, gold: f(0) };
  for (let i = 1; i <= 1_000_000; i++) {
    const d = (upTo * i) / 1_000_000;
    const gold = f(d);
    if (gold > best.gold) best = { d, gold };
  }
  return best;
}

describe('fitBon', () => {
  it('recovers α and β exactly from noiseless d(α − βd)', () => {
    const gold = BON_D.map((d) => predictBon(0.49, 0.123, d));
    const fit = fitBon(BON_D, gold);
    expect(Math.abs(fit.alpha - 0.49)).toBeLessThan(1e-10);
    expect(Math.abs(fit.beta - 0.123)).toBeLessThan(1e-10);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.points).toBe(11);
  });

  it('names the problem on NaN or mismatched input', () => {
    expect(() => fitBon([1, 2, Number.NaN], [1, 2, 3])).toThrow(/fitBon: d\[2\] must be finite/);
    expect(() => fitBon([1, 2, 3], [1, 2])).toThrow(/fitBon: d and gold must have the same length/);
  });
});

describe('fitRl', () => {
  it('recovers α and β exactly from noiseless d(α − β ln d)', () => {
    const fit = fitRl(
      RL_D,
      RL_D.map((d) => predictRl(0.6, 0.173, d)),
    );
    expect(Math.abs(fit.alpha - 0.6)).toBeLessThan(1e-10);
    expect(Math.abs(fit.beta - 0.173)).toBeLessThan(1e-10);
    expect(fit.points).toBe(RL_D.length);
  });

  it('drops d = 0 (and clamped negative KL) instead of failing on ln 0', () => {
    const d = [distanceFromKl(-0.003), 0, 1e-13, ...RL_D];
    // Garbage gold at the dropped points: if they were used, recovery would not be exact.
    const gold = [5, -5, 7, ...RL_D.map((x) => predictRl(0.6, 0.173, x))];
    const fit = fitRl(d, gold);
    expect(distanceFromKl(-0.003)).toBe(0);
    expect(fit.points).toBe(RL_D.length);
    expect(Math.abs(fit.alpha - 0.6)).toBeLessThan(1e-10);
    expect(Math.abs(fit.beta - 0.173)).toBeLessThan(1e-10);
  });

  it('needs two points with positive d, and rejects a design with only d = 1 (−d ln d is all zeros)', () => {
    expect(() => fitRl([0, 0, 1.5], [0, 0, 1])).toThrow(/at least 2 points with d > 1e-12, got 1/);
    expect(() => fitRl([1, 1, 1], [0.5, 0.6, 0.4])).toThrow(/column 1 is all zeros/);
  });

  it('predicts R(0) = 0 (the limit of d ln d)', () => {
    expect(predictRl(0.6, 0.2, 0)).toBe(0);
    expect(Math.abs(predictRl(0.6, 0.2, 1e-9))).toBeLessThan(1e-8);
  });
});

describe('peaks', () => {
  it('BoN d* = α/2β and R* = α²/4β match a brute-force maximisation', () => {
    const [alpha, beta] = [0.49, 0.123];
    const peak = bonPeak(alpha, beta)!;
    const brute = bruteForceMax((d) => predictBon(alpha, beta, d), 10);
    expect(Math.abs(peak.d - brute.d)).toBeLessThan(1e-4);
    expect(Math.abs(peak.gold - brute.gold)).toBeLessThan(1e-9);
    expect(peak.gold).toBeGreaterThanOrEqual(brute.gold);
  });

  it('RL d* = e^(α/β − 1) and R* = β·d* match a brute-force maximisation, also for α < 0', () => {
    for (const [alpha, beta] of [
      [0.6, 0.173],
      [-0.1, 0.3],
    ] as const) {
      const peak = rlPeak(alpha, beta)!;
      const brute = bruteForceMax((d) => predictRl(alpha, beta, d), 20);
      expect(Math.abs(peak.d - brute.d)).toBeLessThan(1e-4);
      expect(Math.abs(peak.gold - brute.gold)).toBeLessThan(1e-9);
    }
  });

  it('is null when β ≤ 0 (gold never turns down), and for BoN when α ≤ 0 (no peak at d > 0)', () => {
    expect(bonPeak(0.5, 0)).toBeNull();
    expect(bonPeak(0.5, -0.1)).toBeNull();
    expect(bonPeak(-0.2, 0.1)).toBeNull();
    expect(rlPeak(0.5, 0)).toBeNull();
    expect(rlPeak(0.5, -0.1)).toBeNull();
  });
});

describe('fitRlSharedAlpha', () => {
  it('recovers one α and three βs exactly, with curves of different lengths and a d = 0 point', () => {
    const betas = [0.25, 0.2, 0.15];
    const grids = [RL_D, [0, ...RL_D.slice(2)], [0.3, 1, 2, 8, 12]];
    const curves = grids.map((d, c) => ({ d, gold: d.map((x) => predictRl(0.55, betas[c]!, x)) }));
    const fit = fitRlSharedAlpha(curves);
    expect(Math.abs(fit.alpha - 0.55)).toBeLessThan(1e-10);
    betas.forEach((beta, c) => expect(Math.abs(fit.betas[c]! - beta)).toBeLessThan(1e-10));
    expect(fit.points).toEqual([8, 6, 5]);
    fit.r2s.forEach((r2) => expect(r2).toBeCloseTo(1, 12));
  });

  it('differs from separate fits when the curves disagree on α (it really shares α)', () => {
    const a = { d: RL_D, gold: RL_D.map((x) => predictRl(0.4, 0.2, x)) };
    const b = { d: RL_D, gold: RL_D.map((x) => predictRl(0.8, 0.2, x)) };
    const fit = fitRlSharedAlpha([a, b]);
    expect(fit.alpha).toBeGreaterThan(0.4);
    expect(fit.alpha).toBeLessThan(0.8);
    expect(fit.r2s[0]!).toBeLessThan(1 - 1e-6);
  });

  it('rejects a curve with no positive d', () => {
    expect(() =>
      fitRlSharedAlpha([
        { d: RL_D, gold: RL_D },
        { d: [0, 0], gold: [0, 0] },
      ]),
    ).toThrow(/curve 1 has no points with d > 1e-12/);
  });
});
