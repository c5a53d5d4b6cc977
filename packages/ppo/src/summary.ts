import { join } from 'node:path';
import {
  concatTables,
  PPO_CURVE_BY_PROMPT_TABLE,
  PPO_CURVE_TABLE,
  PPO_CURVES_BY_PROMPT_TABLE,
  PPO_CURVES_TABLE,
  loadPipeline,
  openStage,
  packagesCodeVersion,
  ppoRuns,
  readParquetFile,
  runName,
  stageConfig,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type StageOutput,
} from '@goodhart/core';
import { STAGE } from './stage.ts';

export interface RunCurveRow {
  run: string;
  proxy: string;
  policy: string;
  klCoefficient: number;
  step: number;
  /** The exact per-token KL (what d and the curves use). */
  kl: number;
  klK1: number;
  klK3: number;
  d: number;
  gold: number;
  goldLow: number;
  goldHigh: number;
  proxyScore: number;
}

/** Gathers every run's curve into ppo/summary (curves.parquet, curves_by_prompt.parquet): what the fit stage reads. */
export async function runPpoSummary(options: { preset: string; root?: string }): Promise<{ outputDir: string; rows: RunCurveRow[] }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  const names = ppoRuns(config).map(runName);
  if (names.length === 0) throw new Error(`pipeline "${config.name}" has no PPO runs (no "ppo" section)`);
  const outputs: StageOutput[] = [];
  for (const name of names) outputs.push(await openStage(root, config, 'ppoRun', name));
  const curves = await Promise.all(outputs.map((o) => readParquetFile(o.file(PPO_CURVE_TABLE.file))));
  const byPrompt = await Promise.all(outputs.map((o) => readParquetFile(o.file(PPO_CURVE_BY_PROMPT_TABLE.file))));
  // Checked against the declarations before stacking, so a run from older code stops here naming its file and column.
  const curveRows = curves.flatMap((table, i) => PPO_CURVE_TABLE.rows(table, outputs[i].file(PPO_CURVE_TABLE.file)));
  byPrompt.forEach((table, i) => PPO_CURVE_BY_PROMPT_TABLE.rows(table, outputs[i].file(PPO_CURVE_BY_PROMPT_TABLE.file)));
  const outputDir = stageOutputDir(root, config.name, 'ppoSummary');
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: { ...stageConfig(config, 'ppoSummary'), runs: names },
      seed: config.seed,
      codeVersion: packagesCodeVersion(root, ['core', 'ppo']),
      upstream: outputs.map((o) => o.ref()),
    },
    async (staging) => {
      await writeParquetFile(
        join(staging, PPO_CURVES_TABLE.file),
        concatTables(
          curves,
          outputs.map((o) => o.file(PPO_CURVE_TABLE.file)),
        ),
      );
      await writeParquetFile(
        join(staging, PPO_CURVES_BY_PROMPT_TABLE.file),
        concatTables(
          byPrompt,
          outputs.map((o) => o.file(PPO_CURVE_BY_PROMPT_TABLE.file)),
        ),
      );
    },
  );
  const rows = curveRows.map((r) => ({
    run: r.run,
    proxy: r.proxy,
    policy: r.policy,
    klCoefficient: Number(r.kl_coefficient),
    step: r.step,
    kl: Number(r.kl_exact),
    klK1: Number(r.kl),
    klK3: Number(r.kl_k3),
    d: Number(r.d),
    gold: Number(r.gold),
    goldLow: Number(r.gold_low),
    goldHigh: Number(r.gold_high),
    proxyScore: Number(r.proxy_score),
  }));
  return { outputDir, rows };
}
