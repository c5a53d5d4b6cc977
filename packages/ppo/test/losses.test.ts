import { describe, expect, it } from 'vitest';
import { ppoLoss, type PpoLossInputs } from '../src/losses.ts';

const clip = 0.2;
const valueClip = 0.2;

function inputs(overrides: Partial<PpoLossInputs> & { logProbs: Float32Array }): PpoLossInputs {
  const n = overrides.logProbs.length;
  return {
    oldLogProbs: new Float32Array(n),
    advantages: new Float32Array(n),
    values: new Float32Array(n),
    oldValues: new Float32Array(n),
    returns: new Float32Array(n),
    mask: new Float32Array(n).fill(1),
    clipRange: clip,
    valueClipRange: valueClip,
    valueCoefficient: 1,
    ...overrides,
  };
}

/** The losses written out directly from their definitions, in float64. */
function direct(input: PpoLossInputs): { loss: number; policyLoss: number; valueLoss: number; clipFraction: number } {
  const { logProbs, oldLogProbs, advantages, values, oldValues, returns, mask, clipRange, valueClipRange, valueCoefficient } = input;
  const count = Math.max(
    mask.reduce((a, b) => a + b, 0),
    1,
  );
  let policy = 0;
  let value = 0;
  let clipped = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const ratio = Math.exp(logProbs[i] - oldLogProbs[i]);
    const bounded = Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
    policy += mask[i] * Math.max(-advantages[i] * ratio, -advantages[i] * bounded);
    if (ratio < 1 - clipRange || ratio > 1 + clipRange) clipped += mask[i];
    const clippedValue = oldValues[i] + Math.min(Math.max(values[i] - oldValues[i], -valueClipRange), valueClipRange);
    value += mask[i] * 0.5 * Math.max((values[i] - returns[i]) ** 2, (clippedValue - returns[i]) ** 2);
  }
  return { loss: (policy + valueCoefficient * value) / count, policyLoss: policy / count, valueLoss: value / count, clipFraction: clipped / count };
}

/**
 * Central finite differences of ppoLoss's total loss with respect to each entry of `field`. The step is taken in
 * float32 (the inputs' type), so the divisor is the step actually stored.
 */
function numericGradient(input: PpoLossInputs, field: 'logProbs' | 'values', step = 1e-3): Float64Array {
  const base = input[field];
  return Float64Array.from(base, (_, i) => {
    const at = (delta: number): { loss: number; x: number } => {
      const changed = Float32Array.from(base);
      changed[i] = base[i] + delta;
      return { loss: ppoLoss({ ...input, [field]: changed }).loss, x: changed[i] };
    };
    const plus = at(step);
    const minus = at(-step);
    return (plus.loss - minus.loss) / (plus.x - minus.x);
  });
}

function expectGradientsMatchFiniteDifferences(input: PpoLossInputs): void {
  const result = ppoLoss(input);
  const numericLogProbs = numericGradient(input, 'logProbs');
  const numericValues = numericGradient(input, 'values');
  for (let i = 0; i < input.mask.length; i++) {
    expect(Math.abs(result.dLogProbs[i] - numericLogProbs[i]), `dLogProbs[${i}]: ${result.dLogProbs[i]} vs ${numericLogProbs[i]}`).toBeLessThan(
      1e-5 + 1e-3 * Math.abs(numericLogProbs[i]),
    );
    expect(Math.abs(result.dValues[i] - numericValues[i]), `dValues[${i}]: ${result.dValues[i]} vs ${numericValues[i]}`).toBeLessThan(
      1e-5 + 1e-3 * Math.abs(numericValues[i]),
    );
  }
}

