import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { rewardWeightsFromLm, scoreSequences, shiftedBatch, tokenBatch, type Model, type NamedTensor, type TokenBatch } from '../src/index.ts';
import { availableEngineNames, engineNamed, hiddenStates, maxAbsDiff, perturbBiasesAndGains, probeModel, tinyConfig, tinyWeights } from './helpers.ts';

const d = tinyConfig.dModel;
const vocab = tinyConfig.vocabSize;
const row = [7, 3, 19, 44, 2, 60];
const other = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

/** A batch from explicit rows (already padded) and starts. */
function batchOf(rows: number[][], starts?: number[]): TokenBatch {
  const width = rows[0].length;
  return { rows: rows.length, width, ids: Int32Array.from(rows.flat()), starts: Int32Array.from(starts ?? rows.map(() => 0)) };
}

for (const name of availableEngineNames) {
  describe(`left padding (${name})`, () => {
    let lm: Model;
    let rm: Model;
    let probe: Model;
    beforeAll(async () => {
      const engine = await engineNamed(name);
      // Give the biases and gains some non-trivial values so nothing cancels by accident.
      const weights: Map<string, NamedTensor> = perturbBiasesAndGains(tinyWeights(41), Rng.fromSeed(41, 'perturb'));
      lm = engine.createModel(tinyConfig, weights);
      probe = probeModel(engine, tinyConfig, weights);
      const reward = rewardWeightsFromLm(tinyConfig, weights, Rng.fromSeed(42, 'head'));
      rm = engine.createModel(reward.config, reward.weights);
    });
    afterAll(() => {
      lm.dispose();
      rm.dispose();
      probe.dispose();
    });

    const hiddenOf = (rows: number[][], starts?: number[]): Float32Array => hiddenStates(probe, batchOf(rows, starts));

    it('is invisible to hidden states at the real positions, whatever the pad token', () => {
      const alone = hiddenOf([row]);
      const pad = other.length - row.length;
      for (const padToken of [0, 17, 60]) {
        const padded = [[...new Array<number>(pad).fill(padToken), ...row], other];
        const batched = hiddenOf(padded, [pad, 0]);
        const real = batched.subarray(pad * d, other.length * d);
        expect(maxAbsDiff(real, alone), `pad token ${padToken}`).toBeLessThan(1e-5);
        // the unpadded neighbour in the batch is unaffected too
        expect(maxAbsDiff(batched.subarray(other.length * d), hiddenOf([other])), `neighbour, pad ${padToken}`).toBeLessThan(1e-5);
      }
    });

    it('hidden states stay finite on pad columns (fully masked queries do not produce NaN)', () => {
      const h = hiddenOf([[0, 0, 0, 0, ...row]], [4]);
      expect(h.length).toBe(10 * d);
      expect(h.every(Number.isFinite)).toBe(true);
    });

    it('without starts, padding is real context (so the tests above are not vacuous)', () => {
      const pad = 3;
      const unmasked = hiddenOf([[...new Array<number>(pad).fill(5), ...row]]);
      expect(maxAbsDiff(unmasked.subarray(pad * d), hiddenOf([row]))).toBeGreaterThan(1e-3);
    });

    it('is invisible to the log-probs of real targets', () => {
      const pad = 4;
      const targets = [...row.slice(1), 11];
      const paddedBatch = batchOf([[...new Array<number>(pad).fill(1), ...row]], [pad]);
      const paddedTargets = Int32Array.from([...new Array<number>(pad).fill(0), ...targets]);
      const padded = lm.forward(paddedBatch, { targets: paddedTargets }).logProbs!;
      const alone = lm.forward(batchOf([row]), { targets: Int32Array.from(targets) }).logProbs!;
      expect(padded.length).toBe(pad + row.length);
      expect(maxAbsDiff(padded.subarray(pad), alone)).toBeLessThan(1e-5);
      // shiftedBatch pads a mixed batch the same way
      const { batch, targets: shifted } = shiftedBatch([row, other]);
      const mixed = lm.forward(batch, { targets: shifted }).logProbs!;
      const cols = other.length - 1;
      const rowAlone = shiftedBatch([row]);
      const otherAlone = shiftedBatch([other]);
      expect(maxAbsDiff(mixed.subarray(cols - (row.length - 1), cols), lm.forward(rowAlone.batch, { targets: rowAlone.targets }).logProbs!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(mixed.subarray(cols), lm.forward(otherAlone.batch, { targets: otherAlone.targets }).logProbs!)).toBeLessThan(1e-5);
    });

    it('is invisible to the reward read at the last column', () => {
      const rewardsOf = (rows: number[][], starts?: number[]): Float32Array => rm.forward(batchOf(rows, starts), { heads: 'last' }).heads.reward;
      const alone = rewardsOf([row]);
      const otherAlone = rewardsOf([other]);
      for (const pad of [1, 4]) {
        const r = rewardsOf([[...new Array<number>(pad).fill(pad * 11), ...row], other.slice(0, row.length + pad)], [pad, 0]);
        expect(r.length).toBe(2);
        expect(Math.abs(r[0] - alone[0]), `pad ${pad}`).toBeLessThan(1e-5);
        expect(Math.abs(r[1] - rewardsOf([other.slice(0, row.length + pad)])[0])).toBeLessThan(1e-5);
      }
      expect(Math.abs(rewardsOf([[...other]], [0])[0] - otherAlone[0])).toBeLessThan(1e-6);
      // the reward depends on the whole sequence, not only the last token
      expect(Math.abs(rewardsOf([[1, 2, 3, ...row]])[0] - alone[0])).toBeGreaterThan(1e-4);
      // scoreSequences batches by length and restores the input order
      const sequences = [row, other, [5, 5], row.slice(2), other.slice(3)];
      const scored = scoreSequences(rm, sequences, 2);
      sequences.forEach((sequence, i) => expect(Math.abs(scored[i] - rewardsOf([sequence])[0]), `sequence ${i}`).toBeLessThan(1e-5));
    });

    it('rejects invalid batches with errors naming the argument', () => {
      const ids = Int32Array.from([...row, ...row]);
      for (const starts of [
        [0, row.length],
        [-1, 0],
      ]) {
        expect(() => lm.forward({ rows: 2, width: row.length, ids, starts: Int32Array.from(starts) }, {}), JSON.stringify(starts)).toThrow(
          /batch\.starts: row \d starts at -?\d+/,
        );
      }
      expect(() => lm.forward({ rows: 2, width: row.length, ids, starts: Int32Array.from([0]) }, {})).toThrow(
        /batch\.starts: holds 1 values, expected one per row \(2\)/,
      );
      expect(() => lm.forward({ rows: 2, width: row.length, ids, starts: [0, 0] as unknown as Int32Array }, {})).toThrow(
        /batch\.starts: must be an Int32Array/,
      );
      expect(() => lm.forward({ rows: 2, width: row.length + 1, ids, starts: new Int32Array(2) }, {})).toThrow(
        /batch\.ids: holds 12 ids, expected rows × width = 14/,
      );
      expect(() => lm.forward(batchOf([[1, vocab, 2]]), {})).toThrow(/batch\.ids: token id 61 at row 0, column 1 is outside the vocabulary/);
      expect(() => lm.forward(batchOf([[1, 2, 3]]), { targets: Int32Array.from([1, 2, -1]) })).toThrow(/targets: token id -1 at row 0, column 2/);
      expect(() => lm.forward(batchOf([[1, 2, 3]]), { targets: Int32Array.from([1, 2]) })).toThrow(/targets: holds 2 ids, expected rows × width = 3/);
      expect(() => lm.prefill({ rows: 1, width: 3, ids: Int32Array.from([1, 2, 3]), starts: Int32Array.from([3]) })).toThrow(/batch\.starts/);
      const tooLong = Array.from({ length: tinyConfig.contextLength + 1 }, (_, i) => i % vocab);
      expect(() => lm.forward(tokenBatch([tooLong]), {})).toThrow(/context length/);
      // an LM has no reward head: no heads come back, and scoring refuses it
      expect(lm.forward(batchOf([row]), { heads: 'last' }).heads).toEqual({});
      expect(() => scoreSequences(lm, [row], 1)).toThrow(/reward model/);
    });
  });
}
