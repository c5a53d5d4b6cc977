import { join } from 'node:path';
import { PPO_CURVE_BY_PROMPT_TABLE, PPO_CURVE_TABLE, PPO_EVAL_SAMPLES_TABLE, PPO_TRAIN_TABLE, writeParquetFile, type PpoRun } from '@goodhart/core';
import { perPromptMeans, type EvalPoint, type EvalSample } from './evaluation.ts';
import type { IterationStats } from './trainer.ts';

/**
 * A run's tables: curve.parquet (one row per evaluation step, with bootstrap intervals over prompts),
 * curve_by_prompt.parquet (per-prompt means per step, so fits can bootstrap over prompts), eval_samples.parquet
 * (every evaluation response with its KL every way, proxy, gold and human score) and train.parquet (one row per iteration).
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
    join(dir, PPO_CURVE_TABLE.file),
    PPO_CURVE_TABLE.fromRows(
      points.map((p) => ({
        run: name,
        proxy: run.cell,
        policy: run.policy,
        kl_coefficient: run.klCoefficient,
        step: p.step,
        kl: p.kl.k1.mean,
        kl_low: p.kl.k1.low,
        kl_high: p.kl.k1.high,
        kl_k2: p.kl.k2.mean,
        kl_k2_low: p.kl.k2.low,
        kl_k2_high: p.kl.k2.high,
        kl_k3: p.kl.k3.mean,
        kl_k3_low: p.kl.k3.low,
        kl_k3_high: p.kl.k3.high,
        kl_exact: p.kl.exact.mean,
        kl_exact_low: p.kl.exact.low,
        kl_exact_high: p.kl.exact.high,
        kl_k1_negative: p.k1Negative,
        d: p.d,
        gold: p.gold.mean,
        gold_low: p.gold.low,
        gold_high: p.gold.high,
        proxy_score: p.proxy.mean,
        proxy_low: p.proxy.low,
        proxy_high: p.proxy.high,
        response_length: p.responseLength,
        // The human's score of the same evaluation samples: the outer Goodhart curve beside the gold.
        human: p.human.mean,
        human_low: p.human.low,
        human_high: p.human.high,
      })),
    ),
  );
  const byPrompt = points.flatMap((point) => {
    const means = perPromptMeans(data.samples.filter((s) => s.step === point.step));
    return means.promptIds.map((promptId, k) => ({
      run: name,
      step: point.step,
      prompt_id: promptId,
      kl: means.kl.k1[k],
      kl_k2: means.kl.k2[k],
      kl_k3: means.kl.k3[k],
      kl_exact: means.kl.exact[k],
      gold: means.gold[k],
      proxy_score: means.proxy[k],
      human: means.human[k],
    }));
  });
  await writeParquetFile(join(dir, PPO_CURVE_BY_PROMPT_TABLE.file), PPO_CURVE_BY_PROMPT_TABLE.fromRows(byPrompt));
  await writeParquetFile(
    join(dir, PPO_EVAL_SAMPLES_TABLE.file),
    PPO_EVAL_SAMPLES_TABLE.fromRows(
      data.samples.map((s) => ({
        step: s.step,
        prompt_id: s.promptId,
        sample_index: s.sampleIndex,
        response_tokens: s.tokens,
        response: data.decode(s.tokens),
        kl: s.kl.k1,
        kl_k2: s.kl.k2,
        kl_k3: s.kl.k3,
        kl_exact: s.kl.exact,
        proxy_score: s.proxy,
        gold: s.gold,
        human: s.human,
      })),
    ),
  );
  await writeParquetFile(
    join(dir, PPO_TRAIN_TABLE.file),
    PPO_TRAIN_TABLE.fromRows(
      data.trainRows.map((r) => ({
        iteration: r.iteration,
        proxy_score: r.score,
        kl: r.kl,
        loss: r.loss,
        clip_fraction: r.clipFraction,
        response_length: r.responseLength,
      })),
    ),
  );
}