describe('ppoLoss: clipped surrogate', () => {
  // ratios 1.5, 1.5, 0.5, 0.5, 1.1 with advantages +1, −1, −1, +1, +1
  const logRatios = Float32Array.from([Math.log(1.5), Math.log(1.5), Math.log(0.5), Math.log(0.5), Math.log(1.1)]);
  const advantages = Float32Array.from([1, -1, -1, 1, 1]);

  it('has zero policy gradient exactly where the ratio is clipped in the direction of the advantage', () => {
    const { dLogProbs, policyLoss, clipFraction } = ppoLoss(inputs({ logProbs: logRatios, advantages }));
    // ratio 1.5 > 1.2 with A > 0, and ratio 0.5 < 0.8 with A < 0: the clipped term wins, no gradient.
    expect(dLogProbs[0]).toBe(0);
    expect(dLogProbs[2]).toBe(0);
    // Otherwise d/dlogπ of −A·ρ/5 = −A·ρ/5 (mean over 5 tokens).
    expect(dLogProbs[1]).toBeCloseTo((1 * 1.5) / 5, 6);
    expect(dLogProbs[3]).toBeCloseTo((-1 * 0.5) / 5, 6);
    expect(dLogProbs[4]).toBeCloseTo((-1 * 1.1) / 5, 6);
    // max(−A·ρ, −A·clip(ρ)): −1.2, 1.5, 0.8, −0.5, −1.1
    expect(policyLoss).toBeCloseTo((-1.2 + 1.5 + 0.8 - 0.5 - 1.1) / 5, 6);
    // four of the five ratios lie outside [0.8, 1.2]
    expect(clipFraction).toBeCloseTo(4 / 5, 12);
  });

  it('masks tokens out of the mean and the gradient', () => {
    const mask = Float32Array.from([1, 1, 0, 0, 1]);
    const result = ppoLoss(inputs({ logProbs: logRatios, advantages, mask }));
    expect(result.dLogProbs[3]).toBe(0);
    expect(result.dLogProbs[2]).toBe(0);
    expect(result.dLogProbs[4]).toBeCloseTo((-1 * 1.1) / 3, 6);
    expect(result.dLogProbs[1]).toBeCloseTo((1 * 1.5) / 3, 6);
    expect(result.policyLoss).toBeCloseTo((-1.2 + 1.5 - 1.1) / 3, 6);
    expect(result.clipFraction).toBeCloseTo(2 / 3, 12);
  });

  it('value loss: ½·max of the unclipped and clipped squared errors', () => {
    const result = ppoLoss(
      inputs({
        logProbs: new Float32Array(2),
        values: Float32Array.from([1.0, 0.05]),
        oldValues: Float32Array.from([0, 0]),
        returns: Float32Array.from([2, 1]),
      }),
    );
    // token 0: unclipped (1−2)² = 1, clipped (0.2−2)² = 3.24 → 3.24; token 1: (0.05−1)² = 0.9025 both ways.
    expect(result.valueLoss).toBeCloseTo(0.5 * ((3.24 + 0.9025) / 2), 6);
    // token 0's clipped value does not move with V: no gradient; token 1: (V − R)/2
    expect(result.dValues[0]).toBe(0);
    expect(result.dValues[1]).toBeCloseTo((0.05 - 1) / 2, 6);
  });
});

