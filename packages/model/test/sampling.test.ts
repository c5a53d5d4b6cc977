import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { leftPad, parameterShapes, sample, shiftedBatch, tokenBatch, type Engine, type Model } from '../src/index.ts';
import { disposeCache, Transformer } from '../src/tfjs/index.ts';
import { availableEngineNames, engineNamed, logSoftmax, maxAbsDiff, nextTokenLogProbs, tfjsEngine, tinyConfig, tinyModel, tinyWeights } from './helpers.ts';

const vocab = tinyConfig.vocabSize;

const prompts = [[3, 4, 5, 6, 7], [8, 9], [10, 11, 12, 13, 14, 15, 16], [42]];

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Next-token logits after each sequence from a fresh (uncached) prefill of the whole sequence, [B·vocab]. */
function prefillLogits(model: Model, sequences: readonly (readonly number[])[]): Float32Array {
  const session = model.prefill(tokenBatch(sequences));
  try {
    return Float32Array.from(session.logits);
  } finally {
    session.dispose();
  }
}

/** log p of each sequence's last `count` tokens from one full forward pass (left-padded, batched). */
function forwardLogProbs(model: Model, sequences: readonly (readonly number[])[], counts: readonly number[]): number[][] {
  const { batch, targets } = shiftedBatch(sequences);
  const logProbs = model.forward(batch, { targets }).logProbs!;
  return counts.map((count, b) => Array.from(logProbs.subarray((b + 1) * batch.width - count, (b + 1) * batch.width)));
}

