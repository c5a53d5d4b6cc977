import { join } from 'node:path';
import {
  EVAL_PROMPTS_TABLE,
  POOL_PROMPTS_TABLE,
  POOL_TABLE,
  loadPipeline,
  openStage,
  Progress,
  Rng,
  stageConfig,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
} from '@goodhart/core';
import { openGold, readGoldUnits } from '@goodhart/gold';
import { engineCodeVersion, initEngine, readPretrainArtifacts, readPromptsFile, type ComputeOptions } from '@goodhart/model';
import { samplePool } from './pool.ts';
import { STAGE } from './stage-common.ts';

/** Samples the pool once: N responses per evaluation prompt from the initial policy, each scored by gold and the human. */
export async function runPool(
  options: ComputeOptions & { preset: string; root?: string; log?: (line: string) => void },
): Promise<{ outputDir: string; samples: number; distinct: number }> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const label = await openStage(root, config, 'label');
  const units = await readGoldUnits(label);
  const prompts = (await readPromptsFile(label.file(EVAL_PROMPTS_TABLE.file))).slice(0, config.bon.pool.prompts);
  const policySize = config.policy.sizes[0];
  const policy = await pretrained.loadLanguageModel(policySize);
  const gold = await openGold(root, config);
  const outputDir = stageOutputDir(root, config.name, 'bonPool');
  let distinct = 0;
  let samples = 0;
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'bonPool'),
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'gold', 'bon']),
      upstream: [pretrained.output.ref(), label.ref(), ...gold.upstream],
    },
    async (staging) => {
      log(
        `best-of-n pool: ${config.bon.pool.samplesPerPrompt} samples for each of ${prompts.length} evaluation prompts from the initial policy "${policySize}"`,
      );
      const pool = samplePool(
        policy,
        prompts,
        { ...config.bon.pool, responseTokens: config.label.responseTokens, temperature: config.label.temperature, stopToken: pretrained.tokenizer.endOfText },
        Rng.fromSeed(config.seed, 'bon/pool'),
      );
      const texts = pool.map((s) => pretrained.tokenizer.decode(s.tokens));
      const promptTokens = new Map(prompts.map((p) => [p.promptId, p.tokens]));
      const progress = new Progress({
        label: `bon pool: ${gold.kind === 'model' ? 'gold RM and human' : 'human'} scores`,
        total: pool.length,
        unit: 'samples',
      });
      const scores = gold.score(pool.map((s, i) => ({ promptTokens: promptTokens.get(s.promptId)!, responseTokens: s.tokens, text: texts[i] })));
      progress.update(pool.length);
      distinct = new Set(pool.map((s) => `${s.promptId}:${s.tokens.join(',')}`)).size;
      samples = pool.length;
      await writeParquetFile(
        join(staging, POOL_TABLE.file),
        POOL_TABLE.fromRows(
          pool.map((s, i) => ({
            prompt_id: s.promptId,
            sample_index: s.sampleIndex,
            response_tokens: s.tokens,
            response: texts[i],
            gold_raw: scores.gold[i],
            gold: (scores.gold[i] - units.gold.mean) / units.gold.std,
            human_raw: scores.human[i],
            human: (scores.human[i] - units.human.mean) / units.human.std,
          })),
        ),
      );
      await writeParquetFile(
        join(staging, POOL_PROMPTS_TABLE.file),
        POOL_PROMPTS_TABLE.fromRows(prompts.map((p) => ({ prompt_id: p.promptId, text: p.text, tokens: p.tokens }))),
      );
    },
  );
  policy.dispose();
  gold.dispose();
  return { outputDir, samples, distinct };
}
