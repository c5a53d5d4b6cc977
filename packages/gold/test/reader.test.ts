import { describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { NgramReader } from '../src/reader.ts';

const V = 12;
/** A stream with structure a reader can learn: short "sentences" over a few patterns, end-of-text (0) between them. */
function stream(length: number, seed: number): number[] {
  const rng = Rng.fromSeed(seed, 'reader-test');
  const patterns = [
    [1, 2, 3, 4],
    [1, 5, 6],
    [7, 2, 3, 8, 9],
    [10, 11, 4],
  ];
  const out: number[] = [];
  while (out.length < length) {
    out.push(...patterns[rng.int(patterns.length)], 0);
    if (rng.float() < 0.1) out.push(1 + rng.int(V - 1));
  }
  return out.slice(0, length);
}

describe('NgramReader (interpolated Kneser–Ney)', () => {
  const train = stream(4000, 1);

  it.each([1, 2, 3, 4])('is a distribution over the vocabulary after any history (order %i)', (order) => {
    const reader = NgramReader.train(train, V, order);
    // Seen, unseen and too-short histories.
    for (const history of [[], [0], [1, 2], [7, 2, 3], [11, 11, 11], [5, 9, 1, 2]]) {
      let sum = 0;
      for (let token = 0; token < V; token++) sum += Math.exp(reader.logProb(history, history.length, token));
      expect(sum, JSON.stringify(history)).toBeCloseTo(1, 10);
    }
  });

  it('learns the stream: held-out text like it reads better than shuffled text, and higher orders read it better', () => {
    const heldOut = stream(2000, 2);
    const shuffled = Rng.fromSeed(3, 'shuffle').shuffle([...heldOut]);
    const losses = [1, 2, 3, 4].map((order) => NgramReader.train(train, V, order).crossEntropy(heldOut));
    expect(losses[0]).toBeLessThan(Math.log(V));
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1] + 1e-9);
    expect(losses[3]).toBeLessThan(losses[0] - 0.5);
    expect(NgramReader.train(train, V, 3).crossEntropy(shuffled)).toBeGreaterThan(losses[2] + 0.5);
  });

  it('reads a response after its prompt: the continuation the stream makes scores higher than one it never makes', () => {
    const reader = NgramReader.train(train, V, 3);
    expect(reader.meanLogProb(0, [7, 2], [3, 8, 9, 0])).toBeGreaterThan(reader.meanLogProb(0, [7, 2], [6, 11, 5, 9]));
    // The prompt is context: "3" follows "1 2" and "7 2", never "1 5".
    expect(reader.meanLogProb(0, [1, 2], [3])).toBeGreaterThan(reader.meanLogProb(0, [1, 5], [3]));
    expect(reader.meanLogProb(0, [1], [])).toBe(-Math.log(V));
  });

  it('is deterministic and summarises itself', () => {
    const a = NgramReader.train(train, V, 3);
    const b = NgramReader.train(Int32Array.from(train), V, 3);
    expect(a.crossEntropy(train)).toBe(b.crossEntropy(train));
    expect(a.summary()).toEqual({ order: 3, vocabSize: V, trainingTokens: train.length, discounts: b.summary().discounts });
    for (const d of a.summary().discounts) expect(d).toBeGreaterThan(0);
  });

  it('refuses what it cannot count exactly or read', () => {
    expect(() => NgramReader.train(train, V, 0)).toThrow(/order must be an integer ≥ 1/);
    expect(() => NgramReader.train(train, 1024, 6)).toThrow(/does not fit an exact n-gram code/);
    expect(() => NgramReader.train([1, 2], V, 3)).toThrow(/fewer than its order 3/);
    expect(() => NgramReader.train([1, 2, 12], V, 2)).toThrow(/token 12 at 2, outside \[0, 12\)/);
    const reader = NgramReader.train(train, V, 2);
    expect(() => reader.logProb([1], 1, -1)).toThrow(/token -1 outside/);
  });
});
