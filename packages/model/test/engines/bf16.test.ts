/**
 * The native engine in bf16 (bfloat16 matrix products, float32 accumulation) against itself in fp32: a 50-step
 * training loss curve within 1% of fp32's at every step, scores and log-probs within bfloat16's tolerance on the
 * `test` preset's shapes, and byte-identical bf16 checkpoints from the same seed at a fixed thread count (and across
 * 1 vs 2 threads). Where the CPU lacks AVX512_BF16 the bf16 tests are skipped and the log line says why; the engine
 * then computes in fp32 and says so (tested too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import {
  createEngine,
  defaultAdamW,
  encodeSafetensors,
  languageModelStep,
  nativeThreads,
  parsePrecision,
  REWARD_HEAD,
  type AdamWOptions,
  type Engine,
  type ModelConfig,
} from '../../src/index.ts';
import { cloneWeights, describeNative, fmt, presetConfigs, printMeasured, randomWeights, randomWindows, rawBinding, record, TINY } from './helpers.ts';

const STEPS = 50;
const OPTIONS: AdamWOptions = { ...defaultAdamW, weightDecay: 0.1 };

describeNative('native engine precision', () => {
  it('resolves bf16 to the bf16 kernels where the CPU has them, else to fp32 with the reason in its description', async () => {
    const info = rawBinding().info();
    console.log(`native bf16 kernels: ${info.bf16Status}`);
    const engine = await createEngine('native', undefined, undefined, 'bf16');
    expect(engine.precision).toBe(info.bf16 ? 'bf16' : 'fp32');
    expect(engine.description).toContain(info.bf16 ? 'bf16 matrix products (avx512_bf16, fp32 accumulation)' : `fp32 (bf16 asked for; ${info.bf16Status})`);
    expect((await createEngine('native', undefined, undefined, 'fp32')).precision).toBe('fp32');
    expect(() => parsePrecision('fp16', 'GOODHART_PRECISION')).toThrow('GOODHART_PRECISION: unknown precision "fp16"; allowed: fp32, bf16');
    expect(parsePrecision(undefined, '--precision')).toBeUndefined();
  });
});

const bf16Here = (() => {
  try {
    return rawBinding().info().bf16;
  } catch {
    return false;
  }
})();

describeNative('native engine: bf16 against fp32', () => {
  let fp32: Engine;
  let bf16: Engine;
  beforeAll(async () => {
    fp32 = await createEngine('native', undefined, 1, 'fp32');
    bf16 = await createEngine('native', undefined, 1, 'bf16');
  });
  afterAll(() => {
    rawBinding().setThreads(nativeThreads());
    printMeasured('bf16');
  });

  const [presetLabel, presetConfig] = Object.entries(presetConfigs())[0];
  const cases: [string, ModelConfig, number][] = [
    ['tiny (V50 C16 L2 d32 h4)', TINY, 2],
    [presetLabel, presetConfig, 2],
  ];
  for (const [label, config, rows] of cases) {
    it.skipIf(!bf16Here)(`${label}: ${STEPS} AdamW steps give a loss curve within 1% of fp32's at every step`, () => {
      const weights = randomWeights(config, 700, [], false);
      const a = fp32.createModel(config, cloneWeights(weights));
      const b = bf16.createModel(config, cloneWeights(weights));
      const rng = Rng.fromSeed(700, 'engines-test/bf16-windows');
      const windowWidth = config.contextLength + 1;
      const batches = Array.from({ length: 4 }, () => randomWindows(rng, config.vocabSize, rows, windowWidth));
      let worst = 0;
      const first: number[] = [];
      const last: number[] = [];
      try {
        for (let step = 0; step < STEPS; step++) {
          const windows = batches[step % batches.length];
          const la = languageModelStep(a, windows, rows, windowWidth, 1e-3, OPTIONS).loss;
          const lb = languageModelStep(b, windows, rows, windowWidth, 1e-3, OPTIONS).loss;
          worst = Math.max(worst, Math.abs(lb - la) / la);
          if (step === 0) first.push(la, lb);
          if (step === STEPS - 1) last.push(la, lb);
        }
        record(
          `training ${label}: fp32 ${first[0].toFixed(4)} → ${last[0].toFixed(4)}, bf16 ${first[1].toFixed(4)} → ${last[1].toFixed(4)}; worst relative |Δloss| ${fmt(worst)}`,
        );
        expect(worst).toBeLessThanOrEqual(0.01);
        expect(last[0]).toBeLessThan(first[0] - 0.05); // it learned, so agreement is not trivial
      } finally {
        a.dispose();
        b.dispose();
      }
    });
  }

  it.skipIf(!bf16Here)(`${presetLabel}: per-token log-probs and rewards within bfloat16's tolerance`, () => {
    const config = presetConfig;
    const weights = randomWeights(config, 701, [REWARD_HEAD]);
    const a = fp32.createModel(config, cloneWeights(weights), [REWARD_HEAD]);
    const b = bf16.createModel(config, cloneWeights(weights), [REWARD_HEAD]);
    const rng = Rng.fromSeed(701, 'engines-test/bf16-score');
    const rows = 4;
    const width = config.contextLength;
    const windows = randomWindows(rng, config.vocabSize, rows, width + 1);
    const ids = new Int32Array(rows * width);
    const targets = new Int32Array(rows * width);
    for (let r = 0; r < rows; r++)
      for (let t = 0; t < width; t++) {
        ids[r * width + t] = windows[r * (width + 1) + t];
        targets[r * width + t] = windows[r * (width + 1) + t + 1];
      }
    const batch = { ids, starts: new Int32Array(rows), rows, width };
    try {
      const ra = a.forward(batch, { targets, heads: 'last' });
      const rb = b.forward(batch, { targets, heads: 'last' });
      let worstLogProb = 0;
      ra.logProbs!.forEach((v, i) => (worstLogProb = Math.max(worstLogProb, Math.abs(v - rb.logProbs![i]))));
      const rewardsA = ra.heads[REWARD_HEAD];
      const rewardsB = rb.heads[REWARD_HEAD];
      let worstReward = 0;
      let rewardScale = 0;
      rewardsA.forEach((v, i) => {
        worstReward = Math.max(worstReward, Math.abs(v - rewardsB[i]));
        rewardScale = Math.max(rewardScale, Math.abs(v));
      });
      // The bound of packages/native/test/bf16.test.ts: each product's inputs are rounded once to 8 significant
      // bits (relative error ≤ 2^-9 each), 4 products per layer plus the LM head in series, and the log-sum-exp at
      // most doubles a logit error: 2·(4L + 1)·2·2^-9 of the largest magnitude.
      const factor = 2 * (4 * config.layers + 1) * 2 * 2 ** -9;
      const logProbScale = ra.logProbs!.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      record(
        `scoring ${presetLabel}: worst |Δ log-prob| ${fmt(worstLogProb)} (bound ${fmt(factor * logProbScale)}); worst |Δ reward| ${fmt(worstReward)} (bound ${fmt(factor * Math.max(1, rewardScale))})`,
      );
      expect(worstLogProb).toBeLessThanOrEqual(factor * logProbScale);
      expect(worstReward).toBeLessThanOrEqual(factor * Math.max(1, rewardScale));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it.skipIf(!bf16Here)('the same seed gives byte-identical bf16 checkpoints at a fixed thread count and for 1 vs 2 threads', () => {
    const train = (threads: number): Uint8Array => {
      rawBinding().setThreads(threads);
      const model = bf16.createModel(TINY, randomWeights(TINY, 702, [], false));
      const rng = Rng.fromSeed(702, 'engines-test/bf16-determinism');
      for (let step = 0; step < 20; step++)
        languageModelStep(model, randomWindows(rng, TINY.vocabSize, 4, TINY.contextLength + 1), 4, TINY.contextLength + 1, 3e-3, OPTIONS);
      const bytes = encodeSafetensors(model);
      model.dispose();
      return bytes;
    };
    const [one, again, two] = [train(1), train(1), train(2)];
    expect(Buffer.from(again).equals(Buffer.from(one))).toBe(true);
    expect(Buffer.from(two).equals(Buffer.from(one))).toBe(true);
  });
});

describe('precision parsing', () => {
  it('accepts fp32 and bf16 only', () => {
    expect(parsePrecision('bf16', 'x')).toBe('bf16');
    expect(parsePrecision('fp32', 'x')).toBe('fp32');
    expect(() => parsePrecision('BF16', '--precision')).toThrow(/^--precision: unknown precision "BF16"/);
  });
});
