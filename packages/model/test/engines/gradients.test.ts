/**
 * Requirement 2: every parameter's gradient on the native engine matches tfjs within 1e-3, measured per tensor as
 * ‖g_native − g_tfjs‖₂ / max(‖g_tfjs‖₂, 1e-12 · global gradient norm), for the LM loss, a pairwise reward-model
 * loss and a PPO-style loss on a model with an extra `value` head (plus random output gradients on every head). The
 * pairwise loss's structurally zero gradients (ln_f.b, reward.b) are compared absolutely (‖Δ‖ ≤ 1e-6 of the global
 * norm). Gradients are read through the first AdamW moment (see READ_GRADIENT in helpers.ts). Losses over the
 * outputs are re-implemented here: a model test does not import the stage packages.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import { meanCrossEntropy, nextTokenBatch, type ForwardResult, type Model, type ModelConfig, type OutputGradients, type TokenBatch } from '../../src/index.ts';
import {
  bothEngines,
  cloneWeights,
  compareGradients,
  describeNative,
  fmt,
  mixedLengths,
  paddedBatch,
  presetConfigs,
  printMeasured,
  randomWeights,
  randomWindows,
  readGradients,
  realColumns,
  record,
  TINY,
  type Engines,
} from './helpers.ts';

const TOLERANCE = 1e-3;

/** Builds the same model on both engines, runs `lossOf` through a train forward + backward on each, compares. */
function compareOn(
  engines: Engines,
  label: string,
  config: ModelConfig,
  extraHeads: readonly string[],
  seed: number,
  passes: (model: Model) => void,
  structurallyZero: readonly string[] = [],
): number {
  const weights = randomWeights(config, seed, extraHeads);
  const native = engines.native.createModel(config, cloneWeights(weights), extraHeads);
  const tfjs = engines.tfjs.createModel(config, cloneWeights(weights), extraHeads);
  try {
    const a = readGradients(native, () => passes(native));
    const b = readGradients(tfjs, () => passes(tfjs));
    const { worst, worstName, zeroError } = compareGradients(config, extraHeads, a.gradients, b.gradients, structurallyZero);
    const normError = Math.abs(a.norm - b.norm) / b.norm;
    record(
      `gradients ${label}: worst per-tensor relative L2 ${fmt(worst)} (${worstName}); global norm ${b.norm.toPrecision(4)}, relative error ${fmt(normError)}` +
        (structurallyZero.length > 0 ? `; structurally zero ${structurallyZero.join(', ')}: ‖Δ‖ / global norm ${fmt(zeroError)}` : ''),
    );
    expect(zeroError).toBeLessThanOrEqual(1e-6);
    expect(b.norm).toBeGreaterThan(0);
    expect(worst, `worst tensor ${worstName}`).toBeLessThanOrEqual(TOLERANCE);
    expect(normError).toBeLessThanOrEqual(TOLERANCE);
    // lr 0 left the weights alone
    for (const [name, tensor] of native.weights()) expect(tensor.data, name).toEqual(weights.get(name)!.data);
    return worst;
  } finally {
    native.dispose();
    tfjs.dispose();
  }
}

/** One train forward, the loss's output gradients, one backward. */
function pass(model: Model, batch: TokenBatch, request: { targets?: Int32Array; heads?: 'all' | 'last' }, loss: (out: ForwardResult) => OutputGradients): void {
  const out = model.forward(batch, { ...request, train: true });
  model.backward(loss(out));
}

/** The gradient of the mean next-token cross-entropy over the real columns only (pad columns get gradient 0). */
function maskedCrossEntropy(mask: Float32Array): OutputGradients {
  let count = 0;
  for (const m of mask) count += m;
  return { logProbs: Float32Array.from(mask, (m) => -m / count) };
}

/**
 * −log σ(s·(r_a − r_b)) averaged over the pairs, from 2B rewards (the a's then the b's), s = +1 when a is preferred:
 * d/dr_a = −s·σ(−s·Δ)/B, d/dr_b = +s·σ(−s·Δ)/B (as packages/proxy's pairwiseLoss).
 */
function pairwiseGradients(rewards: Float32Array, preferA: readonly boolean[]): Float32Array {
  const pairs = preferA.length;
  const gradient = new Float32Array(2 * pairs);
  for (let i = 0; i < pairs; i++) {
    const sign = preferA[i] ? 1 : -1;
    const margin = sign * (rewards[i] - rewards[pairs + i]);
    const weight = 1 / (1 + Math.exp(margin)) / pairs; // σ(−margin)/B
    gradient[i] = -sign * weight;
    gradient[pairs + i] = sign * weight;
  }
  return gradient;
}

