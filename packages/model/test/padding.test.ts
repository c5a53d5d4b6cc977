import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@goodhart/core';
import type { Transformer } from '../src/index.ts';
import { maxAbsDiff, read, tinyConfig, tinyModel } from './helpers.ts';

let lm: Transformer;
let rm: Transformer;
const d = tinyConfig.dModel;
const vocab = tinyConfig.vocabSize;

beforeAll(async () => {
  await initBackend('wasm');
  lm = tinyModel(41);
  // Give the biases and gains some non-trivial values so nothing cancels by accident.
  tf.tidy(() => {
    const rng = Rng.fromSeed(41, 'perturb');
    for (const [name, v] of lm.params) {
      if (name.endsWith('.b') || name.endsWith('.g')) {
        const noise = Float32Array.from({ length: v.size }, () => rng.normal() * 0.1);
        v.assign(tf.add(v, tf.tensor(noise, v.shape)));
      }
    }
  });
  rm = lm.toRewardModel(Rng.fromSeed(42, 'head'));
});
afterAll(() => {
  lm.dispose();
  rm.dispose();
});

const row = [7, 3, 19, 44, 2, 60];
const other = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

function hiddenOf(rows: number[][], starts?: number[]): Float32Array {
  return read(() => lm.hidden(tf.tensor2d(rows, undefined, 'int32'), starts));
}

describe('left padding', () => {
  it('is invisible to hidden states and logits at the real positions', () => {
    const alone = hiddenOf([row]);
    const pad = other.length - row.length;
    for (const padToken of [0, 17, 60]) {
      const padded = [[...new Array<number>(pad).fill(padToken), ...row], other];
      const batched = hiddenOf(padded, [pad, 0]);
      const real = batched.subarray(pad * d, other.length * d);
      expect(maxAbsDiff(real, alone), `pad token ${padToken}`).toBeLessThan(1e-5);
      // the unpadded neighbour in the batch is unaffected too
      expect(maxAbsDiff(batched.subarray(other.length * d), hiddenOf([other])), `neighbour, pad ${padToken}`).toBeLessThan(1e-5);
      const logitsPadded = read(() => {
        const h = lm.hidden(tf.tensor2d(padded, undefined, 'int32'), [pad, 0]);
        return tf.slice(lm.logits(h), [pad, 0], [row.length, vocab]);
      });
      const logitsAlone = read(() => lm.logits(lm.hidden(tf.tensor2d([row], undefined, 'int32'))));
      expect(maxAbsDiff(logitsPadded, logitsAlone)).toBeLessThan(1e-5);
    }
  });

  it('hidden states stay finite on pad columns (fully masked queries do not produce NaN)', () => {
    const h = hiddenOf([[0, 0, 0, 0, ...row]], [4]);
    expect(h.every(Number.isFinite)).toBe(true);
  });

  it('without starts, padding is real context (so the test above is not vacuous)', () => {
    const pad = 3;
    const unmasked = hiddenOf([[...new Array<number>(pad).fill(5), ...row]]);
    expect(maxAbsDiff(unmasked.subarray(pad * d), hiddenOf([row]))).toBeGreaterThan(1e-3);
  });

  it('is invisible to tokenLogProbs at real targets', () => {
    const pad = 4;
    const padded = read(() => lm.tokenLogProbs(tf.tensor2d([[...new Array<number>(pad).fill(1), ...row], [...other]], undefined, 'int32'), [pad, 0]));
    const alone = read(() => lm.tokenLogProbs(tf.tensor2d([row], undefined, 'int32')));
    const cols = other.length - 1;
    expect(padded.length).toBe(2 * cols);
    expect(maxAbsDiff(padded.subarray(pad, cols), alone)).toBeLessThan(1e-5);
  });

  it('is invisible to the reward read at the last column', () => {
    const rewardsOf = (rows: number[][], starts?: number[]): Float32Array => read(() => rm.rewards(tf.tensor2d(rows, undefined, 'int32'), starts));
    const alone = rewardsOf([row]);
    const otherAlone = rewardsOf([other]);
    for (const pad of [1, 4]) {
      const r = rewardsOf([[...new Array<number>(pad).fill(pad * 11), ...row], other.slice(0, row.length + pad)], [pad, 0]);
      expect(r.length).toBe(2);
      expect(Math.abs(r[0]! - alone[0]!), `pad ${pad}`).toBeLessThan(1e-5);
      expect(Math.abs(r[1]! - rewardsOf([other.slice(0, row.length + pad)])[0]!)).toBeLessThan(1e-5);
    }
    expect(Math.abs(rewardsOf([[...other]], [0])[0]! - otherAlone[0]!)).toBeLessThan(1e-6);
    // the reward depends on the whole sequence, not only the last token
    expect(Math.abs(rewardsOf([[1, 2, 3, ...row]])[0]! - alone[0]!)).toBeGreaterThan(1e-4);
  });

  it('rejects invalid starts and over-long sequences', () => {
    const ids = (): tf.Tensor2D => tf.tensor2d([row, row], undefined, 'int32');
    for (const starts of [[0, row.length], [-1, 0], [0.5, 0], [0]]) {
      expect(() => tf.tidy(() => lm.hidden(ids(), starts)), JSON.stringify(starts)).toThrow(/start/);
    }
    const tooLong = Array.from({ length: tinyConfig.contextLength + 1 }, (_, i) => i % vocab);
    expect(() => tf.tidy(() => lm.hidden(tf.tensor2d([tooLong], undefined, 'int32')))).toThrow(/context length/);
    expect(() => tf.tidy(() => lm.rewards(tf.tensor2d([row], undefined, 'int32')))).toThrow(/reward model/);
  });
});