for (const name of availableEngineNames) {
  describe(`KV-cache decoding (${name})`, () => {
    let model: Model;
    beforeAll(async () => {
      model = tinyModel(await engineNamed(name), 21);
    });
    afterAll(() => model.dispose());

    it('prefill + step logits equal an uncached pass over the sequence so far, and the forward pass (left-padded prompts)', () => {
      const { ids, starts } = leftPad(prompts, 0);
      expect(starts).toEqual([2, 5, 0, 6]);
      const rows = prompts.length;
      const rng = Rng.fromSeed(3, 'fed tokens');
      const session = model.prefill(tokenBatch(prompts));
      const sequences = prompts.map((p) => [...p]);
      const worst: number[] = [];
      const worstLogSoftmax: number[] = [];
      try {
        expect(session.rows).toBe(rows);
        let logits = session.logits;
        for (let step = 0; step < 8; step++) {
          expect(logits.length).toBe(rows * vocab);
          worst.push(maxAbsDiff(logits, prefillLogits(model, sequences)));
          const full = nextTokenLogProbs(model, sequences);
          worstLogSoftmax.push(Math.max(...full.map((lp, b) => maxAbsDiff(logSoftmax(logits.subarray(b * vocab, (b + 1) * vocab)), lp))));
          if (step === 7) break;
          const fed = Int32Array.from({ length: rows }, () => rng.int(vocab));
          sequences.forEach((s, b) => s.push(fed[b]));
          logits = session.step(fed);
          expect(session.logits).toBe(logits);
        }
      } finally {
        session.dispose();
      }
      expect(ids[0].length + 7).toBe(sequences[2].length);
      for (const [step, diff] of worst.entries()) expect(diff, `step ${step}`).toBeLessThan(1e-4);
      for (const [step, diff] of worstLogSoftmax.entries()) expect(diff, `step ${step}, against forward`).toBeLessThan(1e-4);
    });

    it('cached logits of a padded row equal those of the same row decoded alone', () => {
      const run = (rowsIn: number[][]): Float32Array[] => {
        const out: Float32Array[] = [];
        const session = model.prefill(tokenBatch(rowsIn));
        try {
          out.push(Float32Array.from(session.logits));
          for (const token of [1, 2, 3]) out.push(Float32Array.from(session.step(new Int32Array(rowsIn.length).fill(token))));
        } finally {
          session.dispose();
        }
        return out;
      };
      const batched = run(prompts);
      for (let b = 0; b < prompts.length; b++) {
        const alone = run([prompts[b]]);
        for (let step = 0; step < alone.length; step++) {
          const row = batched[step].subarray(b * vocab, (b + 1) * vocab);
          expect(maxAbsDiff(row, alone[step]), `row ${b} step ${step}`).toBeLessThan(1e-4);
        }
      }
    });

    it('step refuses to run past the context length and checks its tokens', () => {
      const session = model.prefill(tokenBatch([Array.from({ length: tinyConfig.contextLength - 1 }, (_, i) => i % vocab)]));
      try {
        expect(() => session.step(Int32Array.from([vocab]))).toThrow(/outside the vocabulary/);
        expect(() => session.step(Int32Array.from([1, 2]))).toThrow(/one per row/);
        session.step(Int32Array.from([1])); // fills the last position
        expect(() => session.step(Int32Array.from([2]))).toThrow(/context length/);
      } finally {
        session.dispose();
      }
    });
  });

  describe(`sample() (${name})`, () => {
    let engine: Engine;
    let model: Model;
    beforeAll(async () => {
      engine = await engineNamed(name);
      model = tinyModel(engine, 21);
    });
    afterAll(() => model.dispose());

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
        for (const t of result.tokens[b]) expect(Number.isInteger(t) && t >= 0 && t < vocab).toBe(true);
        for (const lp of result.logProbs[b]) expect(lp <= 0 && Number.isFinite(lp)).toBe(true);
      }
    });

    it('log-probs equal the forward pass over the sampled sequences (batched, left-padded, and row by row)', () => {
      for (const temperature of [1, 0.6]) {
        const maxNewTokens = 10;
        const result = sample(model, prompts, { maxNewTokens, temperature }, Rng.fromSeed(99, `t=${temperature}`));
        const full = prompts.map((p, b) => [...p, ...result.tokens[b]]);
        const batched = forwardLogProbs(
          model,
          full,
          prompts.map(() => maxNewTokens),
        );
        for (let b = 0; b < prompts.length; b++) {
          const got = result.logProbs[b];
          expect(maxAbsDiff(got, batched[b]), `row ${b}, temperature ${temperature}`).toBeLessThan(1e-4);
          // the same row, unpadded
          const [alone] = forwardLogProbs(model, [full[b]], [maxNewTokens]);
          expect(maxAbsDiff(got, alone), `row ${b} alone`).toBeLessThan(1e-4);
        }
      }
    });

    it('stops a row after its stop token (kept in the output), and keeps the others consistent', () => {
      const options = { maxNewTokens: 12, temperature: 1 };
      const seed = (): Rng => Rng.fromSeed(5, 'stop');
      const free = sample(model, prompts, options, seed());
      const stopToken = free.tokens[0][0]; // row 0's first token: with the same seed it is drawn again
      const stopped = sample(model, prompts, { ...options, stopToken }, seed());
      expect(stopped.tokens[0]).toEqual([stopToken]);
      expect(stopped.logProbs[0]).toEqual([free.logProbs[0][0]]);
      for (let b = 0; b < prompts.length; b++) {
        const row = stopped.tokens[b];
        expect(row.length).toBeGreaterThan(0);
        expect(row.length).toBeLessThanOrEqual(options.maxNewTokens);
        expect(stopped.logProbs[b]).toHaveLength(row.length);
        const at = row.indexOf(stopToken);
        if (at >= 0) expect(at).toBe(row.length - 1);
        else expect(row).toHaveLength(options.maxNewTokens);
        // the step-0 draw is shared with the free run
        expect(row[0]).toBe(free.tokens[b][0]);
        const [lp] = forwardLogProbs(model, [[...prompts[b], ...row]], [row.length]);
        expect(maxAbsDiff(stopped.logProbs[b], lp), `row ${b}`).toBeLessThan(1e-4);
      }
    });

    it('returns early when every row has stopped', () => {
      const free = sample(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 1 }, Rng.fromSeed(2));
      const stopToken = free.tokens[0][2];
      const stopped = sample(model, [[1, 2, 3]], { maxNewTokens: 6, temperature: 1, stopToken }, Rng.fromSeed(2));
      const first = free.tokens[0].indexOf(stopToken);
      expect(stopped.tokens[0]).toEqual(free.tokens[0].slice(0, first + 1));
    });

    it('near-zero temperature is greedy decoding', () => {
      const maxNewTokens = 6;
      const result = sample(model, prompts, { maxNewTokens, temperature: 1e-4 }, Rng.fromSeed(4));
      const sequences = prompts.map((p) => [...p]);
      for (let step = 0; step < maxNewTokens; step++) {
        const next = nextTokenLogProbs(model, sequences);
        for (let b = 0; b < prompts.length; b++) {
          const greedy = argmax(next[b]);
          expect(result.tokens[b][step], `row ${b} step ${step}`).toBe(greedy);
          sequences[b].push(greedy);
        }
      }
    });

    it('draws from softmax(logits / temperature)', () => {
      // Sharpen the model so temperature matters, then draw one token for many copies of a prompt.
      const weights = tinyWeights(22);
      for (const [i, value] of weights.get('wte')!.data.entries()) weights.get('wte')!.data[i] = value * 60;
      const sharp = engine.createModel(tinyConfig, weights);
      try {
        const temperature = 0.7;
        const copies = 3000;
        const result = sample(
          sharp,
          Array.from({ length: copies }, () => [5, 6, 7]),
          { maxNewTokens: 1, temperature },
          Rng.fromSeed(31),
        );
        const logits = prefillLogits(sharp, [[5, 6, 7]]);
        const atT = logSoftmax(Array.from(logits, (v) => v / temperature)).map(Math.exp);
        const atOne = logSoftmax(logits).map(Math.exp);
        const counts = new Array<number>(vocab).fill(0);
        for (const row of result.tokens) counts[row[0]] += 1;
        const tv = (p: number[]): number => 0.5 * p.reduce((s, pi, i) => s + Math.abs(pi - counts[i] / copies), 0);
        expect(Math.max(...atT)).toBeGreaterThan(0.2); // the distribution is far from uniform
        expect(tv(atT)).toBeLessThan(0.05);
        expect(tv(atT)).toBeLessThan(tv(atOne));
        // reported log-probs are at temperature 1
        for (let b = 0; b < 20; b++) expect(result.logProbs[b][0]).toBeCloseTo(Math.log(atOne[result.tokens[b][0]]), 4);
      } finally {
        sharp.dispose();
      }
    });

    it('rejects bad arguments', () => {
      expect(() => sample(model, prompts, { maxNewTokens: 4, temperature: 0 }, Rng.fromSeed(1))).toThrow(/temperature/);
      expect(() => sample(model, prompts, { maxNewTokens: 4, temperature: Infinity }, Rng.fromSeed(1))).toThrow(/temperature/);
      expect(() => sample(model, prompts, { maxNewTokens: 0, temperature: 1 }, Rng.fromSeed(1))).toThrow(/maxNewTokens must be a positive integer, got 0/);
      expect(() => sample(model, prompts, { maxNewTokens: 2.5, temperature: 1 }, Rng.fromSeed(1))).toThrow(/maxNewTokens/);
      expect(() => sample(model, [[1], []], { maxNewTokens: 4, temperature: 1 }, Rng.fromSeed(1))).toThrow(/prompt 1 is empty/);
      expect(() => sample(model, [[1, 2, 3]], { maxNewTokens: tinyConfig.contextLength, temperature: 1 }, Rng.fromSeed(1))).toThrow(/context length/);
      expect(() => sample(model, [[1, vocab]], { maxNewTokens: 2, temperature: 1 }, Rng.fromSeed(1))).toThrow(/outside the vocabulary/);
      expect(sample(model, [], { maxNewTokens: 4, temperature: 1 }, Rng.fromSeed(1))).toEqual({ tokens: [], logProbs: [] });
    });
  });
}

