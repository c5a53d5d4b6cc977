import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { initBackend, registerWasmKernels } from '../src/tfjs/index.ts';
import { maxAbsDiff } from './helpers.ts';

beforeAll(async () => {
  await initBackend('wasm');
  registerWasmKernels(); // idempotent; importing the package already did it
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

/** Runs `fn` on the named backend (from plain arrays) and returns the downloaded result; switches back to wasm. */
async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  try {
    expect(tf.getBackend()).toBe(backend);
    return tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync() as ArrayLike<number>) }));
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

const rng = Rng.fromSeed(77, 'kernels');
const normals = (n: number): number[] => Array.from({ length: n }, () => rng.normal());

async function expectSameOnBothBackends(fn: () => tf.Tensor | tf.Tensor[], tolerance = 1e-5): Promise<void> {
  const wasm = await on('wasm', fn);
  const cpu = await on('cpu', fn);
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((w, i) => {
    expect(w.shape, `output ${i} shape`).toEqual(cpu[i]!.shape);
    expect(maxAbsDiff(w.values, cpu[i]!.values), `output ${i}`).toBeLessThan(tolerance);
  });
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
  });

  it('sums rows into segments, with repeated and unused ids, by hand', async () => {
    const [out] = await on('wasm', () =>
      tf.unsortedSegmentSum(
        tf.tensor2d([
          [1, 2],
          [10, 20],
          [100, 200],
          [1000, 2000],
        ]),
        tf.tensor1d([2, 0, 2, 2], 'int32'),
        4,
      ),
    );
    expect(out!.shape).toEqual([4, 2]);
    expect(Array.from(out!.values)).toEqual([10, 20, 0, 0, 1101, 2202, 0, 0]);
  });

  it('overwrites whatever the output buffer held before (fresh zeros every call)', async () => {
    const run = (): tf.Tensor => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3]), tf.tensor1d([0, 0, 1], 'int32'), 3);
    for (let i = 0; i < 3; i++) {
      const [out] = await on('wasm', () => {
        tf.fill([3], 12345).dataSync(); // leave garbage in freed heap memory
        return run();
      });
      expect(Array.from(out!.values)).toEqual([3, 3, 0]);
    }
  });

  it('equals the cpu backend for 1-D, 2-D and 3-D inputs', async () => {
    const ids = Array.from({ length: 40 }, () => rng.int(7));
    ids[3] = ids[4] = ids[5] = 6; // repeated
    const x1 = normals(40);
    const x2 = normals(40 * 5);
    const x3 = normals(40 * 3 * 2);
    await expectSameOnBothBackends(() => [
      tf.unsortedSegmentSum(tf.tensor1d(x1), tf.tensor1d(ids, 'int32'), 7),
      tf.unsortedSegmentSum(tf.tensor2d(x2, [40, 5]), tf.tensor1d(ids, 'int32'), 9),
      tf.unsortedSegmentSum(tf.tensor3d(x3, [40, 3, 2]), tf.tensor1d(ids, 'int32'), 7),
    ]);
  });

  it('is right when allocating the output grows the wasm heap', async () => {
    const heapBytes = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
    const rows = 3000;
    const width = 64;
    const before = heapBytes();
    // an output larger than the whole current heap forces a grow inside makeOutput
    const segments = Math.ceil(before / 4 / width) + 1;
    const ids = Array.from({ length: rows }, () => rng.int(segments));
    ids[0] = segments - 1;
    ids[1] = segments - 1;
    const x = Float32Array.from({ length: rows * width }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
    const expected = new Float32Array(segments * width);
    for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) expected[ids[r]! * width + c] += x[r * width + c]!;
    const [out] = await on('wasm', () => tf.unsortedSegmentSum(tf.tensor2d(x, [rows, width]), tf.tensor1d(ids, 'int32'), segments));
    expect(heapBytes()).toBeGreaterThan(before);
    expect(out!.shape).toEqual([segments, width]);
    expect(maxAbsDiff(out!.values, expected)).toBeLessThan(1e-5);
  });
});

describe('gather gradient on wasm', () => {
  it('accumulates repeated indices (axis 0), matching cpu and a hand computation', async () => {
    const table = normals(6 * 4);
    const indices = [1, 3, 1, 1, 5, 0, 3];
    const upstream = normals(indices.length * 4);
    const grad = (): tf.Tensor =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(indices, 'int32')), tf.tensor2d(upstream, [indices.length, 4]))))(
        tf.tensor2d(table, [6, 4]),
      );
    const [wasm] = await on('wasm', grad);
    const [cpu] = await on('cpu', grad);
    const byHand = new Float32Array(6 * 4);
    indices.forEach((row, i) => {
      for (let c = 0; c < 4; c++) byHand[row * 4 + c] += upstream[i * 4 + c]!;
    });
    expect(wasm!.shape).toEqual([6, 4]);
    expect(maxAbsDiff(wasm!.values, byHand)).toBeLessThan(1e-6);
    expect(maxAbsDiff(wasm!.values, cpu!.values)).toBeLessThan(1e-6);
    // rows never gathered get zero gradient
    for (const row of [2, 4]) for (let c = 0; c < 4; c++) expect(wasm!.values[row * 4 + c]).toBe(0);
  });

  it('matches cpu for 2-D indices and for axis 1', async () => {
    const table = normals(5 * 6);
    const idx2d = [
      [0, 4, 4],
      [2, 2, 1],
    ];
    const cols = [5, 0, 5, 2];
    await expectSameOnBothBackends(() => {
      const x = tf.tensor2d(table, [5, 6]);
      const g2d = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor2d(idx2d, undefined, 'int32')))))(x);
      const gAxis1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(cols, 'int32'), 1), tf.range(0, 20).reshape([5, 4]))))(x);
      return [g2d, gAxis1];
    });
  });

  it('embedding gradient of the model flows through it (one-hot product reference)', async () => {
    const vocab = 9;
    const table = normals(vocab * 3);
    const ids = [4, 4, 8, 0, 4];
    const weights = normals(ids.length * 3);
    const [viaGather, viaOneHot] = await on('wasm', () => {
      const x = tf.tensor2d(table, [vocab, 3]);
      const w = tf.tensor2d(weights, [ids.length, 3]);
      const a = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.gather(t, tf.tensor1d(ids, 'int32'))), w)))(x);
      const b = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.matMul(tf.oneHot(tf.tensor1d(ids, 'int32'), vocab).toFloat(), t as tf.Tensor2D)), w)))(x);
      return [a, b];
    });
    expect(maxAbsDiff(viaGather!.values, viaOneHot!.values)).toBeLessThan(1e-6);
  });
});
