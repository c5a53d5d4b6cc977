import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import {
  checkWeights,
  initWeights,
  languageModelLoss,
  nextTokenBatch,
  parameterCount,
  parameterLayout,
  parameterShapes,
  rewardWeightsFromLm,
  tokenBatch,
  validateModelConfig,
  type Engine,
  type ModelConfig,
  type NamedTensor,
} from '../src/index.ts';
import {
  availableEngineNames,
  bitEqual,
  copyWeights,
  differingWeights,
  engineNamed,
  hiddenStates,
  logSoftmax,
  maxAbsDiff,
  nextTokenLogProbs,
  probeModel,
  tfjsEngine,
  tinyConfig,
  tinyModel,
  tinyWeights,
} from './helpers.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await tfjsEngine();
});

/** The error message `fn` throws ('' if it does not). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('validateModelConfig', () => {
  it('accepts a valid config and returns it', () => {
    expect(validateModelConfig(tinyConfig)).toBe(tinyConfig);
  });

  it('rejects heads that do not divide dModel', () => {
    expect(() => validateModelConfig({ ...tinyConfig, dModel: 16, heads: 3 })).toThrow(/heads: 3 must divide dModel 16/);
    expect(() => initWeights({ ...tinyConfig, dModel: 30, heads: 4 }, Rng.fromSeed(1))).toThrow(/must divide dModel 30/);
    expect(() => parameterLayout({ ...tinyConfig, dModel: 30, heads: 4 })).toThrow(/must divide dModel 30/);
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

describe('parameterLayout', () => {
  it('lists the GPT-2 parameters in order, then a reward head, then extra heads', () => {
    const names = [...parameterLayout(tinyConfig).keys()];
    expect(names.slice(0, 4)).toEqual(['wte', 'wpe', 'h.0.ln_1.g', 'h.0.ln_1.b']);
    expect(names.slice(-2)).toEqual(['ln_f.g', 'ln_f.b']);
    expect(names).toHaveLength(2 + 12 * tinyConfig.layers + 2);
    expect(parameterLayout(tinyConfig).get('h.1.mlp.fc.w')).toEqual([16, 64]);
    const reward = [...parameterLayout({ ...tinyConfig, kind: 'reward' }, ['value']).entries()];
    expect(reward.slice(-4)).toEqual([
      ['reward.w', [16, 1]],
      ['reward.b', [1]],
      ['value.w', [16, 1]],
      ['value.b', [1]],
    ]);
    // a checkpoint holds only the config's own parameters
    expect([...parameterShapes({ ...tinyConfig, kind: 'reward' }).keys()].slice(-2)).toEqual(['reward.w', 'reward.b']);
  });

  it('rejects bad or repeated head names', () => {
    expect(() => parameterLayout(tinyConfig, ['Value'])).toThrow(/head name "Value"/);
    expect(() => parameterLayout(tinyConfig, ['value', 'value'])).toThrow(/head "value" is given twice/);
    expect(() => parameterLayout({ ...tinyConfig, kind: 'reward' }, ['reward'])).toThrow(/head "reward" is given twice/);
  });
});

describe('engine.createModel (tfjs)', () => {
  it('builds a model holding copies of matching weights, in layout order', () => {
    const weights = tinyWeights(1);
    const model = engine.createModel(tinyConfig, weights);
    try {
      expect(model.engine).toBe('tfjs');
      expect(model.config).toEqual(tinyConfig);
      expect(model.headNames).toEqual([]);
      expect(model.steps).toBe(0);
      const held = model.weights();
      expect([...held.keys()]).toEqual([...parameterShapes(tinyConfig).keys()]);
      expect(differingWeights(held, weights)).toEqual([]);
      // copies both ways: changing the input or the returned map leaves the model alone
      const before = model.forward(tokenBatch([[1, 2, 3, 4]]), { targets: Int32Array.from([2, 3, 4, 5]) }).logProbs!;
      weights.get('wte')!.data.fill(0);
      held.get('wte')!.data.fill(0);
      const after = model.forward(tokenBatch([[1, 2, 3, 4]]), { targets: Int32Array.from([2, 3, 4, 5]) }).logProbs!;
      expect(bitEqual(before, after)).toBe(true);
      expect(
        model
          .weights()
          .get('wte')!
          .data.some((v) => v !== 0),
      ).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('rejects a missing tensor, naming it', () => {
    const weights = tinyWeights(1);
    weights.delete('h.1.ln_2.g');
    expect(() => engine.createModel(tinyConfig, weights)).toThrow(/missing h\.1\.ln_2\.g/);
  });

  it('rejects an extra tensor, naming it', () => {
    const weights = tinyWeights(1);
    weights.set('reward.w', { shape: [tinyConfig.dModel, 1], data: new Float32Array(tinyConfig.dModel) });
    expect(() => engine.createModel(tinyConfig, weights)).toThrow(/unexpected reward\.w/);
  });

  it('rejects a misshapen tensor, naming it with both shapes', () => {
    const weights = tinyWeights(1);
    weights.set('h.0.attn.qkv.w', { shape: [3 * tinyConfig.dModel, tinyConfig.dModel], data: new Float32Array(3 * tinyConfig.dModel ** 2) });
    expect(() => engine.createModel(tinyConfig, weights)).toThrow(/h\.0\.attn\.qkv\.w has shape \[48,16\], expected \[16,48\]/);
    // right shape, wrong number of values
    const short = tinyWeights(1);
    short.set('ln_f.g', { shape: [tinyConfig.dModel], data: new Float32Array(3) });
    expect(() => engine.createModel(tinyConfig, short)).toThrow(/ln_f\.g holds 3 values, expected 16/);
  });

  it('rejects non-finite weights, naming the tensor and the index', () => {
    const weights = tinyWeights(1);
    weights.get('h.0.mlp.proj.b')!.data[5] = NaN;
    expect(() => engine.createModel(tinyConfig, weights)).toThrow(/h\.0\.mlp\.proj\.b holds a non-finite value \(NaN\) at index 5/);
  });

  it('lists every problem at once', () => {
    const weights = tinyWeights(1);
    weights.delete('wpe');
    weights.set('bogus', { shape: [1], data: new Float32Array(1) });
    weights.set('ln_f.b', { shape: [tinyConfig.dModel + 1], data: new Float32Array(tinyConfig.dModel + 1) });
    const message = messageOf(() => engine.createModel(tinyConfig, weights));
    expect(message).toMatch(/missing wpe/);
    expect(message).toMatch(/unexpected bogus/);
    expect(message).toMatch(/ln_f\.b has shape/);
    // checkWeights is the same check, engine-free
    expect(messageOf(() => checkWeights(parameterLayout(tinyConfig), weights))).toBe(message);
  });

  it('rejects an LM checkpoint loaded as a reward model (missing head)', () => {
    expect(() => engine.createModel({ ...tinyConfig, kind: 'reward' }, tinyWeights(1))).toThrow(/missing reward\.w[\s\S]*missing reward\.b/);
  });

  it('needs the weights of every extra head', () => {
    expect(() => engine.createModel(tinyConfig, tinyWeights(1), ['value'])).toThrow(/missing value\.w[\s\S]*missing value\.b/);
    const model = engine.createModel(tinyConfig, tinyWeights(1, {}, ['value']), ['value']);
    try {
      expect(model.headNames).toEqual(['value']);
      expect([...model.weights().keys()].slice(-2)).toEqual(['value.w', 'value.b']);
    } finally {
      model.dispose();
    }
  });

  it('dispose frees every tensor: weights and optimizer moments of an LM', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(engine, 9);
    const parameters = parameterLayout(tinyConfig).size;
    expect(tf.memory().numTensors).toBe(before + parameters);
    const batch = tokenBatch([
      [1, 2, 3],
      [4, 5],
    ]);
    model.forward(batch, { targets: Int32Array.from([2, 3, 4, 5, 6, 7]), train: true });
    model.backward({ logProbs: new Float32Array(6).fill(-1 / 6) });
    model.step(1e-3, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, gradientClip: 1 });
    expect(tf.memory().numTensors).toBe(before + 3 * parameters); // weights and two moments
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  // Fails until tfjs-model.ts disposes the tensor it wraps in each head variable (TfjsModel.create).
  it('dispose frees every tensor of a model with scalar heads', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel(engine, 9, { kind: 'reward' }, ['value']);
    const parameters = parameterLayout({ ...tinyConfig, kind: 'reward' }, ['value']).size;
    expect(tf.memory().numTensors).toBe(before + parameters);
    model.forward(
      tokenBatch([
        [1, 2, 3],
        [4, 5],
      ]),
      { heads: 'last', train: true },
    );
    model.backward({ heads: { reward: Float32Array.from([1, -1]), value: Float32Array.from([0.5, 0.5]) } });
    model.step(1e-3, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, gradientClip: 1 });
    expect(tf.memory().numTensors).toBe(before + 3 * parameters);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  // Fails until tfjs-model.ts's loadOptimizerState (and moments(), called outside a tidy) dispose their temporaries.
  it('loading optimizer state leaves no tensors behind', () => {
    const source = tinyModel(engine, 9);
    source.forward(tokenBatch([[1, 2, 3]]), { targets: Int32Array.from([2, 3, 4]), train: true });
    source.backward({ logProbs: Float32Array.from([-1, -1, -1]) });
    source.step(1e-3, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0, gradientClip: 1 });
    const state = source.optimizerState();
    source.dispose();
    const before = tf.memory().numTensors;
    const model = tinyModel(engine, 9);
    const parameters = parameterLayout(tinyConfig).size;
    model.loadOptimizerState(state.tensors, state.steps);
    expect(model.steps).toBe(1);
    expect(tf.memory().numTensors).toBe(before + 3 * parameters);
    model.loadOptimizerState(state.tensors, state.steps); // again, over existing moments
    expect(tf.memory().numTensors).toBe(before + 3 * parameters);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('initWeights', () => {
  it('is deterministic in the seed', () => {
    const a = tinyWeights(5);
    const b = tinyWeights(5);
    const c = tinyWeights(6);
    expect(differingWeights(a, b)).toEqual([]);
    expect(bitEqual(a.get('wte')!.data, c.get('wte')!.data)).toBe(false);
  });

  it('draws GPT-2 style initial values (N(0, 0.02), scaled residual projections, unit gains, zero biases)', () => {
    const config = { ...tinyConfig, dModel: 32, layers: 2, vocabSize: 100 };
    const weights = initWeights(config, Rng.fromSeed(8));
    const std = (values: Float32Array): number => Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    const at = (name: string): Float32Array => weights.get(name)!.data;
    expect(std(at('wte'))).toBeCloseTo(0.02, 2);
    expect(Math.abs(std(at('wte')) - 0.02)).toBeLessThan(0.002);
    expect(Math.abs(std(at('h.0.attn.qkv.w')) - 0.02)).toBeLessThan(0.002);
    const scaled = 0.02 / Math.sqrt(2 * config.layers);
    expect(Math.abs(std(at('h.1.mlp.proj.w')) - scaled)).toBeLessThan(0.1 * scaled);
    expect(Math.abs(std(at('h.0.attn.proj.w')) - scaled)).toBeLessThan(0.15 * scaled);
    expect(at('h.0.ln_1.g').every((v) => v === 1)).toBe(true);
    expect(at('ln_f.b').every((v) => v === 0)).toBe(true);
    expect(at('h.1.mlp.fc.b').every((v) => v === 0)).toBe(true);
  });

  it('starts extra heads at zero and a reward head at std 1/√(d+1), without shifting the trunk draws', () => {
    const config: ModelConfig = { ...tinyConfig, kind: 'reward', dModel: 64, heads: 4 };
    const weights = initWeights(config, Rng.fromSeed(3), ['value']);
    expect(weights.get('value.w')!.data.every((v) => v === 0)).toBe(true);
    expect(weights.get('value.b')!.data.every((v) => v === 0)).toBe(true);
    const head = weights.get('reward.w')!.data;
    const std = Math.sqrt(head.reduce((s, v) => s + v * v, 0) / head.length);
    expect(Math.abs(std - 1 / Math.sqrt(65))).toBeLessThan(0.35 / Math.sqrt(65));
    const plain = initWeights(config, Rng.fromSeed(3));
    expect(differingWeights(new Map([...weights].filter(([name]) => !name.startsWith('value.'))), plain)).toEqual([]);
  });
});

describe('forward pass (tfjs)', () => {
  const rows = [
    [1, 2, 3, 4, 5, 6, 7],
    [7, 7, 7, 0, 60, 59, 2],
  ];

  it('log-probs are a normalised next-token distribution, agree with decoding and with languageModelLoss', () => {
    const model = tinyModel(engine, 10);
    try {
      const windows = Int32Array.from(rows.flat());
      const { batch, targets } = nextTokenBatch(windows, 2, 7);
      const out = model.forward(batch, { targets });
      expect(out.heads).toEqual({});
      expect(out.logProbs!.length).toBe(2 * 6);
      // the full next-token distribution at every prefix, from the same forward pass
      const V = tinyConfig.vocabSize;
      const prefixes = rows.flatMap((r) => Array.from({ length: 6 }, (_, t) => r.slice(0, t + 1)));
      const distributions = nextTokenLogProbs(model, prefixes);
      const byHand: number[] = [];
      prefixes.forEach((prefix, k) => {
        const logProbs = distributions[k];
        expect(logProbs.length).toBe(V);
        expect(Math.abs(logProbs.reduce((s, v) => s + Math.exp(v), 0) - 1), `prefix ${k}`).toBeLessThan(1e-5);
        const b = Math.floor(k / 6);
        byHand.push(logProbs[rows[b][prefix.length]]);
      });
      expect(maxAbsDiff(out.logProbs!, byHand)).toBeLessThan(1e-5);
      // the decoder's logits after each whole row give the same distribution
      const session = model.prefill(tokenBatch(rows));
      try {
        const decoded = [0, 1].map((b) => logSoftmax(session.logits.subarray(b * V, (b + 1) * V)));
        const full = nextTokenLogProbs(model, rows);
        for (const b of [0, 1]) expect(maxAbsDiff(decoded[b], full[b]), `row ${b}`).toBeLessThan(1e-4);
      } finally {
        session.dispose();
      }
      const loss = languageModelLoss(model, windows, 2, 7);
      expect(loss).toBeCloseTo(-byHand.reduce((a, b) => a + b, 0) / byHand.length, 5);
    } finally {
      model.dispose();
    }
  });

  it('is causal: changing a later token does not change earlier hidden states or log-probs', () => {
    const weights = tinyWeights(11);
    const probe = probeModel(engine, tinyConfig, weights);
    const model = engine.createModel(tinyConfig, weights);
    try {
      const a = hiddenStates(probe, tokenBatch([[4, 8, 15, 16, 23, 42]]));
      const b = hiddenStates(probe, tokenBatch([[4, 8, 15, 16, 50, 42]]));
      const d = tinyConfig.dModel;
      expect(maxAbsDiff(a.subarray(0, 4 * d), b.subarray(0, 4 * d))).toBe(0);
      expect(maxAbsDiff(a.subarray(4 * d), b.subarray(4 * d))).toBeGreaterThan(1e-4);
      const targets = Int32Array.from([1, 2, 3, 4, 5, 6]);
      const lpA = model.forward(tokenBatch([[4, 8, 15, 16, 23, 42]]), { targets }).logProbs!;
      const lpB = model.forward(tokenBatch([[4, 8, 15, 16, 50, 42]]), { targets }).logProbs!;
      expect(maxAbsDiff(lpA.subarray(0, 4), lpB.subarray(0, 4))).toBe(0);
      expect(maxAbsDiff(lpA.subarray(4), lpB.subarray(4))).toBeGreaterThan(1e-4);
    } finally {
      probe.dispose();
      model.dispose();
    }
  });

  it('forward and prefill reject a prompt longer than the context', () => {
    const model = tinyModel(engine, 12);
    try {
      const long = tokenBatch([Array.from({ length: tinyConfig.contextLength + 1 }, (_, i) => i % tinyConfig.vocabSize)]);
      expect(() => model.forward(long, {})).toThrow(/exceeds the model's context length 24/);
      expect(() => model.prefill(long)).toThrow(/exceeds the model's context length 24/);
    } finally {
      model.dispose();
    }
  });
});

describe('rewardWeightsFromLm', () => {
  it('keeps the backbone weights equal to the LM and adds a fresh scalar head', () => {
    const lmWeights = tinyWeights(13);
    const { config, weights } = rewardWeightsFromLm(tinyConfig, lmWeights, Rng.fromSeed(14, 'head'));
    expect(config).toEqual({ ...tinyConfig, kind: 'reward' });
    expect(tinyConfig.kind).toBe('lm');
    expect([...weights.keys()]).toEqual([...lmWeights.keys(), 'reward.w', 'reward.b']);
    for (const [name, tensor] of lmWeights) expect(bitEqual(weights.get(name)!.data, tensor.data), name).toBe(true);
    expect(weights.get('reward.w')!.shape).toEqual([tinyConfig.dModel, 1]);
    expect(Array.from(weights.get('reward.b')!.data)).toEqual([0]);
    expect(weights.get('reward.w')!.data.some((v) => v !== 0)).toBe(true);
    // copies, not shared arrays: changing one leaves the other alone
    const original = Float32Array.from(lmWeights.get('wte')!.data);
    weights.get('wte')!.data.fill(0);
    expect(bitEqual(lmWeights.get('wte')!.data, original)).toBe(true);
    expect(() => rewardWeightsFromLm(config, weights, Rng.fromSeed(1))).toThrow(/starts from a language model/);
  });

  it('reward heads return [B] finite values of sensible scale that survive disposing the LM', () => {
    const lm = tinyModel(engine, 15);
    const { config, weights } = rewardWeightsFromLm(lm.config, lm.weights(), Rng.fromSeed(16, 'head'));
    lm.dispose();
    const rm = engine.createModel(config, weights);
    const probe = probeModel(engine, config, weights);
    try {
      expect(rm.headNames).toEqual(['reward']);
      const rows = [
        [1, 2, 3, 4, 5],
        [0, 0, 9, 9, 9],
        [5, 4, 3, 2, 1],
      ];
      const batch = { rows: 3, width: 5, ids: Int32Array.from(rows.flat()), starts: Int32Array.from([0, 2, 0]) };
      const r = rm.forward(batch, { heads: 'last' }).heads.reward;
      expect(r.length).toBe(3);
      expect(r.every(Number.isFinite)).toBe(true);
      for (const v of r) expect(Math.abs(v)).toBeLessThan(10);
      expect(new Set(r).size).toBe(3);
      // the 'all' readout's last column is the 'last' readout
      const all = rm.forward(batch, { heads: 'all' }).heads.reward;
      expect(all.length).toBe(15);
      expect(maxAbsDiff([all[4], all[9], all[14]], r)).toBeLessThan(1e-6);
      // the head is linear in the final hidden state at the last column
      const hidden = hiddenStates(probe, batch);
      const d = config.dModel;
      const w = weights.get('reward.w')!.data;
      const bias = weights.get('reward.b')!.data[0];
      const manual = [0, 1, 2].map((b) => {
        let total = bias;
        for (let k = 0; k < d; k++) total += hidden[(b * 5 + 4) * d + k] * w[k];
        return total;
      });
      expect(maxAbsDiff(r, manual)).toBeLessThan(1e-5);
    } finally {
      rm.dispose();
      probe.dispose();
    }
  });

  it('is deterministic in the head seed', () => {
    const lmWeights = tinyWeights(17);
    const head = (seed: number): Float32Array => rewardWeightsFromLm(tinyConfig, lmWeights, Rng.fromSeed(seed, 'head')).weights.get('reward.w')!.data;
    expect(bitEqual(head(1), head(1))).toBe(true);
    expect(bitEqual(head(1), head(2))).toBe(false);
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
        const lmWeights = initWeights(config, Rng.fromSeed(3));
        const { config: modelConfig, weights } = kind === 'lm' ? { config, weights: lmWeights } : rewardWeightsFromLm(config, lmWeights, Rng.fromSeed(4));
        const model = engine.createModel(modelConfig, weights);
        try {
          let total = 0;
          for (const tensor of model.weights().values()) total += tensor.data.length;
          const counts = parameterCount(model.config);
          expect(counts.total).toBe(total);
          expect(counts.nonEmbedding).toBe(total - (config.vocabSize + config.contextLength) * config.dModel);
        } finally {
          model.dispose();
        }
      });
    }
  }
});

for (const name of availableEngineNames) {
  describe(`weights round trip through an engine (${name})`, () => {
    it('weights() returns exactly what createModel was given, heads included', async () => {
      const engineUnderTest = await engineNamed(name);
      const config: ModelConfig = { ...tinyConfig, kind: 'reward' };
      const weights: Map<string, NamedTensor> = copyWeights(initWeights(config, Rng.fromSeed(2), ['value']));
      weights.get('value.w')!.data.fill(0.5);
      const model = engineUnderTest.createModel(config, weights, ['value']);
      try {
        expect(model.engine).toBe(name);
        expect(model.headNames).toEqual(['reward', 'value']);
        expect([...model.weights().keys()]).toEqual([...parameterLayout(config, ['value']).keys()]);
        expect(differingWeights(model.weights(), weights)).toEqual([]);
        const state = model.optimizerState();
        expect(state.steps).toBe(0);
        expect(state.tensors.size).toBe(2 * weights.size);
        for (const [tensorName, tensor] of state.tensors)
          expect(
            tensor.data.every((v) => v === 0),
            tensorName,
          ).toBe(true);
      } finally {
        model.dispose();
      }
    });
  });
}
