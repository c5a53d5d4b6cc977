/**
 * Requirement 1: the native engine's outputs (log-probs, rewards, values; heads 'all' and 'last') match the tfjs
 * reference on random weights, for tiny configs and the `test` preset's shapes, on left-padded batches whose rows
 * differ in length. Only real columns are compared (column t of row b is real when t ≥ starts[b]): the engines
 * treat pad queries differently (native: attention output 0; tfjs: uniform attention), which is allowed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '@goodhart/core';
import type { ModelConfig, TokenBatch } from '../../src/index.ts';
import {
  bothEngines,
  cloneWeights,
  describeNative,
  fmt,
  maxRelativeError,
  mixedLengths,
  paddedBatch,
  presetConfigs,
  printMeasured,
  randomWeights,
  realColumns,
  record,
  scaleRelativeError,
  tinyConfigs,
  type Engines,
} from './helpers.ts';

const TOLERANCE = 1e-4;

describeNative('native vs tfjs outputs', () => {
  let engines: Engines;
  beforeAll(async () => {
    engines = await bothEngines();
  });
  afterAll(() => printMeasured('outputs'));

  const configs: Record<string, ModelConfig> = { ...tinyConfigs, ...presetConfigs() };
  let seed = 100;
  for (const [label, lmConfig] of Object.entries(configs)) {
    for (const kind of ['lm', 'reward'] as const) {
      const config: ModelConfig = { ...lmConfig, kind };
      const extraHeads = ['value'];
      const heads = kind === 'reward' ? ['reward', 'value'] : ['value'];
      const modelSeed = seed++;
      // Two batches: the full context with rows of 4 different lengths, and a short one with a single-token row.
      const widths = [config.contextLength, Math.min(7, config.contextLength)];

      it(`${label}, kind ${kind}: log-probs within ${TOLERANCE} (max |Δ| / max(|ref|, 1)), ${heads.join(' and ')} heads 'all' and 'last' within ${TOLERANCE} (max |Δ| / max(|ref|, 1) per value and max |Δ| / max |ref| per head), real columns of left-padded batches`, () => {
        const weights = randomWeights(config, modelSeed, extraHeads);
        const native = engines.native.createModel(config, cloneWeights(weights), extraHeads);
        const tfjs = engines.tfjs.createModel(config, cloneWeights(weights), extraHeads);
        const rng = Rng.fromSeed(modelSeed, 'engines-test/outputs');
        let worstLogProb = 0;
        let worstHead = 0;
        let worstHeadScale = 0;
        try {
          for (const width of widths) {
            const { batch, targets } = paddedBatch(rng, config.vocabSize, mixedLengths(width, 4));
            const real = realColumns(batch);
            const lastReal = new Float32Array(batch.rows).fill(1);

            // log-probs with every-column heads
            const a = native.forward(batch, { targets, heads: 'all' });
            const b = tfjs.forward(batch, { targets, heads: 'all' });
            worstLogProb = Math.max(worstLogProb, maxRelativeError(a.logProbs!, b.logProbs!, real));
            expect(Object.keys(a.heads).sort()).toEqual([...heads].sort());
            for (const head of heads) {
              worstHead = Math.max(worstHead, maxRelativeError(a.heads[head], b.heads[head], real));
              worstHeadScale = Math.max(worstHeadScale, scaleRelativeError(a.heads[head], b.heads[head], real));
            }

            // last-column heads, with and without targets (the native engine skips all but the last column of the
            // last block when no log-probs are asked for)
            for (const request of [{ heads: 'last' as const }, { targets, heads: 'last' as const }]) {
              const x = native.forward(batch, request);
              const y = tfjs.forward(batch, request);
              for (const head of heads) {
                expect(x.heads[head].length).toBe(batch.rows);
                worstHead = Math.max(worstHead, maxRelativeError(x.heads[head], y.heads[head], lastReal));
                worstHeadScale = Math.max(worstHeadScale, scaleRelativeError(x.heads[head], y.heads[head], lastReal));
                // 'last' is the last column of 'all' on the same engine
                const lastOfAll = Float32Array.from({ length: batch.rows }, (_, r) => a.heads[head][r * batch.width + batch.width - 1]);
                expect(maxRelativeError(x.heads[head], lastOfAll)).toBeLessThan(1e-6);
              }
              if (request.targets) worstLogProb = Math.max(worstLogProb, maxRelativeError(x.logProbs!, b.logProbs!, real));
              else expect(x.logProbs).toBeUndefined();
            }

            // log-probs alone (no heads)
            const lp = native.forward(batch, { targets });
            expect(lp.heads).toEqual({});
            worstLogProb = Math.max(worstLogProb, maxRelativeError(lp.logProbs!, b.logProbs!, real));
            sanity(batch, b.logProbs!);
          }
        } finally {
          native.dispose();
          tfjs.dispose();
        }
        record(
          `outputs ${label} ${kind}: log-probs ${fmt(worstLogProb)}, heads ${fmt(worstHead)} (per value, floor 1) / ${fmt(worstHeadScale)} (relative to max |ref|)`,
        );
        expect(worstLogProb).toBeLessThanOrEqual(TOLERANCE);
        expect(worstHead).toBeLessThanOrEqual(TOLERANCE);
        expect(worstHeadScale).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it('pad columns do not change real outputs: the same rows alone (no padding) give the same log-probs and values on the native engine', () => {
    const config = Object.values(tinyConfigs)[0];
    const weights = randomWeights(config, 7, ['value']);
    const native = engines.native.createModel(config, weights, ['value']);
    const rng = Rng.fromSeed(7, 'engines-test/pad-invariance');
    const { batch, targets } = paddedBatch(rng, config.vocabSize, [9, 5, 2]);
    const padded = native.forward(batch, { targets, heads: 'all' });
    let worst = 0;
    for (let b = 0; b < batch.rows; b++) {
      const start = batch.starts[b];
      const n = batch.width - start;
      const row: TokenBatch = { rows: 1, width: n, ids: batch.ids.slice(b * batch.width + start, (b + 1) * batch.width), starts: new Int32Array(1) };
      const alone = native.forward(row, { targets: targets.slice(b * batch.width + start, (b + 1) * batch.width), heads: 'all' });
      worst = Math.max(worst, maxRelativeError(alone.logProbs!, padded.logProbs!.subarray(b * batch.width + start, (b + 1) * batch.width)));
      worst = Math.max(worst, maxRelativeError(alone.heads.value, padded.heads.value.subarray(b * batch.width + start, (b + 1) * batch.width)));
    }
    native.dispose();
    record(`pad invariance (native, padded row vs the row alone): ${fmt(worst)}`);
    expect(worst).toBeLessThan(1e-5);
  });
});

/** The reference's log-probs are proper: finite and ≤ 0 on real columns. */
function sanity(batch: TokenBatch, logProbs: Float32Array): void {
  const real = realColumns(batch);
  for (let i = 0; i < logProbs.length; i++) if (real[i]) expect(Number.isFinite(logProbs[i]) && logProbs[i] <= 0).toBe(true);
}
