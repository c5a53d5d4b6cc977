import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@goodhart/core';
import { clippedPolicyLoss, clippedValueLoss } from '../src/losses.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

function gradient(f: (x: tf.Tensor) => tf.Scalar, at: number[]): number[] {
  return Array.from(tf.tidy(() => tf.grad(f)(tf.tensor2d(at, [1, at.length]))).dataSync());
}

describe('clipped surrogate', () => {
  const clip = 0.2;
  // ratios 1.5, 1.5, 0.5, 0.5, 1.1 with advantages +1, −1, −1, +1, +1
  const logRatios = [Math.log(1.5), Math.log(1.5), Math.log(0.5), Math.log(0.5), Math.log(1.1)];
  const advantages = [1, -1, -1, 1, 1];

  it('has zero policy gradient exactly where the ratio is clipped in the direction of the advantage', () => {
    const grad = gradient(
      (logProbs) => clippedPolicyLoss(logProbs, tf.zeros([1, 5]), tf.tensor2d(advantages, [1, 5]), tf.ones([1, 5]), clip),
      logRatios,
    );
    // ratio 1.5 > 1.2 with A > 0, and ratio 0.5 < 0.8 with A < 0: the clipped term wins, no gradient.
    expect(grad[0]).toBe(0);
    expect(grad[2]).toBe(0);
    // Otherwise d/dlogπ of −A·ρ/5 = −A·ρ/5 (mean over 5 tokens).
    expect(grad[1]).toBeCloseTo((1 * 1.5) / 5, 6);
    expect(grad[3]).toBeCloseTo((-1 * 0.5) / 5, 6);
    expect(grad[4]).toBeCloseTo((-1 * 1.1) / 5, 6);
  });

  it('masks tokens out of the mean and the gradient', () => {
    const mask = [1, 1, 0, 0, 1];
    const grad = gradient(
      (logProbs) => clippedPolicyLoss(logProbs, tf.zeros([1, 5]), tf.tensor2d(advantages, [1, 5]), tf.tensor2d(mask, [1, 5]), clip),
      logRatios,
    );
    expect(grad[3]).toBe(0);
    expect(grad[4]).toBeCloseTo((-1 * 1.1) / 3, 6);
  });

  it('value loss: ½·max of the unclipped and clipped squared errors', () => {
    const loss = tf.tidy(() =>
      clippedValueLoss(tf.tensor2d([[1.0, 0.05]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[2, 1]]), tf.ones([1, 2]), 0.2).dataSync()[0],
    );
    // token 0: unclipped (1−2)² = 1, clipped (0.2−2)² = 3.24 → 3.24; token 1: (0.05−1)² = 0.9025 both ways.
    expect(loss).toBeCloseTo(0.5 * ((3.24 + 0.9025) / 2), 6);
  });
});
