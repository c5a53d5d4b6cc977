import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import {
  defaultAdamW,
  languageModelLoss,
  languageModelStep,
  meanCrossEntropy,
  nextTokenBatch,
  NonFiniteLossError,
  tokenBatch,
  trainStep,
  type AdamWOptions,
  type Engine,
  type ForwardRequest,
  type Model,
  type ModelConfig,
  type NamedTensor,
  type OutputGradients,
  type TokenBatch,
} from '../src/index.ts';
import {
  availableEngineNames,
  copyWeights,
  differingWeights,
  engineNamed,
  perturbBiasesAndGains,
  relativeError,
  revealGradients,
  tfjsEngine,
  tinyConfig,
  tinyModel,
  tinyWeights,
} from './helpers.ts';

/** A short cycle of tokens, each row starting at a different phase: easy to memorise. [rows, width] windows. */
function repetitiveWindows(rows = 4, width = 17): Int32Array {
  const cycle = [3, 14, 15, 9, 26, 5, 35];
  return Int32Array.from({ length: rows * width }, (_, k) => cycle[((k % width) + 2 * Math.floor(k / width)) % cycle.length]);
}

const optimizer: AdamWOptions = { ...defaultAdamW, weightDecay: 0.01 };

/** One train forward and backward of `loss`, without a step. */
function accumulate(
  model: Model,
  batch: TokenBatch,
  request: Omit<ForwardRequest, 'train'>,
  gradients: (out: ReturnType<Model['forward']>) => OutputGradients,
): void {
  model.backward(gradients(model.forward(batch, { ...request, train: true })));
}

