import { Rng } from '@goodhart/core';
import {
  createEngine,
  defaultAdamW,
  initWeights,
  type AdamWOptions,
  type Engine,
  type EngineName,
  type Model,
  type ModelConfig,
  type NamedTensor,
  type TokenBatch,
} from '../src/index.ts';

/** A model small enough that every test runs in milliseconds. */
export const tinyConfig: ModelConfig = {
  kind: 'lm',
  vocabSize: 61,
  contextLength: 24,
  layers: 2,
  dModel: 16,
  heads: 2,
  mlpRatio: 4,
};

/**
 * Whether the native addon loads in this process. Imported dynamically inside a try, so a missing or broken
 * @goodhart/native leaves the tfjs tests running.
 */
async function nativeLoads(): Promise<boolean> {
  try {
    const native = await import('@goodhart/native');
    return 'binding' in native.loadNativeBinding();
  } catch {
    return false;
  }
}

/** The engines engine-agnostic tests run on: always tfjs (the reference), native when its addon loads. */
export const availableEngineNames: readonly EngineName[] = (await nativeLoads()) ? ['tfjs', 'native'] : ['tfjs'];

const engines = new Map<EngineName, Promise<Engine>>();

/** One engine per name and process; tfjs on the wasm backend (deterministic, needs no native TensorFlow). */
export function engineNamed(name: EngineName): Promise<Engine> {
  let engine = engines.get(name);
  if (!engine) {
    engine = createEngine(name, 'wasm');
    engines.set(name, engine);
  }
  return engine;
}

export const tfjsEngine = (): Promise<Engine> => engineNamed('tfjs');

/** Fresh weights of the tiny config (with overrides) from a seed. */
export function tinyWeights(seed = 1, overrides: Partial<ModelConfig> = {}, extraHeads: readonly string[] = []): Map<string, NamedTensor> {
  return initWeights({ ...tinyConfig, ...overrides }, Rng.fromSeed(seed, 'model-test/init'), extraHeads);
}

export function tinyModel(engine: Engine, seed = 1, overrides: Partial<ModelConfig> = {}, extraHeads: readonly string[] = []): Model {
  return engine.createModel({ ...tinyConfig, ...overrides }, tinyWeights(seed, overrides, extraHeads), extraHeads);
}

/** Deep copy of a weight map. */
export function copyWeights(weights: ReadonlyMap<string, NamedTensor>): Map<string, NamedTensor> {
  return new Map([...weights].map(([name, { shape, data }]) => [name, { shape: [...shape], data: Float32Array.from(data) }]));
}

/** Adds N(0, scale²) noise to every bias and gain, so LayerNorm parameters and biases are not trivially 0 or 1. */
export function perturbBiasesAndGains(weights: Map<string, NamedTensor>, rng: Rng, scale = 0.1): Map<string, NamedTensor> {
  for (const [name, tensor] of weights) {
    if (name.endsWith('.b') || name.endsWith('.g')) for (let i = 0; i < tensor.data.length; i++) tensor.data[i] += rng.normal() * scale;
  }
  return weights;
}

/**
 * Names of `dModel` probe heads whose weights are the unit vectors e_k (bias 0): head k reads coordinate k of the
 * final (LayerNormed) hidden state, so a forward with heads 'all' exposes the hidden states through the interface.
 */
export function probeHeadNames(dModel: number): string[] {
  return Array.from({ length: dModel }, (_, k) => `e${k}`);
}

/** A model of `config` from `weights` plus unit-vector probe heads (see probeHeadNames). */
export function probeModel(engine: Engine, config: ModelConfig, weights: ReadonlyMap<string, NamedTensor>): Model {
  const d = config.dModel;
  const withProbes = copyWeights(weights);
  for (const [k, head] of probeHeadNames(d).entries()) {
    const w = new Float32Array(d);
    w[k] = 1;
    withProbes.set(`${head}.w`, { shape: [d, 1], data: w });
    withProbes.set(`${head}.b`, { shape: [1], data: new Float32Array(1) });
  }
  return engine.createModel(config, withProbes, probeHeadNames(d));
}

/** Final hidden states [rows·width·d] (row-major, d fastest) read through a probe model's heads. */
export function hiddenStates(probe: Model, batch: TokenBatch): Float32Array {
  const d = probe.config.dModel;
  const heads = probe.forward(batch, { heads: 'all' }).heads;
  const cells = batch.rows * batch.width;
  const out = new Float32Array(cells * d);
  for (let k = 0; k < d; k++) {
    const column = heads[`e${k}`];
    for (let i = 0; i < cells; i++) out[i * d + k] = column[i];
  }
  return out;
}

/**
 * log p(v | sequence) of every token v after each sequence (the next-token log-softmax at its last position), [B][V],
 * from the forward pass: each sequence is repeated V times with every possible target at its last column.
 */
export function nextTokenLogProbs(model: Model, sequences: readonly (readonly number[])[], starts?: readonly number[]): Float64Array[] {
  const vocab = model.config.vocabSize;
  const width = Math.max(...sequences.map((s) => s.length));
  const rows = sequences.length * vocab;
  const ids = new Int32Array(rows * width);
  const rowStarts = new Int32Array(rows);
  const targets = new Int32Array(rows * width);
  sequences.forEach((sequence, b) => {
    const pad = width - sequence.length;
    for (let v = 0; v < vocab; v++) {
      const row = b * vocab + v;
      ids.set(sequence, row * width + pad);
      rowStarts[row] = starts ? starts[b] : pad;
      targets[row * width + width - 1] = v;
    }
  });
  const logProbs = model.forward({ rows, width, ids, starts: rowStarts }, { targets }).logProbs!;
  return sequences.map((_, b) => Float64Array.from({ length: vocab }, (_, v) => logProbs[(b * vocab + v) * width + width - 1]));
}

export function logSoftmax(row: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += Math.exp(row[i] - max);
  return Array.from(row, (v) => v - max - Math.log(total));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** max |a − b| / max(|b|) over all entries: a scale-aware relative error for gradient comparisons. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / Math.max(scale, 1e-12);
}

/** Random integer ids in [0, vocab) from a seeded stream. */
export function randomIds(rng: Rng, count: number, vocab: number): number[] {
  return Array.from({ length: count }, () => rng.int(vocab));
}

export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) return false;
  return true;
}

/** Names of the tensors that differ (in shape or any bit) between two weight maps, plus any missing from either. */
export function differingWeights(a: ReadonlyMap<string, NamedTensor>, b: ReadonlyMap<string, NamedTensor>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => {
    const x = a.get(name);
    const y = b.get(name);
    return !x || !y || x.shape.join(',') !== y.shape.join(',') || !bitEqual(x.data, y.data);
  });
}

/**
 * The parameter gradient a model accumulated, read through one AdamW step that reveals it: with β1 = β2 = 0 the
 * update is g/(|g| + ε); with ε = 1e20 that is g·1e-20 and a learning rate of 1e20·scale moves each weight by
 * −scale·g. Consumes the model's step (use a throwaway model built from the weights of interest).
 */
export function revealGradients(model: Model, scale = 1e3): Map<string, Float64Array> {
  const before = model.weights();
  const probe: AdamWOptions = { ...defaultAdamW, beta1: 0, beta2: 0, epsilon: 1e20, weightDecay: 0, gradientClip: Infinity };
  model.step(1e20 * scale, probe);
  const out = new Map<string, Float64Array>();
  for (const [name, tensor] of model.weights()) {
    const old = before.get(name)!.data;
    out.set(
      name,
      Float64Array.from(tensor.data, (value, i) => (old[i] - value) / scale),
    );
  }
  return out;
}
