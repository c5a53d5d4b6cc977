import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { createEngine, meanCrossEntropy, nextTokenBatch, type ModelConfig } from '../src/index.ts';
import { addBias, batchMatMul, gelu, initBackend, layerNorm, linear, matMul2d, matMulTransposedB, targetLogProbs, Transformer } from '../src/tfjs/index.ts';
import { maxAbsDiff, relativeError, revealGradients, tinyConfig, tinyWeights } from './helpers.ts';

/** The tfjs engine's Transformer over the tiny config's seeded weights. */
function tinyModel(seed: number): Transformer {
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, { shape, data }] of tinyWeights(seed)) tensors.set(name, tf.tensor(data, shape));
  return Transformer.fromTensors(tinyConfig, tensors);
}

beforeAll(async () => {
  await initBackend('wasm');
});

const rng = Rng.fromSeed(2024, 'ops-test');
const randn = (shape: number[], scale = 1): tf.Tensor => {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal() * scale),
    shape,
  );
};

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/**
 * Value and gradients of Σ f(xs)·R for a fixed random R (so the upstream gradient is not all ones),
 * downloaded as arrays. `wrt` chooses which inputs to differentiate.
 */
function valueAndGrads(f: Fn, inputs: tf.Tensor[], weights: tf.Tensor, wrt: number[]): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const value = f(...inputs).dataSync() as Float32Array;
    const grads = tf.grads((...xs: tf.Tensor[]) => {
      const all = inputs.slice();
      wrt.forEach((index, k) => (all[index] = xs[k]!));
      return tf.sum(tf.mul(f(...all), weights));
    })(wrt.map((i) => inputs[i]!));
    return { value: Float32Array.from(value), grads: grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
  });
}

function expectSameValueAndGrads(custom: Fn, reference: Fn, inputs: tf.Tensor[], outShape: number[], wrt = inputs.map((_, i) => i)): void {
  const weights = randn(outShape);
  try {
    const got = valueAndGrads(custom, inputs, weights, wrt);
    const want = valueAndGrads(reference, inputs, weights, wrt);
    expect(relativeError(got.value, want.value), 'value').toBeLessThan(1e-5);
    expect(got.grads).toHaveLength(wrt.length);
    wrt.forEach((input, k) => {
      expect(got.grads[k]!.length, `grad ${input} size`).toBe(inputs[input]!.size);
      expect(relativeError(got.grads[k]!, want.grads[k]!), `grad of input ${input}`).toBeLessThan(1e-4);
    });
  } finally {
    weights.dispose();
  }
}

function withInputs(inputs: tf.Tensor[], body: (xs: tf.Tensor[]) => void): void {
  try {
    body(inputs);
  } finally {
    for (const t of inputs) t.dispose();
  }
}

function referenceLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, epsilon = 1e-5): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.mul(centred, centred), -1, true);
  return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(variance, epsilon))), g), b);
}

