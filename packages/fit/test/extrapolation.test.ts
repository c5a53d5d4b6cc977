import { describe, expect, it } from 'vitest';
import { extrapolationCheck, predictBon, predictRl } from '../src/index.ts';
import { BON_D, RL_D } from './synthetic-curves.ts';

describe('extrapolationCheck', () => {
  it('predicts the held-out tail of a noiseless BoN curve with ≈ 0 error', () => {
    const gold = BON_D.map((d) => predictBon(0.49, 0.123, d));
    const check = extrapolationCheck('bon', BON_D, gold, 0.7)!;
    const maxD = BON_D[BON_D.length - 1]!;
    expect(check.fitUpToD).toBeCloseTo(0.7 * maxD, 14);
    expect(check.fittedPoints + check.predictedPoints).toBe(BON_D.length);
    expect(check.fittedPoints).toBe(BON_D.filter((d) => d <= 0.7 * maxD).length);
    expect(check.predictedPoints).toBeGreaterThanOrEqual(2);
    expect(check.rmse).toBeLessThan(1e-10);
    expect(check.maxAbsError).toBeLessThan(1e-10);
  });

  it('reports the error when the tail leaves the form fitted on the head', () => {
    const cutoff = 0.7 * BON_D[BON_D.length - 1]!;
    // The true curve drops an extra 0.3 per unit of d beyond the cutoff: the fitted head cannot know.
    const gold = BON_D.map((d) => predictBon(0.49, 0.123, d) - (d > cutoff ? 0.3 * (d - cutoff) : 0));
    const check = extrapolationCheck('bon', BON_D, gold, 0.7)!;
    const largestDeviation = 0.3 * (BON_D[BON_D.length - 1]! - cutoff);
    expect(check.maxAbsError).toBeCloseTo(largestDeviation, 10);
    expect(check.rmse).toBeGreaterThan(0);
    expect(check.rmse).toBeLessThanOrEqual(check.maxAbsError);
  });

  it('drops d = 0 for RL before counting and fitting', () => {
    const gold = RL_D.map((d) => predictRl(0.6, 0.173, d));
    const check = extrapolationCheck('rl', RL_D, gold, 0.5)!;
    // RL_D without 0 is 0.5 … 6.5; the cutoff 3.25 keeps 0.5, 1, 1.6, 2.3, 3 and predicts 3.8 … 6.5.
    expect(check.fitUpToD).toBe(3.25);
    expect(check.fittedPoints).toBe(5);
    expect(check.predictedPoints).toBe(4);
    expect(check.maxAbsError).toBeLessThan(1e-10);
  });

  it('is null when either side has fewer than 2 points', () => {
    const gold = RL_D.map((d) => predictRl(0.6, 0.173, d));
    // Cutoff 0.13 keeps no positive d; cutoff 0.9·6.5 = 5.85 leaves only 6.5 to predict.
    expect(extrapolationCheck('rl', RL_D, gold, 0.02)).toBeNull();
    expect(extrapolationCheck('rl', RL_D, gold, 0.9)).toBeNull();
    expect(extrapolationCheck('rl', RL_D, gold, 1)).toBeNull();
    // Only d = 0 and one more point on the fitted side: the design is singular, so no check.
    expect(extrapolationCheck('bon', [0, 1, 2, 3], [0, 0.4, 0.6, 0.7], 0.4)).toBeNull();
  });
});
