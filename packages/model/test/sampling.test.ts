import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, Rng } from '@goodhart/core';
import { disposeCache, leftPad, sample, type Transformer } from '../src/index.ts';
import { maxAbsDiff, read, tinyConfig, tinyModel } from './helpers.ts';

let model: Transformer;
const vocab = tinyConfig.vocabSize;

beforeAll(async () => {
  await initBackend('wasm');
  model = tinyModel(21);
});
afterAll(() => model.dispose());

/** Next-token logits at the last column of a full (uncached) forward pass, [B, vocab]. */
function fullLastLogits(m: Transformer, rows: number[][], starts: number[]): Float32Array {
  const batch = rows.length;
  const time = rows[0]!.length;
  return read(() => {
    const ids = tf.tensor2d(rows, [batch, time], 'int32');
    const logits = tf.reshape(m.logits(m.hidden(ids, starts)), [batch, time, m.config.vocabSize]);
    return tf.slice(logits, [0, time - 1, 0], [batch, 1, m.config.vocabSize]);
  });
}

function logSoftmax(row: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += Math.exp(row[i] - max);
  return Array.from(row, (v) => v - max - Math.log(total));
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

const prompts = [
  [3, 4, 5, 6, 7],
  [8, 9],
  [10, 11, 12, 13, 14, 15, 16],
  [42],
];

describe('KV cache', () => {
  it('prefill + decodeStep logits equal a full forward over the sequence so far (left-padded prompts)', () => {
    const { ids, starts } = leftPad(prompts, 0);
    expect(starts).toEqual([2, 5, 0, 6]);
    const batch = prompts.length;
    const width = ids[0]!.length;
    const rng = Rng.fromSeed(3, 'fed tokens');
    const before = tf.memory().numTensors;

    const input = tf.tensor2d(ids, [batch, width], 'int32');
    const { cache, logits: first } = model.prefill(input, starts);
    input.dispose();
    const rows = ids.map((r) => [...r]);
    let logits = first;
    const worst: number[] = [];
    try {
      for (let step = 0; step < 8; step++) {
        const cached = logits.dataSync() as Float32Array;
        expect(logits.shape).toEqual([batch, vocab]);
        const expected = fullLastLogits(model, rows, starts);
        worst.push(maxAbsDiff(cached, expected));
        logits.dispose();
        if (step === 7) break;
        const fed = Array.from({ length: batch }, () => rng.int(vocab));
        rows.forEach((r, b) => r.push(fed[b]!));
        logits = model.decodeStep(cache, fed);
        expect(cache.length).toBe(width + step + 1);
        for (const k of cache.keys) expect(k.shape).toEqual([batch * tinyConfig.heads, width + step + 1, tinyConfig.dModel / tinyConfig.heads]);
      }
    } finally {
      if (!logits.isDisposed) logits.dispose();
      disposeCache(cache);
    }
    for (const [step, diff] of worst.entries()) expect(diff, `step ${step}`).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cached logits of a padded row equal those of the same row decoded alone', () => {
    const { ids, starts } = leftPad(prompts, 0);
    const run = (rowsIn: number[][], rowStarts: number[]): Float32Array[] => {
      const out: Float32Array[] = [];
      const input = tf.tensor2d(rowsIn, [rowsIn.length, rowsIn[0]!.length], 'int32');
      const { cache, logits } = model.prefill(input, rowStarts);
      input.dispose();
      out.push(Float32Array.from(logits.dataSync() as Float32Array));
      logits.dispose();
      for (const token of [1, 2, 3]) {
        const next = model.decodeStep(cache, new Array(rowsIn.length).fill(token));
        out.push(Float32Array.from(next.dataSync() as Float32Array));
        next.dispose();
      }
      disposeCache(cache);
      return out;
    };
    const batched = run(ids, starts);
    for (let b = 0; b < prompts.length; b++) {
      const alone = run([prompts[b]!], [0]);
      for (let step = 0; step < alone.length; step++) {
        const row = batched[step]!.subarray(b * vocab, (b + 1) * vocab);
        expect(maxAbsDiff(row, alone[step]!), `row ${b} step ${step}`).toBeLessThan(1e-4);
      }
    }
  });

  it('decodeStep refuses to run past the context length', () => {
    const input = tf.tensor2d([Array.from({ length: tinyConfig.contextLength - 1 }, (_, i) => i % vocab)], undefined, 'int32');
    const { cache, logits } = model.prefill(input);
    input.dispose();
    logits.dispose();
    try {
      model.decodeStep(cache, [1]).dispose(); // fills the last position
      expect(cache.length).toBe(tinyConfig.contextLength);
      expect(() => model.decodeStep(cache, [2])).toThrow(/context length/);
    } finally {
      disposeCache(cache);
    }
  });
});

describe('sample()', () => {
  it('is deterministic for a fixed seed and differs for another seed', () => {
    const options = { maxNewTokens: 10, temperature: 1 };
    const a = sample(model, prompts, options, Rng.fromSeed(7, 'sample'));
    const b = sample(model, prompts, options, Rng.fromSeed(7, 'sample'));
    const c = sample(model, prompts, options, Rng.fromSeed(8, 'sample'));
    expect(b.tokens).toEqual(a.tokens);
    expect(b.logProbs).toEqual(a.logProbs);
    expect(c.tokens).not.toEqual(a.tokens);
  });

  it('returns exactly maxNewTokens tokens per row, all in the vocabulary, with log-probs ≤ 0', () => {
    const result = sample(model, prompts, { maxNewTokens: 9, temperature: 1 }, Rng.fromSeed(1));
    expect(result.tokens).toHaveLength(prompts.length);
    for (let b = 0; b < prompts.length; b++) {
      expect(result.tokens[b]).toHaveLength(9);
      expect(result.logProbs[b]).toHaveLength(9);
      for (const t of result.tokens[b]!) expect(Number.isInteger(t) && t >= 0 && t < vocab).toBe(true);
      for (const lp of result.logProbs[b]!) expect(lp <= 0 && Number.isFinite(lp)).toBe(true);
    }
    const none = sample(model, prompts, { maxNewTokens: 0, temperature: 1 }, Rng.fromSeed(1));
    expect(none.tokens).toEqual(prompts.map(() => []));
    expect(none.logProbs).toEqual(prompts.map(() => []));
  });

  it('log-probs equal tokenLogProbs of the sampled sequence (batched, left-padded, and row by row)', () => {
    for (const temperature of [1, 0.6]) {
      const maxNewTokens = 10;
      const result = sample(model, prompts, { maxNewTokens, temperature }, Rng.fromSeed(99, `t=${temperature}`));
      const { ids, starts } = leftPad(prompts, 0);
      const width = ids[0]!.length;
      const full = ids.map((r, b) => [...r, ...result.tokens[b]!]);
      const batchLp = read(() => model.tokenLogProbs(tf.tensor2d(full, undefined, 'int32'), starts));
      const cols = width + maxNewTokens - 1;
      expect(batchLp.length).toBe(prompts.length * cols);
      for (let b = 0; b < prompts.length; b++) {
        const got = result.logProbs[b]!;
        const want = Array.from(batchLp.subarray(b * cols + width - 1, (b + 1) * cols));
        expect(maxAbsDiff(got, want), `row ${b}, temperature ${temperature}`).toBeLessThan(1e-4);
        // the same row, unpadded
        const alone = [...prompts[b]!, ...result.tokens[b]!];
        const aloneLp = read(() => model.tokenLogProbs(tf.tensor2d([alone], undefined, 'int32')));
        expect(maxAbsDiff(got, Array.from(aloneLp.subarray(prompts[b]!.length - 1))), `row ${b} alone`).toBeLessThan(1e-4);
      }
    }
  });

  it('stops a row after its stop token (kept in the output), and keeps the others consistent', () => {
    const options = { maxNewTokens: 12, temperature: 1 };
    const seed = (): Rng => Rng.fromSeed(5, 'stop');
    const free = sample(model, prompts, options, seed());
    const stopToken = free.tokens[0]![0]!; // row 0's first token: with the same seed it is drawn again
    const stopped = sample(model, prompts, { ...options, stopToken }, seed());
    expect(stopped.tokens[0]).toEqual([stopToken]);
    expect(stopped.logProbs[0]).toEqual([free.logProbs[0]![0]]);
    for (let b = 0; b < prompts.length; b++) {
      const row = stopped.tokens[b]!;
      expect(row.length).toBeGreaterThan(0);
      expect(row.length).toBeLessThanOrEqual(options.maxNewTokens);
      expect(stopped.logProbs[b]).toHaveLength(row.length);
      const at = row.indexOf(stopToken);
      if (at >= 0) expect(at).toBe(row.length - 1);
      else expect(row).toHaveLength(options.maxNewTokens);
      // the step-0 draw is shared with the free run
      expect(row[0]).toBe(free.tokens[b]![0]);
      const alone = [...prompts[b]!, ...row];
      if (row.length > 0) {
        const lp = read(() => model.tokenLogProbs(tf.tensor2d([alone], undefined, 'int32')));
        expect(maxAbsDiff(stopped.logProbs[b]!, Array.from(lp.subarray(prompts[b]!.length - 1))), `row ${b}`).toBeLessThan(1e-4);
      }
    }
  });

  it('returns early when every row has stopped', () => {
    const free = sample(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 1 }, Rng.fromSeed(2));
    const stopToken = free.tokens[0]![2]!;
    const stopped = sample(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 1, stopToken }, Rng.fromSeed(2));
    const first = free.tokens[0]!.indexOf(stopToken);
    expect(stopped.tokens[0]).toEqual(free.tokens[0]!.slice(0, first + 1));
  });

  it('near-zero temperature is greedy decoding', () => {
    const maxNewTokens = 6;
    const result = sample(model, prompts, { maxNewTokens, temperature: 1e-4 }, Rng.fromSeed(4));
    const { ids, starts } = leftPad(prompts, 0);
    const rows = ids.map((r) => [...r]);
    for (let step = 0; step < maxNewTokens; step++) {
      const logits = fullLastLogits(model, rows, starts);
      for (let b = 0; b < prompts.length; b++) {
        const greedy = argmax(logits.subarray(b * vocab, (b + 1) * vocab));
        expect(result.tokens[b]![step], `row ${b} step ${step}`).toBe(greedy);
        rows[b]!.push(greedy);
      }
    }
  });

  it('draws from softmax(logits / temperature)', () => {
    // Sharpen the model so temperature matters, then draw one token for many copies of a prompt.
    const sharp = tinyModel(22);
    tf.tidy(() => sharp.params.get('wte')!.assign(tf.mul(sharp.params.get('wte')!, 60)));
    try {
      const temperature = 0.7;
      const copies = 3000;
      const result = sample(sharp, Array.from({ length: copies }, () => [5, 6, 7]), { maxNewTokens: 1, temperature }, Rng.fromSeed(31));
      const logits = fullLastLogits(sharp, [[5, 6, 7]], [0]);
      const atT = logSoftmax(Array.from(logits, (v) => v / temperature)).map(Math.exp);
      const atOne = logSoftmax(logits).map(Math.exp);
      const counts = new Array<number>(vocab).fill(0);
      for (const row of result.tokens) counts[row[0]!]! += 1;
      const tv = (p: number[]): number => 0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - counts[i]! / copies), 0);
      expect(Math.max(...atT)).toBeGreaterThan(0.2); // the distribution is far from uniform
      expect(tv(atT)).toBeLessThan(0.05);
      expect(tv(atT)).toBeLessThan(tv(atOne));
      // reported log-probs are at temperature 1
      for (let b = 0; b < 20; b++) expect(result.logProbs[b]![0]).toBeCloseTo(Math.log(atOne[result.tokens[b]![0]!]!), 4);
    } finally {
      sharp.dispose();
    }
  });

  it('rejects bad arguments', () => {
    expect(() => sample(model, prompts, { maxNewTokens: 4, temperature: 0 }, Rng.fromSeed(1))).toThrow(/temperature/);
    expect(() => sample(model, [[1], []], { maxNewTokens: 4, temperature: 1 }, Rng.fromSeed(1))).toThrow(/prompt 1 is empty/);
    expect(() => sample(model, [[1, 2, 3]], { maxNewTokens: tinyConfig.contextLength, temperature: 1 }, Rng.fromSeed(1))).toThrow(
      /context length/,
    );
    expect(sample(model, [], { maxNewTokens: 4, temperature: 1 }, Rng.fromSeed(1))).toEqual({ tokens: [], logProbs: [] });
  });

  it('does not leak tensors across repeated calls', () => {
    const run = (): void => {
      sample(model, prompts, { maxNewTokens: 5, temperature: 1 }, Rng.fromSeed(12));
      sample(model, prompts, { maxNewTokens: 5, temperature: 1, stopToken: 3 }, Rng.fromSeed(13));
      sample(model, prompts, { maxNewTokens: 0, temperature: 1 }, Rng.fromSeed(14));
    };
    run(); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});