describe('custom-gradient ops match tfjs autodiff of the reference formula', () => {
  it('matMul2d', () => {
    withInputs([randn([5, 7]), randn([7, 4])], (xs) =>
      expectSameValueAndGrads(
        (x, w) => matMul2d(x as tf.Tensor2D, w as tf.Tensor2D),
        (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
        xs,
        [5, 4],
      ),
    );
  });

  it('matMulTransposedB', () => {
    withInputs([randn([6, 8]), randn([11, 8])], (xs) =>
      expectSameValueAndGrads(
        (x, w) => matMulTransposedB(x as tf.Tensor2D, w as tf.Tensor2D),
        (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true),
        xs,
        [6, 11],
      ),
    );
  });

  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`batchMatMul (transposeA ${transposeA}, transposeB ${transposeB})`, () => {
      const aShape = transposeA ? [3, 4, 5] : [3, 5, 4];
      const bShape = transposeB ? [3, 6, 4] : [3, 4, 6];
      withInputs([randn(aShape), randn(bShape)], (xs) =>
        expectSameValueAndGrads(
          (a, b) => batchMatMul(a as tf.Tensor3D, b as tf.Tensor3D, transposeA, transposeB),
          (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, transposeA, transposeB),
          xs,
          [3, 5, 6],
        ),
      );
    });
  }

  it('addBias', () => {
    withInputs([randn([9, 5]), randn([5])], (xs) =>
      expectSameValueAndGrads(
        (x, b) => addBias(x as tf.Tensor2D, b as tf.Tensor1D),
        (x, b) => tf.add(x, b),
        xs,
        [9, 5],
      ),
    );
  });

  it('linear', () => {
    withInputs([randn([4, 6]), randn([6, 3]), randn([3])], (xs) =>
      expectSameValueAndGrads(
        (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
        (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
        xs,
        [4, 3],
      ),
    );
  });

  it('layerNorm (input, gain and bias)', () => {
    // an offset and uneven scale per row, as the residual stream has
    withInputs([tf.tidy(() => tf.add(tf.mul(randn([7, 12]), randn([7, 1], 3)), 2)), tf.tidy(() => tf.add(randn([12], 0.3), 1)), randn([12], 0.3)], (xs) =>
      expectSameValueAndGrads(
        (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D),
        (x, g, b) => referenceLayerNorm(x, g, b),
        xs,
        [7, 12],
      ),
    );
  });

  it('layerNorm normalises each row to zero mean and unit variance', () => {
    const [mean, variance] = tf.tidy(() => {
      const y = layerNorm(randn([5, 32], 4) as tf.Tensor2D, tf.ones([32]) as tf.Tensor1D, tf.zeros([32]) as tf.Tensor1D);
      const m = tf.moments(y, -1);
      return [m.mean.dataSync() as Float32Array, m.variance.dataSync() as Float32Array];
    });
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(mean[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(variance[i]! - 1)).toBeLessThan(1e-3);
    }
  });

  it('targetLogProbs (gradient with respect to the logits)', () => {
    const n = 8;
    const vocab = 13;
    const targets = Array.from({ length: n }, () => rng.int(vocab));
    withInputs([randn([n, vocab], 3), tf.oneHot(tf.tensor1d(targets, 'int32'), vocab).toFloat()], (xs) =>
      expectSameValueAndGrads(
        (logits, oneHot) => targetLogProbs(logits as tf.Tensor2D, oneHot as tf.Tensor2D),
        (logits, oneHot) => tf.sum(tf.mul(tf.logSoftmax(logits), oneHot), -1),
        xs,
        [n],
        [0],
      ),
    );
  });

  it('targetLogProbs values are log-probabilities of the targets', () => {
    const values = tf.tidy(() => {
      const logits = tf.tensor2d([
        [0, 0, 0, 0],
        [1, 2, 3, 4],
      ]);
      return targetLogProbs(logits, tf.oneHot(tf.tensor1d([2, 3], 'int32'), 4).toFloat() as tf.Tensor2D).dataSync() as Float32Array;
    });
    expect(values[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(values[1]).toBeCloseTo(4 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4)), 5);
  });

  it('gelu is the tanh approximation', () => {
    const xs = [-3, -1, -0.5, 0, 0.5, 1, 3];
    const got = tf.tidy(() => gelu(tf.tensor2d([xs])).dataSync() as Float32Array);
    const want = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
  });

  it('do not leak tensors', () => {
    const before = tf.memory().numTensors;
    withInputs([randn([4, 6]), randn([6, 3]), randn([3]), randn([4, 3]), randn([4, 3])], ([x, w, b, y, r]) => {
      valueAndGrads((...a) => linear(a[0] as tf.Tensor2D, a[1] as tf.Tensor2D, a[2] as tf.Tensor1D), [x!, w!, b!], r!, [0, 1, 2]);
      valueAndGrads((...a) => layerNorm(a[0] as tf.Tensor2D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D), [y!, b!, b!], r!, [0, 1, 2]);
      valueAndGrads((...a) => matMulTransposedB(a[0] as tf.Tensor2D, a[1] as tf.Tensor2D), [x!, x!], tf.keep(tf.zeros([4, 4])), [0, 1]);
    });
    // the kept zeros above: one tensor
    expect(tf.memory().numTensors).toBe(before + 1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Full model: an independent plain-tfjs implementation of the same network, differentiated by tfjs autodiff.

function referenceLmLoss(config: ModelConfig, p: Record<string, tf.Tensor>, rows: number[][]): tf.Scalar {
  const { vocabSize: vocab, dModel: d, heads, layers } = config;
  const batch = rows.length;
  const time = rows[0]!.length - 1;
  const hs = d / heads;
  const inputs = tf.tensor1d(
    rows.flatMap((r) => r.slice(0, -1)),
    'int32',
  );
  const targets = tf.tensor1d(
    rows.flatMap((r) => r.slice(1)),
    'int32',
  );
  // Embedding lookups as one-hot products: independent of the gather gradient (UnsortedSegmentSum).
  const positions = tf.tensor1d(
    rows.flatMap(() => Array.from({ length: time }, (_, i) => i)),
    'int32',
  );
  let x = tf.add(
    tf.matMul(tf.oneHot(inputs, vocab).toFloat(), p.wte as tf.Tensor2D),
    tf.matMul(tf.oneHot(positions, config.contextLength).toFloat(), p.wpe as tf.Tensor2D),
  );
  const causal = tf.tensor2d(
    Array.from({ length: time * time }, (_, k) => (k % time > Math.floor(k / time) ? -1e9 : 0)),
    [time, time],
  );
  const heads3 = (t: tf.Tensor): tf.Tensor3D => tf.reshape(tf.transpose(tf.reshape(t, [batch, time, heads, hs]), [0, 2, 1, 3]), [batch * heads, time, hs]);
  for (let l = 0; l < layers; l++) {
    const pre = `h.${l}.`;
    const h = referenceLayerNorm(x, p[`${pre}ln_1.g`]!, p[`${pre}ln_1.b`]!);
    const qkv = tf.add(tf.matMul(h as tf.Tensor2D, p[`${pre}attn.qkv.w`] as tf.Tensor2D), p[`${pre}attn.qkv.b`]!);
    const q = heads3(tf.slice(qkv, [0, 0], [-1, d]));
    const k = heads3(tf.slice(qkv, [0, d], [-1, d]));
    const v = heads3(tf.slice(qkv, [0, 2 * d], [-1, d]));
    const att = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)), causal));
    const mixed = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [batch, heads, time, hs]), [0, 2, 1, 3]), [batch * time, d]);
    x = tf.add(x, tf.add(tf.matMul(mixed, p[`${pre}attn.proj.w`] as tf.Tensor2D), p[`${pre}attn.proj.b`]!));
    const h2 = referenceLayerNorm(x, p[`${pre}ln_2.g`]!, p[`${pre}ln_2.b`]!);
    const up = tf.add(tf.matMul(h2 as tf.Tensor2D, p[`${pre}mlp.fc.w`] as tf.Tensor2D), p[`${pre}mlp.fc.b`]!);
    const act = tf.mul(tf.mul(0.5, up), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(up, tf.mul(0.044715, tf.pow(up, 3)))))));
    x = tf.add(x, tf.add(tf.matMul(act as tf.Tensor2D, p[`${pre}mlp.proj.w`] as tf.Tensor2D), p[`${pre}mlp.proj.b`]!));
  }
  const hf = referenceLayerNorm(x, p['ln_f.g']!, p['ln_f.b']!);
  const logits = tf.matMul(hf as tf.Tensor2D, p.wte as tf.Tensor2D, false, true);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, vocab).toFloat()), -1))) as tf.Scalar;
}

