import { describe, expect, it } from 'vitest';
import { curveShape } from '../scripts/tuning/curve-shape.ts';

/** Points of a run whose gold gain (above a raw start of 0.3) follows d(α − β ln d) exactly. */
function rlCurve(alpha: number, beta: number, kls: readonly number[]) {
  return kls.map((kl) => {
    const d = Math.sqrt(kl);
    return { kl, gold: 0.3 + (d > 0 ? d * (alpha - beta * Math.log(d)) : 0) };
  });
}

describe('curveShape: how a PPO tuning run is judged besides its gain', () => {
  it('recovers the RL form of a curve that follows it, after centring on iteration 0', () => {
    const shape = curveShape(rlCurve(0.4, 0.15, [0, 0.2, 1, 3, 8, 20, 45, 80]));
    expect(shape.rlFit?.alpha).toBeCloseTo(0.4, 10);
    expect(shape.rlFit?.beta).toBeCloseTo(0.15, 10);
    expect(shape.rlFit?.r2).toBeCloseTo(1, 10);
    expect(shape.largestKlFall).toBe(0);
  });

  it('measures the largest KL fall against the largest KL reached before it', () => {
    const shape = curveShape(rlCurve(0.4, 0.15, [0, 2, 10, 40, 30, 50, 35]));
    expect(shape.largestKlFall).toBeCloseTo(0.3, 12); // 50 → 35; 40 → 30 is a 25% fall
  });

  it('ignores falls while KL is still below a nat (sampling noise around the initial policy)', () => {
    expect(curveShape(rlCurve(0.4, 0.15, [0, 0.4, 0.1, 2, 10])).largestKlFall).toBe(0);
    expect(curveShape(rlCurve(0.4, 0.15, [0, 0.4, 1, 0.5, 10])).largestKlFall).toBeCloseTo(0.5, 12);
  });

  it('has no fit when fewer than two points have moved from the initial policy', () => {
    expect(
      curveShape([
        { kl: 0, gold: 0.1 },
        { kl: 1, gold: 0.2 },
      ]).rlFit,
    ).toBeNull();
    expect(() => curveShape([])).toThrow(/at least one evaluation/);
  });
});
