import { join } from 'node:path';
import { tableFromColumns, writeParquetFile, type PpoRun } from '@goodhart/core';
import { perPromptMeans, type EvalPoint, type EvalSample } from './evaluation.ts';
import type { IterationStats } from './trainer.ts';

/**
 * A run's tables: curve.parquet (one row per evaluation step, with bootstrap intervals over prompts),
 * curve_by_prompt.parquet (per-prompt means per step, so fits can bootstrap over prompts), eval_samples.parquet
 * (every evaluation response with its KL, proxy, gold and human score) and train.parquet (one row per iteration).
 */
export async function writeRunTables(
  dir: string,
  data: {
    name: string;
    run: PpoRun;
    points: EvalPoint[];
    samples: EvalSample[];
    trainRows: (IterationStats & { iteration: number })[];
    decode: (tokens: number[]) => string;
  },
): Promise<void> {
  const { name, run, points } = data;
  await writeParquetFile(
    join(dir, 'curve.parquet'),
    tableFromColumns({
      run: { type: 'utf8', values: points.map(() => name) },
      proxy: { type: 'utf8', values: points.map(() => run.cell) },
      policy: { type: 'utf8', values: points.map(() => run.policy) },
      kl_coefficient: { type: 'float64', values: points.map(() => run.klCoefficient) },
      step: { type: 'int32', values: points.map((p) => p.step) },
      kl: { type: 'float64', values: points.map((p) => p.kl.mean) },
      kl_low: { type: 'float64', values: points.map((p) => p.kl.low) },
      kl_high: { type: 'float64', values: points.map((p) => p.kl.high) },
      kl_k3: { type: 'float64', values: points.map((p) => p.k3) },
      d: { type: 'float64', values: points.map((p) => p.d) },
      gold: { type: 'float64', values: points.map((p) => p.gold.mean) },
      gold_low: { type: 'float64', values: points.map((p) => p.gold.low) },
      gold_high: { type: 'float64', values: points.map((p) => p.gold.high) },
      proxy_score: { type: 'float64', values: points.map((p) => p.proxy.mean) },
      proxy_low: { type: 'float64', values: points.map((p) => p.proxy.low) },
      proxy_high: { type: 'float64', values: points.map((p) => p.proxy.high) },
      response_length: { type: 'float64', values: points.map((p) => p.responseLength) },
      // The human's score of the same evaluation samples: the outer Goodhart curve beside the gold.
      human: { type: 'float64', values: points.map((p) => p.human.mean) },
      human_low: { type: 'float64', values: points.map((p) => p.human.low) },
      human_high: { type: 'float64', values: points.map((p) => p.human.high) },
    }),
  );
  const byPrompt = points.flatMap((point) => {
    const means = perPromptMeans(data.samples.filter((s) => s.step === point.step));
    return means.promptIds.map((promptId, k) => ({
      step: point.step,
      promptId,
      kl: means.kl[k],
      gold: means.gold[k],
      proxy: means.proxy[k],
      human: means.human[k],
    }));
  });
  await writeParquetFile(
    join(dir, 'curve_by_prompt.parquet'),
    tableFromColumns({
      run: { type: 'utf8', values: byPrompt.map(() => name) },
      step: { type: 'int32', values: byPrompt.map((r) => r.step) },
      prompt_id: { type: 'int32', values: byPrompt.map((r) => r.promptId) },
      kl: { type: 'float64', values: byPrompt.map((r) => r.kl) },
      gold: { type: 'float64', values: byPrompt.map((r) => r.gold) },
      proxy_score: { type: 'float64', values: byPrompt.map((r) => r.proxy) },
      human: { type: 'float64', values: byPrompt.map((r) => r.human) },
    }),
  );
  const samples = data.samples;
  await writeParquetFile(
    join(dir, 'eval_samples.parquet'),
    tableFromColumns({
      step: { type: 'int32', values: samples.map((s) => s.step) },
      prompt_id: { type: 'int32', values: samples.map((s) => s.promptId) },
      sample_index: { type: 'int32', values: samples.map((s) => s.sampleIndex) },
      response_tokens: { type: 'int32list', values: samples.map((s) => s.tokens) },
      response: { type: 'utf8', values: samples.map((s) => data.decode(s.tokens)) },
      kl: { type: 'float64', values: samples.map((s) => s.kl) },
      kl_k3: { type: 'float64', values: samples.map((s) => s.k3) },
      proxy_score: { type: 'float64', values: samples.map((s) => s.proxy) },
      gold: { type: 'float64', values: samples.map((s) => s.gold) },
      human: { type: 'float64', values: samples.map((s) => s.human) },
    }),
  );
  const train = data.trainRows;
  await writeParquetFile(
    join(dir, 'train.parquet'),
    tableFromColumns({
      iteration: { type: 'int32', values: train.map((r) => r.iteration) },
      proxy_score: { type: 'float64', values: train.map((r) => r.score) },
      kl: { type: 'float64', values: train.map((r) => r.kl) },
      loss: { type: 'float64', values: train.map((r) => r.loss) },
      clip_fraction: { type: 'float64', values: train.map((r) => r.clipFraction) },
      response_length: { type: 'float64', values: train.map((r) => r.responseLength) },
    }),
  );
}
