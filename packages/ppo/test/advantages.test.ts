import { describe, expect, it } from 'vitest';
import { generalizedAdvantages, whiten } from '../src/advantages.ts';

describe('generalised advantage estimation', () => {
  it('matches a hand-computed example (γ = 1, λ = 0.95, reward only at the end)', () => {
    // δ2 = 1 + 0 − 0.4 = 0.6                 A2 = 0.6
    // δ1 = 0 + 0.4 − 0.2 = 0.2               A1 = 0.2 + 0.95·0.6 = 0.77
    // δ0 = 0 + 0.2 − 0.5 = −0.3              A0 = −0.3 + 0.95·0.77 = 0.4315
    const { advantages, returns } = generalizedAdvantages([0, 0, 1], [0.5, 0.2, 0.4], 1, 0.95);
    expect(Array.from(advantages)).toEqual([expect.closeTo(0.4315, 12), expect.closeTo(0.77, 12), expect.closeTo(0.6, 12)]);
    expect(Array.from(returns)).toEqual([expect.closeTo(0.9315, 12), expect.closeTo(0.97, 12), expect.closeTo(1.0, 12)]);
  });

  it('matches a hand-computed example with discounting and per-token rewards (γ = 0.9, λ = 0.5)', () => {
    // δ1 = 2 + 0 − 1 = 1                     A1 = 1
    // δ0 = −0.1 + 0.9·1 − 0.3 = 0.5          A0 = 0.5 + 0.45·1 = 0.95
    const { advantages } = generalizedAdvantages([-0.1, 2], [0.3, 1], 0.9, 0.5);
    expect(advantages[0]).toBeCloseTo(0.95, 12);
    expect(advantages[1]).toBeCloseTo(1, 12);
  });

  it('λ = 1 gives Monte Carlo returns minus values; λ = 0 gives one-step TD errors', () => {
    const rewards = [0.2, -0.5, 1.5];
    const values = [0.1, 0.4, -0.3];
    const mc = generalizedAdvantages(rewards, values, 1, 1);
    expect(mc.advantages[0]).toBeCloseTo(1.2 - 0.1, 12);
    expect(mc.returns[1]).toBeCloseTo(1.0, 12);
    const td = generalizedAdvantages(rewards, values, 1, 0);
    expect(td.advantages[0]).toBeCloseTo(0.2 + 0.4 - 0.1, 12);
  });

  it('whitening gives zero mean and unit variance over every token of the batch', () => {
    const rows = whiten([Float64Array.from([1, 2, 3]), Float64Array.from([10])]);
    const all = rows.flatMap((r) => Array.from(r));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
    expect(mean).toBeCloseTo(0, 12);
    expect(variance).toBeCloseTo(1, 6);
  });
});