describe('tfjs engine: decoding internals and memory', () => {
  let engine: Engine;
  let model: Model;
  beforeAll(async () => {
    engine = await tfjsEngine();
    model = tinyModel(engine, 21);
  });
  afterAll(() => model.dispose());

  it("the Transformer's KV cache grows by one position per step, [B·heads, length, headSize] per layer, and is freed", () => {
    const tensors = new Map<string, tf.Tensor>();
    for (const [tensorName, { shape, data }] of tinyWeights(21)) tensors.set(tensorName, tf.tensor(data, shape));
    const transformer = Transformer.fromTensors(tinyConfig, tensors);
    expect([...transformer.params.keys()]).toEqual([...parameterShapes(tinyConfig).keys()]);
    const before = tf.memory().numTensors;
    const { ids, starts } = leftPad(prompts, 0);
    const batch = prompts.length;
    const width = ids[0].length;
    const input = tf.tensor2d(ids, [batch, width], 'int32');
    const { cache, logits } = transformer.prefill(input, starts);
    input.dispose();
    try {
      // the engine's model over the same weights decodes the same logits
      expect(maxAbsDiff(logits.dataSync() as Float32Array, prefillLogits(model, prompts))).toBeLessThan(1e-6);
      logits.dispose();
      expect(cache.length).toBe(width);
      for (let step = 0; step < 3; step++) {
        transformer.decodeStep(cache, [1, 2, 3, 4]).dispose();
        expect(cache.length).toBe(width + step + 1);
        expect(cache.keys).toHaveLength(tinyConfig.layers);
        for (const k of [...cache.keys, ...cache.values])
          expect(k.shape).toEqual([batch * tinyConfig.heads, width + step + 1, tinyConfig.dModel / tinyConfig.heads]);
      }
    } finally {
      disposeCache(cache);
      transformer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before - transformer.params.size);
  });

  it('sampling does not leak tensors across repeated calls', () => {
    const run = (): void => {
      sample(model, prompts, { maxNewTokens: 5, temperature: 1 }, Rng.fromSeed(12));
      sample(model, prompts, { maxNewTokens: 5, temperature: 1, stopToken: 3 }, Rng.fromSeed(13));
      sample(model, prompts, { maxNewTokens: 1, temperature: 0.5 }, Rng.fromSeed(14));
      expect(() => sample(model, [[1, 2]], { maxNewTokens: 30, temperature: 1 }, Rng.fromSeed(15))).toThrow(/context length/);
    };
    run(); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});