interface PpoData {
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  oldValues: Float32Array;
  returns: Float32Array;
  mask: Float32Array;
}

/**
 * The clipped PPO surrogate + ½·clipped value loss (as packages/ppo's ppoLoss), means over response tokens; returns
 * the output gradients and which tokens the ratio clip zeroed.
 */
function ppoGradients(
  logProbs: Float32Array,
  values: Float32Array,
  data: PpoData,
  clipRange = 0.2,
  valueClip = 0.2,
  valueCoefficient = 0.5,
): { gradients: OutputGradients; clipped: boolean[]; nearBoundary: number } {
  const n = data.mask.length;
  let count = 0;
  for (const m of data.mask) count += m;
  const scale = 1 / Math.max(count, 1);
  const dLogProbs = new Float32Array(n);
  const dValues = new Float32Array(n);
  const clipped: boolean[] = [];
  let nearBoundary = Infinity;
  for (let i = 0; i < n; i++) {
    if (data.mask[i] === 0) {
      clipped.push(false);
      continue;
    }
    const weight = data.mask[i] * scale;
    const ratio = Math.exp(logProbs[i] - data.oldLogProbs[i]);
    nearBoundary = Math.min(nearBoundary, Math.abs(ratio - (1 - clipRange)), Math.abs(ratio - (1 + clipRange)));
    const advantage = data.advantages[i];
    const unclipped = -advantage * ratio;
    const bounded = -advantage * Math.min(Math.max(ratio, 1 - clipRange), 1 + clipRange);
    if (unclipped >= bounded) dLogProbs[i] = weight * unclipped;
    clipped.push(unclipped < bounded);
    const difference = values[i] - data.oldValues[i];
    const clippedValue = data.oldValues[i] + Math.min(Math.max(difference, -valueClip), valueClip);
    if ((values[i] - data.returns[i]) ** 2 >= (clippedValue - data.returns[i]) ** 2) dValues[i] = valueCoefficient * weight * (values[i] - data.returns[i]);
    else if (Math.abs(difference) <= valueClip) dValues[i] = valueCoefficient * weight * (clippedValue - data.returns[i]);
  }
  return { gradients: { logProbs: dLogProbs, heads: { value: dValues } }, clipped, nearBoundary };
}

