import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@goodhart/core';
import { parameterCount, parameterShapes, Transformer, validateModelConfig, type ModelConfig } from '../src/index.ts';
import { bitEqual, maxAbsDiff, paramSnapshot, read, tinyConfig, tinyModel } from './helpers.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

function tensorsFor(config: ModelConfig, seed = 1): Map<string, tf.Tensor> {
  const model = Transformer.init(config, Rng.fromSeed(seed));
  const out = new Map<string, tf.Tensor>();
  for (const [name, v] of model.params) out.set(name, tf.clone(v));
  model.dispose();
  return out;
}

function disposeAll(tensors: Map<string, tf.Tensor>): void {
  for (const t of tensors.values()) if (!t.isDisposed) t.dispose();
}

describe('validateModelConfig', () => {
  it('accepts a valid config and returns it', () => {
    expect(validateModelConfig(tinyConfig)).toBe(tinyConfig);
  });

  it('rejects heads that do not divide dModel', () => {
    expect(() => validateModelConfig({ ...tinyConfig, dModel: 16, heads: 3 })).toThrow(/heads: 3 must divide dModel 16/);
    expect(() => Transformer.init({ ...tinyConfig, dModel: 30, heads: 4 }, Rng.fromSeed(1))).toThrow(/must divide dModel 30/);
  });

  it('rejects out-of-range, non-integer and wrongly typed fields, naming each', () => {
    const cases: [Partial<Record<keyof ModelConfig, unknown>>, RegExp][] = [
      [{ vocabSize: 0 }, /vocabSize: got 0/],
      [{ layers: 1.5 }, /layers: got 1.5/],
      [{ contextLength: '32' }, /contextLength: got "32"/],
      [{ mlpRatio: 17 }, /mlpRatio: got 17/],
      [{ heads: -2 }, /heads: got -2/],
      [{ kind: 'policy' }, /kind: got "policy"/],
    ];
    for (const [patch, message] of cases) {
      expect(() => validateModelConfig({ ...tinyConfig, ...patch } as ModelConfig), JSON.stringify(patch)).toThrow(message);
    }
    // several problems are reported together
    expect(() => validateModelConfig({ ...tinyConfig, vocabSize: 0, layers: 0 })).toThrow(/vocabSize[\s\S]*layers/);
  });
});

