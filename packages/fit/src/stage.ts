import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packagesCodeVersion, stageConfig, stageName, stageOutputDir, workspaceRoot, writeStageOutput } from '@goodhart/core';
import { computeFindings } from './findings.ts';
import { fitAll } from './fit-all.ts';
import { writeFitTables } from './fit-tables.ts';
import { analyseRewardSources } from './findings/reward-sources.ts';
import { readFitSources } from './inputs.ts';
import { writeReport } from './report/write-report.ts';
import { writeSourcesTables } from './sources-tables.ts';
import type { FitInput, FitResults, Finding } from './types.ts';

export const STAGE = stageName('fit');

export interface FitStageResult {
  outputDir: string;
  /** The report's index.html. */
  report: string;
  input: FitInput;
  results: FitResults;
  findings: Finding[];
  warnings: string[];
}

/**
 * Fits every best-of-n and PPO curve of the preset, checks the paper's findings against the numbers and writes the
 * report: artifacts/P/fit/{fits,shared_alpha,scaling}.parquet and report/ (index.html, summary.md, findings.json,
 * figures/*.svg).
 */
export async function runFit(options: { preset: string; root?: string; log?: (line: string) => void }): Promise<FitStageResult> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { config, outputs, input } = await readFitSources(root, options.preset);
  log(`fit: ${input.bon.length} best-of-n curves, ${input.rl.length} PPO curves, ${config.fit.bootstrapResamples} bootstrap resamples over prompts`);
  const results = fitAll(input);
  const findings = computeFindings(input, results);
  const outputDir = stageOutputDir(root, config.name, 'fit');
  let warnings: string[] = [];
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'fit'),
      seed: config.seed,
      codeVersion: packagesCodeVersion(root, ['core', 'fit']),
      upstream: outputs.map((o) => o.ref()),
    },
    async (staging) => {
      await writeFitTables(staging, results);
      const sources = analyseRewardSources(input);
      if (sources) await writeSourcesTables(staging, sources);
      await writeFile(join(staging, 'hyperparameters.json'), `${JSON.stringify({ preset: config.name, seed: config.seed, ...config.fit }, null, 2)}\n`);
      warnings = (await writeReport(join(staging, 'report'), input, results, findings)).warnings;
    },
  );
  return { outputDir, report: join(outputDir, 'report', 'index.html'), input, results, findings, warnings };
}
