import { join } from 'node:path';
import {
  SCORES_TABLE,
  hasOwnModel,
  loadPipeline,
  openStage,
  Progress,
  stageConfig,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
} from '@goodhart/core';
import { engineCodeVersion, groupByPrompt, initEngine, readProxyCell, scorePromptPool, type ComputeOptions } from '@goodhart/model';
import { bonScorers, readPool, STAGE } from './stage-common.ts';

/** Scores the pool with one proxy model, a cell's or a weight average's (raw output + its centring shift). Identical responses are scored once, and each prompt is encoded once for all its responses. */
export async function runScore(options: ComputeOptions & { preset: string; cell: string; root?: string }): Promise<{ outputDir: string }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  if (!bonScorers(config).includes(options.cell))
    throw new Error(`"${options.cell}" is not among the models that score the best-of-n pool: ${bonScorers(config).join(', ')}`);
  await initEngine(options);
  const poolOutput = await openStage(root, config, 'bonPool');
  // A cell, or a source's own model (a weight average), written in the same layout.
  const modelEntry = hasOwnModel(options.cell, config.sources ?? {}) ? 'proxyAverage' : 'proxyCell';
  const proxyCell = await readProxyCell(await openStage(root, config, modelEntry, options.cell));
  const proxyOutput = proxyCell.output;
  const { shift } = proxyCell;
  const model = await proxyCell.loadRewardModel();
  const pool = await readPool(poolOutput);
  const outputDir = stageOutputDir(root, config.name, 'bonScore', options.cell);
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: { ...stageConfig(config, 'bonScore'), cell: options.cell },
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'bon']),
      upstream: [poolOutput.ref(), proxyOutput.ref()],
    },
    async (staging) => {
      // Distinct responses grouped by prompt: each prompt is encoded once for all of its responses.
      const { groups, slots: slot } = groupByPrompt(pool.map((s) => ({ prompt: pool.promptTokens.get(s.promptId)!, response: s.tokens })));
      const total = groups.reduce((n, g) => n + g.responses.length, 0);
      const progress = new Progress({ label: `bon score ${options.cell}`, total, unit: 'sequences' });
      const scores = scorePromptPool(model, groups, config.bon.scoring.batchSize, (done) => progress.update(done));
      await writeParquetFile(
        join(staging, SCORES_TABLE.file),
        SCORES_TABLE.fromRows(pool.map((s, i) => ({ prompt_id: s.promptId, sample_index: s.sampleIndex, proxy: scores[slot[i]] + shift }))),
      );
    },
  );
  model.dispose();
  return { outputDir };
}
