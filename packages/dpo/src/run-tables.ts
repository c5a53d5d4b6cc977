import { join } from 'node:path';
import { DPO_CURVE_BY_PROMPT_TABLE, DPO_CURVE_TABLE, DPO_EVAL_SAMPLES_TABLE, DPO_TRAIN_TABLE, writeParquetFile, type DpoRun } from '@goodhart/core';
import { perPromptMeans, type EvalPoint, type EvalSample } from './evaluation.ts';
import type { DpoProgress } from './training-state.ts';

/**
 * A run's tables: curve.parquet (one row per evaluation step, bootstrap intervals over prompts), curve_by_prompt.parquet
 * (per-prompt means, so fits can bootstrap over prompts), eval_samples.parquet and train.parquet (one row per step).
 */
export async function writeDpoTables(
  dir: string,
  data: {
    name: string;
    run: DpoRun;
    policy: string;
    points: EvalPoint[];
    progress: DpoProgress;
    epochOf: (step: number) => number;
    decode: (tokens: number[]) => string;
  },
): Promise<void> {
  const { name, run, points, progress } = data;
  await writeParquetFile(
    join(dir, DPO_CURVE_TABLE.file),
    DPO_CURVE_TABLE.fromRows(
      points.map((p) => ({
        run: name,
        proxy: run.cell,
        policy: data.policy,
        loss: run.loss,
        beta: run.beta,
        step: p.step,
        epoch: data.epochOf(p.step),
        kl: p.kl.mean,
        kl_low: p.kl.low,
        kl_high: p.kl.high,
        d: p.d,
        gold: p.gold.mean,
        gold_low: p.gold.low,
        gold_high: p.gold.high,
        human: p.human.mean,
        human_low: p.human.low,
        human_high: p.human.high,
        implicit_reward: p.implicitReward,
        implicit_accuracy: p.implicitAccuracy,
        implicit_gold_accuracy: p.implicitGoldAccuracy,
        response_length: p.responseLength,
      })),
    ),
  );
  const byPrompt = points.flatMap((point) => {
    const means = perPromptMeans(progress.evalSamples.filter((s) => s.step === point.step));
    return means.promptIds.map((promptId, k) => ({
      run: name,
      step: point.step,
      prompt_id: promptId,
      kl: means.kl[k],
      gold: means.gold[k],
      human: means.human[k],
      implicit_reward: run.beta * means.kl[k],
    }));
  });
  await writeParquetFile(join(dir, DPO_CURVE_BY_PROMPT_TABLE.file), DPO_CURVE_BY_PROMPT_TABLE.fromRows(byPrompt));
  await writeParquetFile(
    join(dir, DPO_EVAL_SAMPLES_TABLE.file),
    DPO_EVAL_SAMPLES_TABLE.fromRows(
      progress.evalSamples.map((s: EvalSample) => ({
        step: s.step,
        prompt_id: s.promptId,
        sample_index: s.sampleIndex,
        response_tokens: s.tokens,
        response: data.decode(s.tokens),
        kl: s.kl,
        gold: s.gold,
        human: s.human,
      })),
    ),
  );
  await writeParquetFile(
    join(dir, DPO_TRAIN_TABLE.file),
    DPO_TRAIN_TABLE.fromRows(
      progress.trainRows.map((r) => ({
        step: r.step,
        epoch: data.epochOf(r.step),
        loss: r.loss,
        accuracy: r.accuracy,
        margin: r.margin,
        gradient_norm: r.gradientNorm,
      })),
    ),
  );
}
