import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@goodhart/core';
import { AdamW, defaultAdamW, NonFiniteLossError, type Transformer } from '../src/index.ts';
import { bitEqual, paramSnapshot, tinyConfig, tinyModel } from './helpers.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** A short cycle of tokens, each row starting at a different phase: easy to memorise. */
function repetitiveBatch(batch = 4, width = 17): tf.Tensor2D {
  const cycle = [3, 14, 15, 9, 26, 5, 35];
  return tf.tensor2d(
    Array.from({ length: batch }, (_, b) => Array.from({ length: width }, (_, i) => cycle[(i + 2 * b) % cycle.length]!)),
    undefined,
    'int32',
  );
}

function lossOf(model: Transformer, ids: tf.Tensor2D): number {
  return tf.tidy(() => model.lmLoss(ids).dataSync()[0]!);
}

describe('AdamW training', () => {
  let model: Transformer;
  let ids: tf.Tensor2D;
  beforeAll(() => {
    model = tinyModel(61);
    ids = repetitiveBatch();
  });
  afterAll(() => {
    model.dispose();
    ids.dispose();
  });

  it('60 steps on a repetitive sequence cut lmLoss below half of its initial value, without leaking tensors', () => {
    const optimizer = new AdamW(model.params, { weightDecay: 0.01 });
    try {
      const initial = lossOf(model, ids);
      expect(initial).toBeGreaterThan(0.9 * Math.log(tinyConfig.vocabSize)); // ≈ uniform at init
      const reported: number[] = [];
      let tensorsAfterFirst = 0;
      for (let step = 0; step < 60; step++) {
        const { loss, gradientNorm } = optimizer.minimize(() => model.lmLoss(ids), 1e-2);
        expect(Number.isFinite(gradientNorm) && gradientNorm > 0).toBe(true);
        reported.push(loss);
        if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
        else expect(tf.memory().numTensors, `step ${step}`).toBe(tensorsAfterFirst);
      }
      expect(optimizer.steps).toBe(60);
      expect(reported[0]).toBeCloseTo(initial, 5); // minimize reports the loss before its update
      const final = lossOf(model, ids);
      expect(final).toBeLessThan(0.5 * initial);
      expect(final).toBeLessThan(reported[59]!);
    } finally {
      optimizer.dispose();
    }
  });

  it('throws NonFiniteLossError on a NaN or infinite loss and leaves weights, moments and step count untouched', () => {
    const poisoned = tinyModel(64, { layers: 1 });
    const clean = tinyModel(64, { layers: 1 });
    const optimizer = new AdamW(poisoned.params, { weightDecay: 0.1 });
    const reference = new AdamW(clean.params, { weightDecay: 0.1 });
    try {
      optimizer.minimize(() => poisoned.lmLoss(ids), 1e-2); // non-zero moments
      reference.minimize(() => clean.lmLoss(ids), 1e-2);
      const before = paramSnapshot(poisoned);
      const tensors = tf.memory().numTensors;
      for (const poison of [NaN, Infinity]) {
        let caught: unknown;
        try {
          optimizer.minimize(() => tf.mul(poisoned.lmLoss(ids), poison), 1e-2);
        } catch (error) {
          caught = error;
        }
        expect(caught, `poison ${poison}`).toBeInstanceOf(NonFiniteLossError);
        const error = caught as NonFiniteLossError;
        expect(error.name).toBe('NonFiniteLossError');
        expect(error.step).toBe(2);
        expect(Number.isFinite(error.loss)).toBe(false);
        expect(error.message).toMatch(/diverged at step 2/);
        expect(optimizer.steps).toBe(1);
        expect(tf.memory().numTensors, `tensors after poison ${poison}`).toBe(tensors);
        const after = paramSnapshot(poisoned);
        for (const [name, values] of before) expect(bitEqual(after.get(name)!, values), name).toBe(true);
      }
      // a finite loss whose gradient is not finite (d√x at 0 is ∞, times 0 is NaN)
      const wte = poisoned.params.get('wte')!;
      expect(() => optimizer.minimize(() => tf.add(poisoned.lmLoss(ids), tf.mul(0, tf.sum(tf.sqrt(tf.sub(wte, wte))))) as tf.Scalar, 1e-2)).toThrow(
        NonFiniteLossError,
      );
      expect(optimizer.steps).toBe(1);
      // moments and step count intact: the next good steps match a run that never saw the bad losses
      for (let i = 0; i < 2; i++) {
        optimizer.minimize(() => poisoned.lmLoss(ids), 1e-2);
        reference.minimize(() => clean.lmLoss(ids), 1e-2);
      }
      expect(optimizer.steps).toBe(3);
      const got = paramSnapshot(poisoned);
      for (const [name, values] of paramSnapshot(clean)) expect(bitEqual(got.get(name)!, values), name).toBe(true);
    } finally {
      optimizer.dispose();
      reference.dispose();
      poisoned.dispose();
      clean.dispose();
    }
  });
});

