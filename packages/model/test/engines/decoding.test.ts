/**
 * Requirement 4: on each engine the KV-cache path (prefill + step) equals full recomputation: log-softmax of the
 * decode logits at a token equals forward(targets = that token) at the same column within 1e-5 (absolute, nats),
 * with left-padded prompts of different lengths, decoding up to the full context. Also sample(): the log-probs it
 * reports equal a forward over the sampled sequences, and the same seed draws the same tokens on both engines (the
 * native session's C++ draw vs the TypeScript inverse CDF). And across engines, the decode logits agree.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { sample, tokenBatch, type Model, type TokenBatch } from '../../src/index.ts';
import {
  bothEngines,
  cloneWeights,
  describeNative,
  fmt,
  logSoftmaxAt,
  maxRelativeError,
  presetConfigs,
  printMeasured,
  randomWeights,
  record,
  TINY,
  type Engines,
} from './helpers.ts';

const TOLERANCE = 1e-5;

interface Decoded {
  /** Per step (prefill, then each step): [rows·vocab] logits. */
  logits: Float32Array[];
  /** prompts + generated tokens, left-padded like the prompts. */
  full: TokenBatch;
  promptWidth: number;
}

/** Greedy decoding (or the given tokens) from prefill until the batch fills the context. */
function greedy(model: Model, prompts: number[][], forced?: Int32Array[]): Decoded {
  const { vocabSize: vocab, contextLength } = model.config;
  const batch = tokenBatch(prompts);
  const session = model.prefill(batch);
  const logits: Float32Array[] = [Float32Array.from(session.logits)];
  const chosen: Int32Array[] = [];
  try {
    for (let length = batch.width; length < contextLength; length++) {
      const current = logits.at(-1)!;
      const next = forced ? forced[chosen.length] : Int32Array.from({ length: batch.rows }, (_, b) => argmax(current.subarray(b * vocab, (b + 1) * vocab)));
      chosen.push(next);
      logits.push(Float32Array.from(session.step(next)));
    }
  } finally {
    session.dispose();
  }
  const full = tokenBatch(prompts.map((prompt, b) => [...prompt, ...chosen.map((tokens) => tokens[b])]));
  return { logits, full, promptWidth: batch.width };
}

/**
 * Largest |log-softmax(decode logits)[v] − forward log-prob of v| over the checked tokens v at every decoded column
 * (a forward with targets = v everywhere gives log p(v | prefix) at every column at once).
 */
function cacheVsRecompute(model: Model, decoded: Decoded, tokens: readonly number[]): number {
  const { full, logits, promptWidth } = decoded;
  const vocab = model.config.vocabSize;
  let worst = 0;
  for (const v of tokens) {
    const { logProbs } = model.forward(full, { targets: new Int32Array(full.rows * full.width).fill(v) });
    logits.forEach((stepLogits, i) => {
      // logits of step i predict column promptWidth + i, i.e. the forward's column promptWidth − 1 + i
      const column = promptWidth - 1 + i;
      for (let b = 0; b < full.rows; b++) {
        const cached = logSoftmaxAt(stepLogits.subarray(b * vocab, (b + 1) * vocab), v);
        const error = Math.abs(cached - logProbs![b * full.width + column]);
        if (!(error <= worst)) worst = Number.isNaN(error) ? Infinity : error;
      }
    });
  }
  return worst;
}