describeNative('native vs tfjs parameter gradients', () => {
  let engines: Engines;
  beforeAll(async () => {
    engines = await bothEngines();
  });
  afterAll(() => printMeasured('gradients'));

  const lmConfigs: Record<string, ModelConfig> = { tiny: TINY, 'one head': { ...TINY, heads: 1 }, 'mlpRatio 2': { ...TINY, mlpRatio: 2 }, ...presetConfigs() };

  let seed = 200;
  for (const [label, config] of Object.entries(lmConfigs)) {
    const modelSeed = seed++;
    it(`LM loss (meanCrossEntropy over targets, full windows), ${label}: every parameter within ${TOLERANCE} relative L2`, () => {
      const rng = Rng.fromSeed(modelSeed, 'engines-test/lm-windows');
      const windows = randomWindows(rng, config.vocabSize, 3, config.contextLength + 1);
      const { batch, targets } = nextTokenBatch(windows, 3, config.contextLength + 1);
      compareOn(engines, `LM ${label}`, config, [], modelSeed, (model) => pass(model, batch, { targets }, (out) => meanCrossEntropy(out.logProbs!).gradients));
    });
  }

  it(`LM loss over the real columns of a left-padded batch (pad columns' output gradients 0): every parameter within ${TOLERANCE} relative L2`, () => {
    const rng = Rng.fromSeed(300, 'engines-test/lm-padded');
    const { batch, targets } = paddedBatch(rng, TINY.vocabSize, mixedLengths(TINY.contextLength, 4));
    const mask = realColumns(batch);
    compareOn(engines, 'LM padded tiny', TINY, [], 300, (model) => pass(model, batch, { targets }, () => maskedCrossEntropy(mask)));
  });

  for (const [label, config] of Object.entries({ tiny: TINY, 'one head': { ...TINY, heads: 1 }, ...presetConfigs() })) {
    const rmSeed = seed++;
    it(`pairwise reward-model loss (−log σ(±Δr), rewards at the last column), ${label}: every parameter within ${TOLERANCE} relative L2`, () => {
      const rmConfig: ModelConfig = { ...config, kind: 'reward' };
      const rng = Rng.fromSeed(rmSeed, 'engines-test/pairs');
      const pairs = 3;
      // prompt + response of different lengths, the a's then the b's, one left-padded batch of 2B rows
      const lengths = Array.from({ length: 2 * pairs }, () => 2 + rng.int(Math.min(rmConfig.contextLength, 14) - 1));
      const { batch } = paddedBatch(rng, rmConfig.vocabSize, lengths);
      const preferA = Array.from({ length: pairs }, () => rng.float() < 0.5);
      compareOn(
        engines,
        `pairwise RM ${label}`,
        rmConfig,
        [],
        rmSeed,
        (model) => pass(model, batch, { heads: 'last' }, (out) => ({ heads: { reward: pairwiseGradients(out.heads.reward, preferA) } })),
        // r_a − r_b does not depend on a shift of every reward or every final hidden state
        ['ln_f.b', 'reward.b'],
      );
    });
  }

  for (const [label, config] of Object.entries({ tiny: TINY, 'mlpRatio 2': { ...TINY, mlpRatio: 2 }, ...presetConfigs() })) {
    const ppoSeed = seed++;
    it(`PPO loss (clipped surrogate + clipped value loss on response columns) with an extra value head, ${label}: every parameter within ${TOLERANCE} relative L2`, () => {
      const rng = Rng.fromSeed(ppoSeed, 'engines-test/ppo');
      const width = Math.min(config.contextLength, 14);
      const { batch, targets } = paddedBatch(rng, config.vocabSize, mixedLengths(width, 4));
      const responseTokens = 6;
      // the response: the last 6 columns of every row (only the real ones of a shorter row)
      const mask = realColumns(batch).map((m, i) => (i % batch.width >= batch.width - responseTokens ? m : 0));
      const weights = randomWeights(config, ppoSeed, ['value']);
      const probe = engines.tfjs.createModel(config, weights, ['value']);
      const reference = probe.forward(batch, { targets, heads: 'all' });
      probe.dispose();
      const data: PpoData = {
        oldLogProbs: reference.logProbs!.map((x) => x + 0.5 * rng.normal()),
        advantages: Float32Array.from(mask, () => rng.normal()),
        oldValues: reference.heads.value.map((x) => x + 0.3 * rng.normal()),
        returns: Float32Array.from(mask, () => rng.normal()),
        mask,
      };
      const decisions: boolean[][] = [];
      let nearest = Infinity;
      compareOn(engines, `PPO ${label}`, config, ['value'], ppoSeed, (model) =>
        pass(model, batch, { targets, heads: 'all' }, (out) => {
          const result = ppoGradients(out.logProbs!, out.heads.value, data);
          decisions.push(result.clipped);
          nearest = Math.min(nearest, result.nearBoundary);
          return result.gradients;
        }),
      );
      // both engines clipped the same tokens, some but not all
      expect(decisions[0]).toEqual(decisions[1]);
      expect(decisions[0].some(Boolean)).toBe(true);
      expect(nearest).toBeGreaterThan(1e-4);
    });
  }

  it(`random output gradients on log-probs and two heads (reward, value), 'all' then 'last', accumulated over two backwards before one step, masked to real columns: every parameter within ${TOLERANCE} relative L2`, () => {
    const config: ModelConfig = { ...TINY, kind: 'reward' };
    const rng = Rng.fromSeed(400, 'engines-test/random-gradients');
    const first = paddedBatch(rng, config.vocabSize, mixedLengths(12, 3));
    const second = paddedBatch(rng, config.vocabSize, [5, 9, 2, 9]);
    const mask = realColumns(first.batch);
    const dAll: OutputGradients = {
      logProbs: Float32Array.from(mask, (m) => m * rng.normal()),
      heads: { reward: Float32Array.from(mask, (m) => m * rng.normal()), value: Float32Array.from(mask, (m) => m * rng.normal()) },
    };
    const dLast: OutputGradients = {
      heads: { reward: Float32Array.from({ length: 4 }, () => rng.normal()), value: Float32Array.from({ length: 4 }, () => rng.normal()) },
    };
    compareOn(engines, 'random output gradients, 2 heads, accumulated', config, ['value'], 400, (model) => {
      pass(model, first.batch, { targets: first.targets, heads: 'all' }, () => dAll);
      pass(model, second.batch, { heads: 'last' }, () => dLast);
    });
  });
});