describe('AdamW update rule', () => {
  /** The update written out in float64: clipping by global norm, bias-corrected moments, decoupled decay on matrices. */
  function referenceAdamW(
    params: Record<string, { values: Float64Array; rank: number }>,
    gradOf: (name: string, values: Float64Array) => Float64Array,
    learningRates: number[],
    options: typeof defaultAdamW,
  ): { norms: number[] } {
    const m: Record<string, Float64Array> = {};
    const v: Record<string, Float64Array> = {};
    for (const name in params) {
      m[name] = new Float64Array(params[name]!.values.length);
      v[name] = new Float64Array(params[name]!.values.length);
    }
    const norms: number[] = [];
    learningRates.forEach((lr, i) => {
      const t = i + 1;
      const grads: Record<string, Float64Array> = {};
      let sq = 0;
      for (const name in params) {
        grads[name] = gradOf(name, params[name]!.values);
        for (const g of grads[name]!) sq += g * g;
      }
      const norm = Math.sqrt(sq);
      norms.push(norm);
      const scale = norm > options.gradientClip ? options.gradientClip / norm : 1;
      for (const name in params) {
        const p = params[name]!;
        for (let k = 0; k < p.values.length; k++) {
          const g = grads[name]![k]! * scale;
          m[name]![k] = options.beta1 * m[name]![k]! + (1 - options.beta1) * g;
          v[name]![k] = options.beta2 * v[name]![k]! + (1 - options.beta2) * g * g;
          const update = m[name]![k]! / (1 - options.beta1 ** t) / (Math.sqrt(v[name]![k]! / (1 - options.beta2 ** t)) + options.epsilon);
          const old = p.values[k]!;
          p.values[k] = old - lr * update - (p.rank >= 2 ? lr * options.weightDecay * old : 0);
        }
      }
    });
    return { norms };
  }

  it('matches a float64 reference (clipping, bias correction, per-step learning rate, decay on matrices only)', () => {
    const options = { ...defaultAdamW, weightDecay: 0.3, gradientClip: 2 };
    const initW = [0.5, -1, 2, 0.25, 3, -2];
    const initB = [1, -0.5, 0.75];
    const target = [0, 1, -1, 0.5, 0, 2];
    const coeff = [1, 2, 3, 0.5, 0.1, 4];
    // loss = Σ c (w − target)² + Σ b² + Σ (w·b-ish coupling omitted): gradients 2c(w − target) and 2b
    const w = tf.variable(tf.tensor2d(initW, [2, 3]), true, `adamw-ref-w-${Math.random()}`);
    const b = tf.variable(tf.tensor1d(initB), true, `adamw-ref-b-${Math.random()}`);
    const params = new Map<string, tf.Variable>([
      ['w', w],
      ['b', b],
    ]);
    const optimizer = new AdamW(params, options);
    const targetT = tf.tensor2d(target, [2, 3]);
    const coeffT = tf.tensor2d(coeff, [2, 3]);
    const learningRates = [0.1, 0.05, 0.2, 0.01, 0.1];
    try {
      const norms: number[] = [];
      for (const lr of learningRates) {
        const r = optimizer.minimize(() => tf.add(tf.sum(tf.mul(coeffT, tf.square(tf.sub(w, targetT)))), tf.sum(tf.square(b))) as tf.Scalar, lr);
        norms.push(r.gradientNorm);
      }
      const reference = {
        w: { values: Float64Array.from(initW), rank: 2 },
        b: { values: Float64Array.from(initB), rank: 1 },
      };
      const { norms: refNorms } = referenceAdamW(
        reference,
        (name, values) => (name === 'w' ? values.map((x, k) => 2 * coeff[k]! * (x - target[k]!)) : values.map((x) => 2 * x)),
        learningRates,
        options,
      );
      expect(refNorms[0]).toBeGreaterThan(options.gradientClip); // clipping was exercised
      for (let i = 0; i < norms.length; i++) expect(norms[i]).toBeCloseTo(refNorms[i]!, 4);
      const gotW = w.dataSync();
      const gotB = b.dataSync();
      for (let k = 0; k < initW.length; k++) expect(gotW[k]).toBeCloseTo(reference.w.values[k]!, 5);
      for (let k = 0; k < initB.length; k++) expect(gotB[k]).toBeCloseTo(reference.b.values[k]!, 5);
      expect(optimizer.steps).toBe(learningRates.length);
    } finally {
      optimizer.dispose();
      w.dispose();
      b.dispose();
      targetT.dispose();
      coeffT.dispose();
    }
  });

  it('does not leak tensors across repeated minimize calls', () => {
    const model = tinyModel(62, { layers: 1 });
    const ids = repetitiveBatch(2, 9);
    const optimizer = new AdamW(model.params, { weightDecay: 0.1, gradientClip: 0.5 });
    try {
      optimizer.minimize(() => model.lmLoss(ids), 1e-3);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) optimizer.minimize(() => model.lmLoss(ids), 1e-3);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      optimizer.dispose();
      model.dispose();
      ids.dispose();
    }
  });

  // BUG: the constructor's tf.zerosLike(variable) temporaries are never disposed (2 tensors per parameter), so
  // constructing and disposing an AdamW leaks 2× the model's size.
  it('constructing and disposing an optimizer leaves no tensors or bytes behind', () => {
    const model = tinyModel(63, { layers: 1 });
    try {
      const start = tf.memory();
      const optimizer = new AdamW(model.params);
      optimizer.dispose();
      const end = tf.memory();
      expect({ numTensors: end.numTensors, numBytes: end.numBytes }).toEqual({ numTensors: start.numTensors, numBytes: start.numBytes });
    } finally {
      model.dispose();
    }
  });
});