describe('ppoLoss against its definition and finite differences', () => {
  /**
   * Every region of both losses, each at least 0.01 away from a kink (so a 1e-3 finite difference stays inside it):
   * policy — inside the clip range (A > 0, A < 0, A = 0), clipped (A > 0 with ρ > 1+ε, A < 0 with ρ < 1−ε: no
   * gradient), and outside but unclipped (A > 0 with ρ < 1−ε, A < 0 with ρ > 1+ε); value — inside the clip range,
   * clipped and larger (no gradient), and outside the range with the unclipped error larger.
   */
  const cases = {
    logRatio: [0.05, -0.1, 0.3, -0.4, 0.5, -0.5, 0.6, 0.02, -0.02],
    advantage: [1.3, -0.7, 0.9, -1.1, -0.8, 0.6, 0, 2, -2],
    oldLogProb: [-2.1, -0.4, -3, -1.2, -0.9, -2.5, -1.7, -0.2, -4],
    value: [0.1, -0.5, 1.0, 0.4, -0.9, -0.6, 2.0, -1.5, 0.3],
    oldValue: [0, -0.4, 0, 0.1, 0.1, 0, 1.5, -1.0, 0.2],
    return: [0.5, 0.3, 2, -3, 1, -1, 0.1, -1.2, 0.35],
  };
  const n = cases.logRatio.length;
  const base = (): PpoLossInputs => {
    const oldLogProbs = Float32Array.from(cases.oldLogProb);
    return {
      logProbs: Float32Array.from(cases.logRatio, (r, i) => oldLogProbs[i] + r),
      oldLogProbs,
      advantages: Float32Array.from(cases.advantage),
      values: Float32Array.from(cases.value),
      oldValues: Float32Array.from(cases.oldValue),
      returns: Float32Array.from(cases.return),
      mask: new Float32Array(n).fill(1),
      clipRange: clip,
      valueClipRange: valueClip,
      valueCoefficient: 0.1,
    };
  };

  it('the cases cover every region, with the clipped ones carrying no gradient', () => {
    const input = base();
    const result = ppoLoss(input);
    const ratios = cases.logRatio.map(Math.exp);
    const outside = ratios.map((r) => r < 1 - clip - 0.01 || r > 1 + clip + 0.01);
    const inside = ratios.map((r) => r > 1 - clip + 0.01 && r < 1 + clip - 0.01);
    expect(outside.map((o, i) => o || inside[i]).every(Boolean)).toBe(true); // no ratio near a kink
    const policyClipped = ratios.map((r, i) => (cases.advantage[i] > 0 && r > 1 + clip) || (cases.advantage[i] < 0 && r < 1 - clip));
    const policyOutsideUnclipped = ratios.map((_, i) => outside[i] && !policyClipped[i] && cases.advantage[i] !== 0);
    expect(policyClipped.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(policyOutsideUnclipped.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    policyClipped.forEach((isClipped, i) => {
      if (isClipped) expect(result.dLogProbs[i], `token ${i}`).toBe(0);
      else if (cases.advantage[i] !== 0) expect(result.dLogProbs[i], `token ${i}`).not.toBe(0);
    });
    const valueClipped = cases.value.map((v, i) => {
      const c = cases.oldValue[i] + Math.min(Math.max(v - cases.oldValue[i], -valueClip), valueClip);
      return (c - cases.return[i]) ** 2 > (v - cases.return[i]) ** 2;
    });
    const valueOutsideUnclipped = cases.value.map((v, i) => Math.abs(v - cases.oldValue[i]) > valueClip && !valueClipped[i]);
    expect(valueClipped.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(valueOutsideUnclipped.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    valueClipped.forEach((isClipped, i) => {
      if (isClipped) expect(result.dValues[i], `token ${i}`).toBe(0);
      else expect(result.dValues[i], `token ${i}`).toBeCloseTo((0.1 * (cases.value[i] - cases.return[i])) / n, 6);
    });
  });

  it('values equal the direct formula', () => {
    const input = base();
    const result = ppoLoss(input);
    const expected = direct(input);
    expect(result.policyLoss).toBeCloseTo(expected.policyLoss, 10);
    expect(result.valueLoss).toBeCloseTo(expected.valueLoss, 10);
    expect(result.clipFraction).toBeCloseTo(expected.clipFraction, 12);
    expect(result.loss).toBeCloseTo(expected.loss, 10);
    expect(result.loss).toBeCloseTo(result.policyLoss + 0.1 * result.valueLoss, 12);
  });

  it('gradients equal central finite differences of the loss, clipped regions included', () => {
    expectGradientsMatchFiniteDifferences(base());
    // and with the value loss weighted up, so the value gradient dominates
    expectGradientsMatchFiniteDifferences({ ...base(), valueCoefficient: 2.5 });
  });

  it('masked tokens change neither the loss nor any gradient, whatever they hold', () => {
    const input = base();
    const mask = Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1));
    const masked = { ...input, mask };
    const result = ppoLoss(masked);
    const expected = direct(masked);
    expect(result.loss).toBeCloseTo(expected.loss, 10);
    expect(result.clipFraction).toBeCloseTo(expected.clipFraction, 12);
    // garbage in the masked slots (pad columns) does not matter
    const garbage = (array: Float32Array): Float32Array => array.map((v, i) => (mask[i] === 0 ? 40 : v));
    const noisy = ppoLoss({
      ...masked,
      logProbs: garbage(input.logProbs),
      values: garbage(input.values),
      advantages: garbage(input.advantages),
      returns: garbage(input.returns),
    });
    expect(noisy.loss).toBe(result.loss);
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) {
        expect(result.dLogProbs[i]).toBe(0);
        expect(result.dValues[i]).toBe(0);
      }
      expect(noisy.dLogProbs[i]).toBe(result.dLogProbs[i]);
      expect(noisy.dValues[i]).toBe(result.dValues[i]);
    }
    // the mean is over the unmasked tokens
    const kept = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i] === 1);
    const sub = (array: Float32Array): Float32Array => Float32Array.from(kept, (i) => array[i]);
    const compact = ppoLoss({
      ...input,
      logProbs: sub(input.logProbs),
      oldLogProbs: sub(input.oldLogProbs),
      advantages: sub(input.advantages),
      values: sub(input.values),
      oldValues: sub(input.oldValues),
      returns: sub(input.returns),
      mask: new Float32Array(kept.length).fill(1),
    });
    expect(result.loss).toBeCloseTo(compact.loss, 12);
    kept.forEach((i, k) => {
      expect(result.dLogProbs[i]).toBeCloseTo(compact.dLogProbs[k], 7);
      expect(result.dValues[i]).toBeCloseTo(compact.dValues[k], 7);
    });
    expectGradientsMatchFiniteDifferences(masked);
  });

  it('an all-zero mask gives zero loss, zero clip fraction and zero gradients (no division by zero)', () => {
    const input = { ...base(), mask: new Float32Array(n) };
    const result = ppoLoss(input);
    expect(result).toMatchObject({ loss: 0, policyLoss: 0, valueLoss: 0, clipFraction: 0 });
    expect(result.dLogProbs.every((v) => v === 0)).toBe(true);
    expect(result.dValues.every((v) => v === 0)).toBe(true);
    expectGradientsMatchFiniteDifferences(input);
  });

  it('rejects arrays of different lengths, naming the array', () => {
    const input = base();
    expect(() => ppoLoss({ ...input, returns: new Float32Array(n - 1) })).toThrow(/returns holds 8 values, the mask 9/);
    expect(() => ppoLoss({ ...input, oldLogProbs: new Float32Array(n + 2) })).toThrow(/oldLogProbs holds 11 values/);
  });
});