/** Largest |reported − recomputed| log-prob of sample()'s tokens, recomputed by one forward over prompts + samples. */
function recomputedError(model: Model, prompts: number[][], result: { tokens: number[][]; logProbs: number[][] }): number {
  const sequences = prompts.map((p, b) => [...p, ...result.tokens[b]]);
  // column c predicts token c+1: inputs all but the last token, targets shifted by one
  const batch = tokenBatch(sequences.map((s) => s.slice(0, -1)));
  const targets = tokenBatch(sequences.map((s) => s.slice(1))).ids;
  const { logProbs } = model.forward(batch, { targets });
  let worst = 0;
  result.tokens.forEach((tokens, b) => {
    tokens.forEach((_, i) => {
      const column = batch.width - tokens.length + i;
      worst = Math.max(worst, Math.abs(result.logProbs[b][i] - logProbs![b * batch.width + column]));
    });
  });
  return worst;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function randomPrompts(rng: Rng, vocab: number, lengths: readonly number[]): number[][] {
  return lengths.map((n) => Array.from({ length: n }, () => rng.int(vocab)));
}

describeNative('KV-cache decoding vs full recomputation', () => {
  let engines: Engines;
  beforeAll(async () => {
    engines = await bothEngines();
  });
  afterAll(() => printMeasured('decoding'));

  const [presetLabel, presetConfig] = Object.entries(presetConfigs()).at(-1)!;

  for (const engineName of ['native', 'tfjs'] as const) {
    it(`${engineName}, tiny: prefill + step log-softmax equals forward log-probs within ${TOLERANCE} (absolute) at every token of the vocabulary, left-padded prompts of lengths 6, 2, 4, 1, greedy to the full context`, () => {
      const model = engines[engineName].createModel(TINY, randomWeights(TINY, 600));
      const rng = Rng.fromSeed(600, 'engines-test/prompts');
      const decoded = greedy(model, randomPrompts(rng, TINY.vocabSize, [6, 2, 4, 1]));
      expect(decoded.full.width).toBe(TINY.contextLength);
      const worst = cacheVsRecompute(
        model,
        decoded,
        Array.from({ length: TINY.vocabSize }, (_, v) => v),
      );
      model.dispose();
      record(`decoding ${engineName} tiny: max |Δ log p| cache vs recompute ${fmt(worst)} (all ${TINY.vocabSize} tokens, ${decoded.logits.length} steps)`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });

    it(`${engineName}, ${presetLabel}: prefill + step log-softmax equals forward log-probs within ${TOLERANCE} (absolute) at the greedy token and 8 random tokens, prompts of lengths 5, 11, 1, 8, to the full context`, () => {
      const model = engines[engineName].createModel(presetConfig, randomWeights(presetConfig, 601));
      const rng = Rng.fromSeed(601, 'engines-test/prompts');
      const decoded = greedy(model, randomPrompts(rng, presetConfig.vocabSize, [5, 11, 1, 8]));
      const tokens = [...new Set([...Array.from({ length: 8 }, () => rng.int(presetConfig.vocabSize)), ...decoded.full.ids.subarray(decoded.full.width - 3)])];
      const worst = cacheVsRecompute(model, decoded, tokens);
      model.dispose();
      record(`decoding ${engineName} ${presetLabel}: max |Δ log p| cache vs recompute ${fmt(worst)} (${tokens.length} tokens, ${decoded.logits.length} steps)`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });

    it(`${engineName}: sample() at temperatures 1 and 0.7 reports the (temperature-1) log-probs a full forward gives its samples, within ${TOLERANCE} (absolute)`, () => {
      const model = engines[engineName].createModel(TINY, randomWeights(TINY, 602));
      const rng = Rng.fromSeed(602, 'engines-test/prompts');
      const prompts = randomPrompts(rng, TINY.vocabSize, [3, 7, 1]);
      let worst = 0;
      for (const temperature of [1, 0.7]) {
        const result = sample(model, prompts, { maxNewTokens: 9, temperature }, Rng.fromSeed(602, 'engines-test/sample'));
        expect(result.tokens.every((t) => t.length === 9)).toBe(true);
        worst = Math.max(worst, recomputedError(model, prompts, result));
      }
      model.dispose();
      record(`decoding ${engineName} sample(): max |Δ log p| reported vs recomputed ${fmt(worst)}`);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it(`sample() with the same seed draws the same tokens on native (C++ draw) and tfjs (TypeScript inverse CDF), temperatures 1 and 0.7, with a stop token, log-probs within ${TOLERANCE} (absolute)`, () => {
    const weights = randomWeights(TINY, 604);
    const native = engines.native.createModel(TINY, cloneWeights(weights));
    const tfjs = engines.tfjs.createModel(TINY, cloneWeights(weights));
    const rng = Rng.fromSeed(604, 'engines-test/prompts');
    const prompts = randomPrompts(rng, TINY.vocabSize, [2, 6, 4, 1]);
    let worst = 0;
    let drawn = 0;
    let stopAt: number | undefined;
    for (const [temperature, stop] of [
      [1, false],
      [0.7, false],
      [1, true],
    ] as const) {
      // the stop token: row 0's third token of the first run, so the same draws stop that row early
      const options = { maxNewTokens: 10, temperature, stopToken: stop ? stopAt : undefined };
      const a = sample(native, prompts, options, Rng.fromSeed(604, `engines-test/sample-${temperature}`));
      const b = sample(tfjs, prompts, options, Rng.fromSeed(604, `engines-test/sample-${temperature}`));
      expect(a.tokens).toEqual(b.tokens);
      stopAt ??= a.tokens[0][2];
      if (stop) expect(a.tokens[0].length).toBeLessThanOrEqual(3);
      a.logProbs.forEach((row, r) => row.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b.logProbs[r][i])))));
      drawn += a.tokens.flat().length;
    }
    native.dispose();
    tfjs.dispose();
    record(`decoding sample() native vs tfjs: ${drawn} tokens identical, log-probs max |Δ| ${fmt(worst)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('native decode logits equal tfjs decode logits within 1e-4 (max |Δ| / max(|ref|, 1)) on the same tokens, and the same greedy picks (where the top two differ by ≥ 1e-4)', () => {
    const weights = randomWeights(TINY, 603);
    const native = engines.native.createModel(TINY, cloneWeights(weights));
    const tfjs = engines.tfjs.createModel(TINY, cloneWeights(weights));
    const rng = Rng.fromSeed(603, 'engines-test/prompts');
    const prompts = randomPrompts(rng, TINY.vocabSize, [4, 9, 1]);
    const reference = greedy(tfjs, prompts);
    const width = reference.promptWidth;
    const forced = Array.from({ length: TINY.contextLength - width }, (_, i) =>
      Int32Array.from({ length: prompts.length }, (_, b) => reference.full.ids[b * reference.full.width + width + i]),
    );
    const decoded = greedy(native, prompts, forced);
    native.dispose();
    tfjs.dispose();
    let worst = 0;
    reference.logits.forEach((logits, i) => (worst = Math.max(worst, maxRelativeError(decoded.logits[i], logits))));
    record(`decoding native vs tfjs logits: ${fmt(worst)} (max |Δ| / max(|ref|, 1))`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    // greedy picks agree wherever the reference's top two logits are not within 1e-4 of each other
    let compared = 0;
    reference.logits.forEach((logits, i) => {
      for (let b = 0; b < prompts.length; b++) {
        const row = logits.subarray(b * TINY.vocabSize, (b + 1) * TINY.vocabSize);
        const best = argmax(row);
        const runnerUp = Math.max(...row.filter((_, v) => v !== best));
        if (row[best] - runnerUp < 1e-4) continue;
        compared += 1;
        expect(argmax(decoded.logits[i].subarray(b * TINY.vocabSize, (b + 1) * TINY.vocabSize)), `step ${i}, row ${b}`).toBe(best);
      }
    });
    expect(compared).toBeGreaterThan(0);
  });
});