describe('Transformer.fromTensors', () => {
  it('builds a model from matching tensors and takes ownership of them', () => {
    const tensors = tensorsFor(tinyConfig);
    const model = Transformer.fromTensors(tinyConfig, tensors);
    try {
      for (const t of tensors.values()) expect(t.isDisposed).toBe(true);
      expect([...model.params.keys()]).toEqual([...parameterShapes(tinyConfig).keys()]);
      for (const v of model.params.values()) expect(v.trainable).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('rejects a missing tensor, naming it', () => {
    const tensors = tensorsFor(tinyConfig);
    tensors.get('h.1.ln_2.g')!.dispose();
    tensors.delete('h.1.ln_2.g');
    try {
      expect(() => Transformer.fromTensors(tinyConfig, tensors)).toThrow(/missing h\.1\.ln_2\.g/);
    } finally {
      disposeAll(tensors);
    }
  });

  it('rejects an extra tensor, naming it', () => {
    const tensors = tensorsFor(tinyConfig);
    tensors.set('reward.w', tf.zeros([tinyConfig.dModel, 1]));
    try {
      expect(() => Transformer.fromTensors(tinyConfig, tensors)).toThrow(/unexpected reward\.w/);
    } finally {
      disposeAll(tensors);
    }
  });

  it('rejects a misshapen tensor, naming it with both shapes', () => {
    const tensors = tensorsFor(tinyConfig);
    tensors.get('h.0.attn.qkv.w')!.dispose();
    tensors.set('h.0.attn.qkv.w', tf.zeros([3 * tinyConfig.dModel, tinyConfig.dModel]));
    try {
      expect(() => Transformer.fromTensors(tinyConfig, tensors)).toThrow(/h\.0\.attn\.qkv\.w has shape \[48,16\], expected \[16,48\]/);
    } finally {
      disposeAll(tensors);
    }
  });

  it('lists every problem at once', () => {
    const tensors = tensorsFor(tinyConfig);
    tensors.get('wpe')!.dispose();
    tensors.delete('wpe');
    tensors.set('bogus', tf.zeros([1]));
    tensors.get('ln_f.b')!.dispose();
    tensors.set('ln_f.b', tf.zeros([tinyConfig.dModel + 1]));
    try {
      let message = '';
      try {
        Transformer.fromTensors(tinyConfig, tensors);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/missing wpe/);
      expect(message).toMatch(/unexpected bogus/);
      expect(message).toMatch(/ln_f\.b has shape/);
    } finally {
      disposeAll(tensors);
    }
  });

  it('rejects an LM checkpoint loaded as a reward model (missing head)', () => {
    const tensors = tensorsFor(tinyConfig);
    try {
      expect(() => Transformer.fromTensors({ ...tinyConfig, kind: 'reward' }, tensors)).toThrow(/missing reward\.w[\s\S]*missing reward\.b/);
    } finally {
      disposeAll(tensors);
    }
  });
});

describe('Transformer.init', () => {
  it('is deterministic in the seed', () => {
    const a = tinyModel(5);
    const b = tinyModel(5);
    const c = tinyModel(6);
    try {
      const sa = paramSnapshot(a);
      const sb = paramSnapshot(b);
      const sc = paramSnapshot(c);
      for (const [name, values] of sa) expect(bitEqual(values, sb.get(name)!), name).toBe(true);
      expect(bitEqual(sa.get('wte')!, sc.get('wte')!)).toBe(false);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('draws GPT-2 style initial values (N(0, 0.02), scaled residual projections, unit gains, zero biases)', () => {
    const config = { ...tinyConfig, dModel: 32, layers: 2, vocabSize: 100 };
    const model = Transformer.init(config, Rng.fromSeed(8));
    try {
      const std = (values: Float32Array): number => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
      const snapshot = paramSnapshot(model);
      expect(std(snapshot.get('wte')!)).toBeCloseTo(0.02, 2);
      expect(Math.abs(std(snapshot.get('wte')!) - 0.02)).toBeLessThan(0.002);
      expect(Math.abs(std(snapshot.get('h.0.attn.qkv.w')!) - 0.02)).toBeLessThan(0.002);
      const scaled = 0.02 / Math.sqrt(2 * config.layers);
      expect(Math.abs(std(snapshot.get('h.1.mlp.proj.w')!) - scaled)).toBeLessThan(0.1 * scaled);
      expect(Math.abs(std(snapshot.get('h.0.attn.proj.w')!) - scaled)).toBeLessThan(0.15 * scaled);
      expect(snapshot.get('h.0.ln_1.g')!.every((v) => v === 1)).toBe(true);
      expect(snapshot.get('ln_f.b')!.every((v) => v === 0)).toBe(true);
      expect(snapshot.get('h.1.mlp.fc.b')!.every((v) => v === 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('dispose frees every parameter', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(9);
    expect(tf.memory().numTensors).toBe(before + model.params.size);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('forward pass', () => {
  it('hidden, logits, tokenLogProbs and lmLoss agree with each other', () => {
    const model = tinyModel(10);
    const rows = [
      [1, 2, 3, 4, 5, 6, 7],
      [7, 7, 7, 0, 60, 59, 2],
    ];
    try {
      const [hShape, lShape] = tf.tidy(() => {
        const h = model.hidden(tf.tensor2d(rows, undefined, 'int32'));
        return [h.shape, model.logits(h).shape];
      });
      expect(hShape).toEqual([14, tinyConfig.dModel]);
      expect(lShape).toEqual([14, tinyConfig.vocabSize]);
      const lp = read(() => model.tokenLogProbs(tf.tensor2d(rows, undefined, 'int32')));
      expect(lp.length).toBe(2 * 6);
      // by hand from the logits of the inputs
      const logits = read(() => model.logits(model.hidden(tf.tensor2d(rows.map((r) => r.slice(0, -1)), undefined, 'int32'))));
      const V = tinyConfig.vocabSize;
      const byHand: number[] = [];
      for (let b = 0; b < 2; b++) {
        for (let t = 0; t < 6; t++) {
          const row = logits.subarray((b * 6 + t) * V, (b * 6 + t + 1) * V);
          const max = Math.max(...row);
          const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
          byHand.push(row[rows[b]![t + 1]!]! - lse);
        }
      }
      expect(maxAbsDiff(lp, byHand)).toBeLessThan(1e-5);
      const loss = read(() => model.lmLoss(tf.tensor2d(rows, undefined, 'int32')))[0]!;
      expect(loss).toBeCloseTo(-byHand.reduce((a, b) => a + b, 0) / byHand.length, 5);
    } finally {
      model.dispose();
    }
  });

  it('is causal: changing a later token does not change earlier hidden states', () => {
    const model = tinyModel(11);
    try {
      const a = read(() => model.hidden(tf.tensor2d([[4, 8, 15, 16, 23, 42]], undefined, 'int32')));
      const b = read(() => model.hidden(tf.tensor2d([[4, 8, 15, 16, 50, 42]], undefined, 'int32')));
      const d = tinyConfig.dModel;
      expect(maxAbsDiff(a.subarray(0, 4 * d), b.subarray(0, 4 * d))).toBe(0);
      expect(maxAbsDiff(a.subarray(4 * d), b.subarray(4 * d))).toBeGreaterThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  // Minor: prefill skips the context-length check that hidden() makes, so an over-long prompt fails inside
  // tf.gather ("GatherV2: the index value 24 is not in [0, 23]") instead of with a message about the model.
  it('prefill rejects a prompt longer than the context like hidden() does', () => {
    const model = tinyModel(12);
    try {
      const long = [Array.from({ length: tinyConfig.contextLength + 1 }, (_, i) => i % tinyConfig.vocabSize)];
      expect(() => tf.tidy(() => model.hidden(tf.tensor2d(long, undefined, 'int32')))).toThrow(/context length/);
      const ids = tf.tensor2d(long, undefined, 'int32');
      try {
        expect(() => model.prefill(ids)).toThrow(/context length/);
      } finally {
        ids.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

describe('toRewardModel', () => {
  it('keeps the backbone weights equal to the LM and adds a fresh scalar head', () => {
    const lm = tinyModel(13);
    const rm = lm.toRewardModel(Rng.fromSeed(14, 'head'));
    try {
      expect(rm.config).toEqual({ ...tinyConfig, kind: 'reward' });
      expect(lm.config.kind).toBe('lm');
      const lmValues = paramSnapshot(lm);
      const rmValues = paramSnapshot(rm);
      expect([...rmValues.keys()]).toEqual([...lmValues.keys(), 'reward.w', 'reward.b']);
      for (const [name, values] of lmValues) expect(bitEqual(rmValues.get(name)!, values), name).toBe(true);
      expect(rm.params.get('reward.w')!.shape).toEqual([tinyConfig.dModel, 1]);
      expect(Array.from(rmValues.get('reward.b')!)).toEqual([0]);
      const head = rmValues.get('reward.w')!;
      expect(head.some((v) => v !== 0)).toBe(true);
      // copies, not shared variables: changing one model leaves the other alone
      tf.tidy(() => rm.params.get('wte')!.assign(tf.zerosLike(rm.params.get('wte')!)));
      expect(bitEqual(paramSnapshot(lm).get('wte')!, lmValues.get('wte')!)).toBe(true);
    } finally {
      lm.dispose();
      rm.dispose();
    }
  });

  it('rewards() returns [B] finite values of sensible scale that survive disposing the LM', () => {
    const lm = tinyModel(15);
    const rm = lm.toRewardModel(Rng.fromSeed(16, 'head'));
    lm.dispose();
    try {
      const rows = [
        [1, 2, 3, 4, 5],
        [0, 0, 9, 9, 9],
        [5, 4, 3, 2, 1],
      ];
      const shape = tf.tidy(() => rm.rewards(tf.tensor2d(rows, undefined, 'int32'), [0, 2, 0]).shape);
      expect(shape).toEqual([3]);
      const r = read(() => rm.rewards(tf.tensor2d(rows, undefined, 'int32'), [0, 2, 0]));
      expect(r.every(Number.isFinite)).toBe(true);
      for (const v of r) expect(Math.abs(v)).toBeLessThan(10);
      expect(new Set(r).size).toBe(3);
      // the head is linear in the final hidden state at the last column
      const manual = read(() => {
        const ids = tf.tensor2d(rows, undefined, 'int32');
        const h = tf.reshape(rm.hidden(ids, [0, 2, 0]), [3, 5, tinyConfig.dModel]);
        const last = tf.reshape(tf.slice(h, [0, 4, 0], [3, 1, tinyConfig.dModel]), [3, tinyConfig.dModel]);
        return tf.reshape(tf.add(tf.matMul(last, rm.params.get('reward.w')!), rm.params.get('reward.b')!), [3]);
      });
      expect(maxAbsDiff(r, manual)).toBeLessThan(1e-5);
    } finally {
      rm.dispose();
    }
  });

  it('is deterministic in the head seed', () => {
    const lm = tinyModel(17);
    const a = lm.toRewardModel(Rng.fromSeed(1, 'head'));
    const b = lm.toRewardModel(Rng.fromSeed(1, 'head'));
    const c = lm.toRewardModel(Rng.fromSeed(2, 'head'));
    try {
      expect(bitEqual(paramSnapshot(a).get('reward.w')!, paramSnapshot(b).get('reward.w')!)).toBe(true);
      expect(bitEqual(paramSnapshot(a).get('reward.w')!, paramSnapshot(c).get('reward.w')!)).toBe(false);
    } finally {
      for (const m of [lm, a, b, c]) m.dispose();
    }
  });
});

describe('parameterCount', () => {
  const configs: ModelConfig[] = [
    tinyConfig,
    { ...tinyConfig, layers: 1, mlpRatio: 2 },
    { kind: 'lm', vocabSize: 97, contextLength: 31, layers: 3, dModel: 24, heads: 3, mlpRatio: 3 },
  ];
  for (const config of configs) {
    for (const kind of ['lm', 'reward'] as const) {
      it(`matches the sum of parameter sizes (${kind}, layers ${config.layers}, d ${config.dModel}, mlpRatio ${config.mlpRatio})`, () => {
        const lm = Transformer.init(config, Rng.fromSeed(3));
        const model = kind === 'lm' ? lm : lm.toRewardModel(Rng.fromSeed(4));
        try {
          let total = 0;
          for (const v of model.params.values()) total += v.size;
          const counts = model.parameterCount();
          expect(counts).toEqual(parameterCount(model.config));
          expect(counts.total).toBe(total);
          expect(counts.nonEmbedding).toBe(total - (config.vocabSize + config.contextLength) * config.dModel);
        } finally {
          model.dispose();
          if (model !== lm) lm.dispose();
        }
      });
    }
  }
});