describe('full model lmLoss gradient', () => {
  const rows = [
    [1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7],
    [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4],
  ];

  function modelGrads(model: Transformer): { loss: number; grads: Map<string, Float32Array> } {
    const out = new Map<string, Float32Array>();
    let loss = NaN;
    tf.tidy(() => {
      const ids = tf.tensor2d(rows, undefined, 'int32');
      const { value, grads } = tf.variableGrads(() => model.lmLoss(ids), [...model.params.values()]);
      for (const [name, v] of model.params) out.set(name, Float32Array.from(grads[v.name]!.dataSync() as Float32Array));
      loss = value.dataSync()[0]!;
    });
    return { loss, grads: out };
  }

  it('equals autodiff of an independent plain-tfjs implementation (loss and every parameter)', () => {
    const model = tinyModel(51);
    try {
      // non-trivial LayerNorm parameters and biases
      tf.tidy(() => {
        const r = Rng.fromSeed(51, 'perturb');
        for (const [name, v] of model.params) {
          if (name.endsWith('.b') || name.endsWith('.g'))
            v.assign(
              tf.add(
                v,
                tf.tensor(
                  Float32Array.from({ length: v.size }, () => r.normal() * 0.2),
                  v.shape,
                ),
              ),
            );
        }
      });
      const got = modelGrads(model);
      const names = [...model.params.keys()];
      const want = tf.tidy(() => {
        const values = names.map((n) => model.params.get(n)! as tf.Tensor);
        const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
          const p: Record<string, tf.Tensor> = {};
          names.forEach((n, i) => (p[n] = xs[i]!));
          return referenceLmLoss(model.config, p, rows);
        })(values);
        return { loss: value.dataSync()[0]!, grads: grads.map((g) => Float32Array.from(g.dataSync() as Float32Array)) };
      });
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
      expect(got.loss).toBeGreaterThan(3); // ~ln(61) at init
      names.forEach((name, i) => {
        expect(relativeError(got.grads.get(name)!, want.grads[i]!), name).toBeLessThan(1e-4);
      });
    } finally {
      model.dispose();
    }
  });

  it("the tfjs engine's backward of the mean cross-entropy equals this autodiff (the surrogate-loss backward)", async () => {
    const engine = await createEngine('tfjs', 'wasm');
    const reference = tinyModel(53);
    const weights = tinyWeights(53);
    const model = engine.createModel(tinyConfig, weights);
    try {
      const want = modelGrads(reference);
      const { batch, targets } = nextTokenBatch(Int32Array.from(rows.flat()), rows.length, rows[0]!.length);
      const out = model.forward(batch, { targets, train: true });
      const { loss, gradients } = meanCrossEntropy(out.logProbs!);
      expect(Math.abs(loss - want.loss)).toBeLessThan(1e-5);
      model.backward(gradients);
      const got = revealGradients(model, 1e4);
      for (const [name, gradient] of want.grads) expect(relativeError(got.get(name)!, gradient), name).toBeLessThan(1e-4);
    } finally {
      reference.dispose();
      model.dispose();
    }
  });

  it('agrees with central finite differences on selected entries', () => {
    const model = tinyModel(52);
    try {
      const { grads } = modelGrads(model);
      const lossAt = (): number => tf.tidy(() => model.lmLoss(tf.tensor2d(rows, undefined, 'int32')).dataSync()[0]!);
      const epsilon = 1e-2;
      const checks: string[] = [];
      for (const name of ['wte', 'wpe', 'h.0.attn.qkv.w', 'h.1.attn.proj.w', 'h.0.mlp.fc.w', 'h.1.mlp.proj.b', 'h.0.ln_1.g', 'ln_f.g', 'ln_f.b']) {
        const g = grads.get(name)!;
        // the two largest-magnitude entries, so the comparison is above float32 noise
        const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
        for (const index of order.slice(0, 2)) {
          const variable = model.params.get(name)!;
          const original = Float32Array.from(variable.dataSync() as Float32Array);
          const at = (delta: number): number => {
            const changed = Float32Array.from(original);
            changed[index] = original[index]! + delta;
            tf.tidy(() => variable.assign(tf.tensor(changed, variable.shape)));
            return lossAt();
          };
          const numeric = (at(epsilon) - at(-epsilon)) / (2 * epsilon);
          tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
          const analytic = g[index]!;
          checks.push(`${name}[${index}] analytic ${analytic.toExponential(3)} numeric ${numeric.toExponential(3)}`);
          expect(Math.abs(numeric - analytic), checks.at(-1)).toBeLessThan(0.05 * Math.abs(analytic) + 2e-4);
        }
      }
    } finally {
      model.dispose();
    }
  });
});