for (const name of availableEngineNames) {
  describe(`AdamW training (${name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await engineNamed(name);
    });

    it('60 steps on a repetitive sequence cut the LM loss below half of its initial value', () => {
      const model = tinyModel(engine, 61);
      const windows = repetitiveWindows();
      try {
        const initial = languageModelLoss(model, windows, 4, 17);
        expect(initial).toBeGreaterThan(0.9 * Math.log(tinyConfig.vocabSize)); // ≈ uniform at init
        const reported: number[] = [];
        for (let step = 0; step < 60; step++) {
          const { loss, gradientNorm } = languageModelStep(model, windows, 4, 17, 1e-2, optimizer);
          expect(Number.isFinite(gradientNorm) && gradientNorm > 0).toBe(true);
          reported.push(loss);
        }
        expect(model.steps).toBe(60);
        expect(reported[0]).toBeCloseTo(initial, 5); // a step reports the loss before its update
        const final = languageModelLoss(model, windows, 4, 17);
        expect(final).toBeLessThan(0.5 * initial);
        expect(final).toBeLessThan(reported[59]);
      } finally {
        model.dispose();
      }
    });

    it('throws NonFiniteLossError on a NaN or infinite loss or gradient and leaves weights, moments and step count untouched', () => {
      const poisoned = tinyModel(engine, 64, { layers: 1 });
      const clean = tinyModel(engine, 64, { layers: 1 });
      const windows = repetitiveWindows();
      const { batch, targets } = nextTokenBatch(windows, 4, 17);
      const options = { ...defaultAdamW, weightDecay: 0.1 };
      try {
        languageModelStep(poisoned, windows, 4, 17, 1e-2, options); // non-zero moments
        languageModelStep(clean, windows, 4, 17, 1e-2, options);
        const before = poisoned.weights();
        for (const poison of [NaN, Infinity]) {
          let caught: unknown;
          try {
            trainStep(
              poisoned,
              batch,
              { targets },
              (out) => {
                const result = meanCrossEntropy(out.logProbs!);
                return { loss: result.loss * poison, gradients: result.gradients };
              },
              1e-2,
              options,
            );
          } catch (error) {
            caught = error;
          }
          expect(caught, `poison ${poison}`).toBeInstanceOf(NonFiniteLossError);
          const error = caught as NonFiniteLossError;
          expect(error.name).toBe('NonFiniteLossError');
          expect(error.step).toBe(2);
          expect(Number.isFinite(error.loss)).toBe(false);
          expect(error.message).toMatch(/diverged at step 2/);
          expect(poisoned.steps).toBe(1);
          expect(differingWeights(poisoned.weights(), before)).toEqual([]);
        }
        // a finite loss whose parameter gradient is not finite (output gradients near the float32 limit overflow)
        let caught: unknown;
        try {
          trainStep(
            poisoned,
            batch,
            { targets },
            (out) => ({ loss: 1, gradients: { logProbs: new Float32Array(out.logProbs!.length).fill(3e38) } }),
            1e-2,
            options,
          );
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(NonFiniteLossError);
        expect((caught as NonFiniteLossError).loss).toBeUndefined();
        expect(Number.isFinite((caught as NonFiniteLossError).gradientNorm)).toBe(false);
        expect((caught as NonFiniteLossError).message).toMatch(/diverged at step 2: gradient norm/);
        expect(poisoned.steps).toBe(1);
        expect(differingWeights(poisoned.weights(), before)).toEqual([]);
        // moments and step count intact, gradients cleared: the next good steps match a run that never saw the bad ones
        for (let i = 0; i < 2; i++) {
          languageModelStep(poisoned, windows, 4, 17, 1e-2, options);
          languageModelStep(clean, windows, 4, 17, 1e-2, options);
        }
        expect(poisoned.steps).toBe(3);
        expect(differingWeights(poisoned.weights(), clean.weights())).toEqual([]);
        expect(differingWeights(poisoned.optimizerState().tensors, clean.optimizerState().tensors)).toEqual([]);
      } finally {
        poisoned.dispose();
        clean.dispose();
      }
    });

    it('backward gives the loss gradient: it agrees with central finite differences (LM, reward and value heads)', () => {
      const config: ModelConfig = { ...tinyConfig, kind: 'reward' };
      const weights = perturbBiasesAndGains(tinyWeights(52, { kind: 'reward' }, ['value']), Rng.fromSeed(52, 'perturb'), 0.2);
      // a value head that is not zero, so the trunk gets a gradient through it
      weights.get('value.w')!.data.forEach((_, i, w) => (w[i] = Math.sin(i + 1)));
      const batch = tokenBatch([
        [1, 5, 9, 2, 6, 5, 3, 5, 8, 9],
        [2, 7, 1, 8, 2, 8, 1],
      ]);
      const targets = Int32Array.from({ length: batch.rows * batch.width }, (_, i) => (i * 7 + 3) % config.vocabSize);
      const rng = Rng.fromSeed(53, 'head weights');
      const rewardWeights = Float32Array.from({ length: batch.rows * batch.width }, () => rng.normal());
      const valueWeights = Float32Array.from({ length: batch.rows * batch.width }, () => rng.normal());
      // loss = mean cross-entropy + Σ c·reward + Σ c'·value, over every column
      const lossOf = (out: ReturnType<Model['forward']>): { loss: number; gradients: OutputGradients } => {
        const ce = meanCrossEntropy(out.logProbs!);
        let loss = ce.loss;
        for (let i = 0; i < rewardWeights.length; i++) loss += rewardWeights[i] * out.heads.reward[i] + valueWeights[i] * out.heads.value[i];
        return { loss, gradients: { logProbs: ce.gradients.logProbs, heads: { reward: rewardWeights, value: valueWeights } } };
      };
      const request = { targets, heads: 'all' } as const;
      const model = engine.createModel(config, weights, ['value']);
      accumulate(model, batch, request, (out) => lossOf(out).gradients);
      const gradient = revealGradients(model, 1e4);
      model.dispose();
      const lossAt = (changed: Map<string, NamedTensor>): number => {
        const probe = engine.createModel(config, changed, ['value']);
        try {
          return lossOf(probe.forward(batch, request)).loss;
        } finally {
          probe.dispose();
        }
      };
      const epsilon = 1e-2;
      for (const tensor of [
        'wte',
        'wpe',
        'h.0.attn.qkv.w',
        'h.1.attn.proj.w',
        'h.0.mlp.fc.w',
        'h.1.mlp.proj.b',
        'h.0.ln_1.g',
        'ln_f.g',
        'ln_f.b',
        'reward.w',
        'reward.b',
        'value.w',
        'value.b',
      ]) {
        const g = gradient.get(tensor)!;
        // the two largest-magnitude entries, so the comparison is above float32 noise
        const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
        for (const index of order.slice(0, 2)) {
          const at = (delta: number): number => {
            const changed = copyWeights(weights);
            changed.get(tensor)!.data[index] += delta;
            return lossAt(changed);
          };
          const numeric = (at(epsilon) - at(-epsilon)) / (2 * epsilon);
          const analytic = g[index];
          expect(Math.abs(numeric - analytic), `${tensor}[${index}] analytic ${analytic.toExponential(3)} numeric ${numeric.toExponential(3)}`).toBeLessThan(
            0.05 * Math.abs(analytic) + 2e-4,
          );
        }
      }
    });

    it("the 'last' head readout backpropagates into the trunk at each row's last column", () => {
      const config: ModelConfig = { ...tinyConfig, kind: 'reward', layers: 1 };
      const weights = tinyWeights(54, { kind: 'reward', layers: 1 });
      const batch = { rows: 2, width: 6, ids: Int32Array.from([0, 0, 3, 4, 5, 6, 9, 8, 7, 6, 5, 4]), starts: Int32Array.from([2, 0]) };
      const coefficients = Float32Array.from([0.7, -1.3]);
      const rewardLoss = (model: Model): number => {
        const r = model.forward(batch, { heads: 'last' }).heads.reward;
        return coefficients[0] * r[0] + coefficients[1] * r[1];
      };
      const model = engine.createModel(config, weights);
      accumulate(model, batch, { heads: 'last' }, () => ({ heads: { reward: coefficients } }));
      const gradient = revealGradients(model, 1e4);
      model.dispose();
      // pad columns carry no gradient into the token embedding: row 0's pads are token 0, which appears nowhere else
      expect(
        gradient
          .get('wte')!
          .subarray(0, config.dModel)
          .every((v) => v === 0),
      ).toBe(true);
      const epsilon = 1e-2;
      for (const tensor of ['wte', 'h.0.attn.qkv.w', 'ln_f.g', 'reward.w', 'reward.b']) {
        const g = gradient.get(tensor)!;
        const index = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]))[0];
        const at = (delta: number): number => {
          const changed = copyWeights(weights);
          changed.get(tensor)!.data[index] += delta;
          const probe = engine.createModel(config, changed);
          try {
            return rewardLoss(probe);
          } finally {
            probe.dispose();
          }
        };
        const numeric = (at(epsilon) - at(-epsilon)) / (2 * epsilon);
        expect(Math.abs(numeric - g[index]), `${tensor}[${index}]`).toBeLessThan(0.05 * Math.abs(g[index]) + 2e-4);
      }
      expect(gradient.get('reward.b')![0]).toBeCloseTo(coefficients[0] + coefficients[1], 4);
    });

    it('gradients accumulate across backward calls until a step, and zeroGradients clears them', () => {
      const weights = tinyWeights(55, { layers: 1 });
      const config = { ...tinyConfig, layers: 1 };
      const first = nextTokenBatch(repetitiveWindows(2, 9), 2, 9);
      const second = nextTokenBatch(
        Int32Array.from({ length: 3 * 7 }, (_, i) => (i * 5 + 1) % 61),
        3,
        7,
      );
      const gradientOf = (parts: (typeof first)[], clearAfterFirst = false): Map<string, Float64Array> => {
        const model = engine.createModel(config, weights);
        try {
          parts.forEach((part, k) => {
            accumulate(model, part.batch, { targets: part.targets }, (out) => meanCrossEntropy(out.logProbs!).gradients);
            if (clearAfterFirst && k === 0) model.zeroGradients();
          });
          return revealGradients(model, 1e4);
        } finally {
          model.dispose();
        }
      };
      const a = gradientOf([first]);
      const b = gradientOf([second]);
      const both = gradientOf([first, second]);
      const cleared = gradientOf([first, second], true);
      for (const [tensor, sum] of both) {
        const expected = a.get(tensor)!.map((v, i) => v + b.get(tensor)![i]);
        expect(relativeError(sum, expected), tensor).toBeLessThan(1e-3);
        expect(relativeError(cleared.get(tensor)!, b.get(tensor)!), tensor).toBeLessThan(1e-3);
      }
    });

    it('rejects misuse with errors naming the argument', () => {
      const model = tinyModel(engine, 56, { kind: 'reward', layers: 1 });
      const batch = tokenBatch([[1, 2, 3]]);
      try {
        expect(() => model.backward({})).toThrow(/needs a forward with train: true/);
        model.forward(batch, { heads: 'last', train: true });
        expect(() => model.backward({ logProbs: new Float32Array(3) })).toThrow(/computed no log-probs/);
        expect(() => model.backward({ heads: { reward: new Float32Array(3) } })).toThrow(/gradients\.heads\.reward: holds 3 values, expected 1/);
        expect(() => model.backward({ heads: { value: new Float32Array(1) } })).toThrow(/has no head "value"/);
        expect(() => model.backward({ heads: { reward: Float32Array.from([NaN]) } })).toThrow(/non-finite value NaN/);
        model.forward(batch, { targets: Int32Array.from([2, 3, 4]), train: true });
        expect(() => model.backward({ heads: { reward: new Float32Array(1) } })).toThrow(/read no heads/);
        expect(() => model.step(-1, defaultAdamW)).toThrow(/learningRate: got -1/);
        expect(() => model.step(1e-3, { ...defaultAdamW, beta1: 1 })).toThrow(/beta1: got 1/);
        expect(() => model.step(1e-3, { ...defaultAdamW, epsilon: 0 })).toThrow(/epsilon: got 0/);
        expect(() => model.step(1e-3, { ...defaultAdamW, gradientClip: 0 })).toThrow(/gradientClip: got 0/);
        expect(model.steps).toBe(0);
      } finally {
        model.dispose();
      }
    });
  });

  describe(`AdamW update rule (${name})`, () => {
    /**
     * The update written out in float64: clipping by global norm, bias-corrected moments, decoupled decay on
     * matrices only. The gradients come from the engine (revealed by a probe step on a copy of the model).
     */
    it('matches a float64 reference (clipping, bias correction, per-step learning rate, decay on matrices only)', async () => {
      const engine = await engineNamed(name);
      const config = { ...tinyConfig, layers: 1 };
      const options: AdamWOptions = { beta1: 0.8, beta2: 0.9, epsilon: 1e-6, weightDecay: 0.3, gradientClip: 0.5 };
      // non-zero biases and gains, so decaying them by mistake would show
      const model = engine.createModel(config, perturbBiasesAndGains(tinyWeights(57, { layers: 1 }), Rng.fromSeed(57, 'perturb')));
      const { batch, targets } = nextTokenBatch(repetitiveWindows(3, 11), 3, 11);
      const learningRates = [0.1, 0.05, 0.2, 0.01, 0.1];
      const m = new Map<string, Float64Array>();
      const v = new Map<string, Float64Array>();
      const norms: number[] = [];
      try {
        learningRates.forEach((learningRate, i) => {
          const t = i + 1;
          const start = model.weights();
          const probe = engine.createModel(config, start);
          accumulate(probe, batch, { targets }, (out) => meanCrossEntropy(out.logProbs!).gradients);
          const gradient = revealGradients(probe, 1e4);
          probe.dispose();
          let squares = 0;
          for (const g of gradient.values()) for (const x of g) squares += x * x;
          const norm = Math.sqrt(squares);
          norms.push(norm);
          const { gradientNorm } = trainStep(model, batch, { targets }, (out) => meanCrossEntropy(out.logProbs!), learningRate, options);
          expect(gradientNorm / norm, `step ${t} gradient norm`).toBeCloseTo(1, 3);
          expect(model.steps).toBe(t);
          const scale = norm > options.gradientClip ? options.gradientClip / norm : 1;
          const got = model.weights();
          for (const [tensor, { shape, data }] of start) {
            const g = gradient.get(tensor)!;
            if (!m.has(tensor)) {
              m.set(tensor, new Float64Array(g.length));
              v.set(tensor, new Float64Array(g.length));
            }
            const mt = m.get(tensor)!;
            const vt = v.get(tensor)!;
            const expected = new Float64Array(g.length);
            for (let k = 0; k < g.length; k++) {
              const gk = g[k] * scale;
              mt[k] = options.beta1 * mt[k] + (1 - options.beta1) * gk;
              vt[k] = options.beta2 * vt[k] + (1 - options.beta2) * gk * gk;
              const update = mt[k] / (1 - options.beta1 ** t) / (Math.sqrt(vt[k] / (1 - options.beta2 ** t)) + options.epsilon);
              expected[k] = data[k] - learningRate * update - (shape.length >= 2 ? learningRate * options.weightDecay * data[k] : 0);
            }
            let worst = 0;
            for (let k = 0; k < g.length; k++) worst = Math.max(worst, Math.abs(got.get(tensor)!.data[k] - expected[k]));
            expect(worst, `step ${t}, ${tensor}`).toBeLessThan(2e-4 * learningRate);
          }
        });
        expect(norms[0]).toBeGreaterThan(options.gradientClip); // clipping was exercised
        // the optimizer state holds the float32 moments of the same recursion
        const state = model.optimizerState();
        expect(state.steps).toBe(learningRates.length);
        for (const [tensor, moment] of m) expect(relativeError(state.tensors.get(`m/${tensor}`)!.data, moment), `m/${tensor}`).toBeLessThan(1e-3);
      } finally {
        model.dispose();
      }
    });
  });
}

describe('tfjs engine memory', () => {
  it('does not leak tensors across repeated training steps and loss evaluations', async () => {
    const engine = await tfjsEngine();
    const model = tinyModel(engine, 62, { layers: 1 });
    const windows = repetitiveWindows(2, 9);
    try {
      languageModelStep(model, windows, 2, 9, 1e-3, { ...defaultAdamW, weightDecay: 0.1, gradientClip: 0.5 });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        languageModelStep(model, windows, 2, 9, 1e-3, { ...defaultAdamW, weightDecay: 0.1, gradientClip: 0.5 });
        languageModelLoss(model, windows, 2, 9);
      }
      expect(tf.memory().numTensors).toBe(before);
      // a diverged step and a cleared accumulation leak nothing either
      const { batch, targets } = nextTokenBatch(windows, 2, 9);
      expect(() => trainStep(model, batch, { targets }, () => ({ loss: NaN, gradients: {} }), 1e-3, defaultAdamW)).toThrow(NonFiniteLossError);
      accumulate(model, batch, { targets }, (out) => meanCrossEntropy(out.logProbs!).gradients);
      model.zeroGradients();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
