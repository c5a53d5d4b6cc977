import { describe, expect, it } from 'vitest';
import { distanceToGain, maxFittedGain } from '../src/gain-distance.ts';

describe('reading a fitted curve sideways', () => {
  it('finds the BoN crossing at the smaller root of βd² − αd + g = 0', () => {
    const [alpha, beta, gain] = [0.5, 0.12, 0.3];
    const root = (alpha - Math.sqrt(alpha * alpha - 4 * beta * gain)) / (2 * beta);
    expect(distanceToGain('bon', alpha, beta, gain, 4)).toBeCloseTo(root, 10);
    // The peak α²/4β ≈ 0.521 within range; unreachable gains and out-of-range peaks are handled.
    expect(maxFittedGain('bon', alpha, beta, 4)).toBeCloseTo((alpha * alpha) / (4 * beta), 12);
    expect(distanceToGain('bon', alpha, beta, 0.6, 4)).toBeUndefined();
    expect(maxFittedGain('bon', alpha, beta, 1)).toBeCloseTo(alpha - beta, 12);
    expect(distanceToGain('bon', alpha, beta, 0.4, 1)).toBeUndefined();
  });

  it('finds the RL crossing where d(α − β ln d) = g, checked by substitution', () => {
    const [alpha, beta, gain] = [0.2, 0.1, 0.2];
    const d = distanceToGain('rl', alpha, beta, gain, 20)!;
    expect(d * (alpha - beta * Math.log(d))).toBeCloseTo(gain, 10);
    // It is the first crossing: the curve is below the gain everywhere before it.
    for (let x = 0.01; x < d - 1e-6; x += 0.01) expect(x * (alpha - beta * Math.log(x))).toBeLessThan(gain);
    // Peak of the RL form: d* = e^(α/β − 1), R* = β d*.
    expect(maxFittedGain('rl', alpha, beta, 20)).toBeCloseTo(beta * Math.exp(alpha / beta - 1), 12);
  });

  it('reaches no gain on a curve that only falls', () => {
    expect(maxFittedGain('bon', -0.2, 0.1, 3)).toBe(0);
    expect(distanceToGain('bon', -0.2, 0.1, 0.01, 3)).toBeUndefined();
  });
});
