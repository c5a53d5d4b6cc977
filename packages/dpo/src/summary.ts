import { join } from 'node:path';
import {
  concatTables,
  DPO_CURVE_BY_PROMPT_TABLE,
  DPO_CURVE_TABLE,
  DPO_CURVES_BY_PROMPT_TABLE,
  DPO_CURVES_TABLE,
  dpoRunName,
  dpoRuns,
  loadPipeline,
  openStage,
  packagesCodeVersion,
  readParquetFile,
  stageConfig,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type RowOf,
  type StageOutput,
} from '@goodhart/core';
import { STAGE } from './stage.ts';

export type DpoCurveRow = RowOf<typeof DPO_CURVE_TABLE.columns>;

/** Gathers every run's curve into dpo/summary (curves.parquet, curves_by_prompt.parquet): what the fit stage reads. */
export async function runDpoSummary(options: { preset: string; root?: string }): Promise<{ outputDir: string; rows: DpoCurveRow[] }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  const names = dpoRuns(config).map(dpoRunName);
  if (names.length === 0) throw new Error(`pipeline "${config.name}" has no DPO runs (no "dpo" section)`);
  const outputs: StageOutput[] = [];
  for (const name of names) outputs.push(await openStage(root, config, 'dpoRun', name));
  const curves = await Promise.all(outputs.map((o) => readParquetFile(o.file(DPO_CURVE_TABLE.file))));
  const byPrompt = await Promise.all(outputs.map((o) => readParquetFile(o.file(DPO_CURVE_BY_PROMPT_TABLE.file))));
  // Checked against the declarations before stacking, so a run from older code stops here naming its file and column.
  const rows = curves.flatMap((table, i) => DPO_CURVE_TABLE.rows(table, outputs[i].file(DPO_CURVE_TABLE.file)));
  byPrompt.forEach((table, i) => DPO_CURVE_BY_PROMPT_TABLE.rows(table, outputs[i].file(DPO_CURVE_BY_PROMPT_TABLE.file)));
  const outputDir = stageOutputDir(root, config.name, 'dpoSummary');
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: { ...stageConfig(config, 'dpoSummary'), runs: names },
      seed: config.seed,
      codeVersion: packagesCodeVersion(root, ['core', 'dpo']),
      upstream: outputs.map((o) => o.ref()),
    },
    async (staging) => {
      const files = (file: string): string[] => outputs.map((o) => o.file(file));
      await writeParquetFile(join(staging, DPO_CURVES_TABLE.file), concatTables(curves, files(DPO_CURVE_TABLE.file)));
      await writeParquetFile(join(staging, DPO_CURVES_BY_PROMPT_TABLE.file), concatTables(byPrompt, files(DPO_CURVE_BY_PROMPT_TABLE.file)));
    },
  );
  return { outputDir, rows };
}

/** One line per evaluation point of every run, for the CLI. */
export function formatDpoCurves(rows: readonly DpoCurveRow[]): string {
  const header = 'run                              step  epoch    KL (nats)       d     gold [interval]           held-out acc';
  const lines = rows.map(
    (r) =>
      `${r.run.padEnd(32)} ${String(r.step).padStart(5)} ${Number(r.epoch).toFixed(2).padStart(6)} ${Number(r.kl).toFixed(3).padStart(10)} ${Number(r.d).toFixed(3).padStart(7)} ${Number(r.gold).toFixed(3).padStart(7)} [${Number(r.gold_low).toFixed(3)}, ${Number(r.gold_high).toFixed(3)}] ${Number(r.implicit_accuracy).toFixed(3).padStart(8)}`,
  );
  return [header, ...lines].join('\n');
}
