import * as tf from '@tensorflow/tfjs';
import { Rng } from '@goodhart/core';
import { Transformer, type ModelConfig } from '../src/index.ts';

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

export function tinyModel(seed = 1, overrides: Partial<ModelConfig> = {}): Transformer {
  return Transformer.init({ ...tinyConfig, ...overrides }, Rng.fromSeed(seed, 'model-test/init'));
}

/** Runs `fn` in a tidy and downloads the resulting tensor. */
export function read(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  try {
    return Float32Array.from(t.dataSync() as ArrayLike<number>);
  } finally {
    t.dispose();
  }
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

export function paramSnapshot(model: Transformer): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of model.params) out.set(name, Float32Array.from(variable.dataSync() as Float32Array));
  return out;
}

export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) return false;
  return true;
}
