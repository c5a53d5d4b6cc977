import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  loadPipeline,
  openStage,
  Rng,
  stageConfig,
  stageName,
  stageOutputDir,
  GOLD_RM_COMPARISONS_TABLE,
  GOLD_RM_CURVE_TABLE,
  GOLD_RM_SAMPLES_TABLE,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type Manifest,
} from '@goodhart/core';
import { HumanLabeller, openHumanReader } from '@goodhart/gold';
import { engineCodeVersion, initEngine, readPretrainArtifacts, parameterCount, saveCheckpoint, type ComputeOptions } from '@goodhart/model';
import { buildGoldComparisons, type GoldComparison } from './comparisons.ts';
import { goldRmHyperparameters, samplesPerPrompt } from './hyperparameters.ts';
import { choosePrompts, sampleSettings, samplingSettings, type GoldSample } from './samples.ts';
import { pairAccuracy, rewardsOf, trainGoldRm, type CurveRow, type PairAccuracy } from './training.ts';

export const STAGE = stageName('goldRm');

/** Agreement with the human on held-out comparisons whose two samples share a temperature or a length budget. */
export interface GroupAccuracy extends PairAccuracy {
  group: string;
}

export interface GoldRmMetrics {
  size: string;
  parameters: number;
  nonEmbeddingParameters: number;
  prompts: { train: number; validation: number; skippedTooLong: number };
  samples: number;
  comparisons: { train: number; validation: number; ties: number };
  steps: number;
  /** Mean training loss over the first and the last tenth of the steps. */
  trainLoss: { first: number; last: number };
  /** Before any training step (a fresh head): the baseline the trained RM is compared with. */
  initialValidation: PairAccuracy;
  /** Held-out comparisons (prompts never trained on) against the human: the gold RM's reported accuracy. */
  validation: PairAccuracy;
  train: PairAccuracy;
  validationByGroup: GroupAccuracy[];
}

export interface GoldRmResult {
  outputDir: string;
  manifest: Manifest;
  metrics: GoldRmMetrics;
}

/**
 * Trains the gold RM once per preset: the pretrained LM of gold.model.size with a fresh reward head, on every pair
 * of the initial policy's samples (at every temperature × length) the human tells apart; frozen afterwards (its
 * checkpoint is only ever read). Writes model/, samples, comparisons, the loss curve, metrics and hyperparameters.
 */
export async function runGoldRm(options: ComputeOptions & { preset: string; root?: string; log?: (line: string) => void }): Promise<GoldRmResult> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const h = goldRmHyperparameters(config);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const rng = Rng.fromSeed(h.seed, STAGE);
  const human = new HumanLabeller(config.gold, await openHumanReader(root, config));
  const policy = await pretrained.loadLanguageModel(h.policy);
  const model = await pretrained.loadRewardModel(h.size, rng.fork('head'));
  const heldOut = new Set(pretrained.prompts.slice(config.label.prompts, config.label.prompts + config.label.evalPrompts).map((p) => p.promptId));
  const { chosen, tooLong } = choosePrompts(pretrained.prompts, {
    count: h.prompts,
    heldOut,
    longestResponse: Math.max(...h.responseTokens),
    contextLength: policy.config.contextLength,
  });
  const settings = samplingSettings(h.temperatures, h.responseTokens);
  const outputDir = stageOutputDir(root, config.name, 'goldRm');
  let metrics: GoldRmMetrics | undefined;

  const manifest = await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'goldRm'),
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'gold', 'gold-rm']),
      upstream: [pretrained.output.ref()],
    },
    async (staging) => {
      log(
        `gold-rm: ${samplesPerPrompt(h)} samples for each of ${chosen.length} prompts from the initial policy "${h.policy}" (temperatures ${h.temperatures.join(', ')}; up to ${h.responseTokens.join(', ')} tokens)${tooLong > 0 ? `; ${tooLong} prompts skipped as too long` : ''}`,
      );
      const samples = sampleSettings(
        policy,
        pretrained.tokenizer,
        chosen,
        settings,
        { samplesPerSetting: h.samplesPerSetting, batchSize: h.sampleBatchSize },
        rng.fork('samples'),
      );
      policy.dispose();
      const promptTokens = new Map(chosen.map((p) => [p.promptId, p.tokens]));
      const humanScores = human.scoreAll(samples.map((s) => ({ text: s.text, promptTokens: promptTokens.get(s.promptId)!, responseTokens: s.tokens })));
      const { train, validation, ties } = buildGoldComparisons(samples, humanScores, h.validationFraction, rng.fork('comparisons'));
      const sequences = samples.map((s) => [...promptTokens.get(s.promptId)!, ...s.tokens]);
      const counts = parameterCount(model.config);
      log(
        `gold-rm: ${counts.nonEmbedding.toLocaleString('en-US')}-parameter (non-embedding) RM from the "${h.size}" LM; ${train.length} training and ${validation.length} held-out comparisons labelled by the human (${ties} tied pairs dropped)`,
      );

      const initialValidation = pairAccuracy(rewardsOf(model, sequences, h.scoringBatchSize), validation);
      const curve = trainGoldRm(model, sequences, train, h, rng.fork('order'));
      const rewards = rewardsOf(model, sequences, h.scoringBatchSize);
      const validationResult = pairAccuracy(rewards, validation);
      const tenth = Math.max(1, Math.floor(curve.length / 10));
      const meanLoss = (rows: CurveRow[]): number => rows.reduce((a, r) => a + r.loss, 0) / rows.length;
      metrics = {
        size: h.size,
        parameters: counts.total,
        nonEmbeddingParameters: counts.nonEmbedding,
        prompts: {
          train: chosen.length - new Set(validation.map((c) => c.promptId)).size,
          validation: new Set(validation.map((c) => c.promptId)).size,
          skippedTooLong: tooLong,
        },
        samples: samples.length,
        comparisons: { train: train.length, validation: validation.length, ties },
        steps: curve.length,
        trainLoss: { first: meanLoss(curve.slice(0, tenth)), last: meanLoss(curve.slice(-tenth)) },
        initialValidation,
        validation: validationResult,
        train: pairAccuracy(rewards, train),
        validationByGroup: groupAccuracies(rewards, validation, samples, h),
      };
      log(
        `gold-rm: held-out accuracy against the human ${(100 * validationResult.accuracy).toFixed(1)}% on ${validation.length} comparisons (loss ${validationResult.loss.toFixed(4)}; before training ${(100 * initialValidation.accuracy).toFixed(1)}%, loss ${initialValidation.loss.toFixed(4)})`,
      );

      await saveCheckpoint(model, join(staging, 'model'));
      await writeFile(join(staging, 'hyperparameters.json'), `${JSON.stringify(h, null, 2)}\n`);
      await writeFile(join(staging, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
      const validationPrompts = new Set(validation.map((c) => c.promptId));
      await writeParquetFile(
        join(staging, GOLD_RM_SAMPLES_TABLE.file),
        GOLD_RM_SAMPLES_TABLE.fromRows(
          samples.map((s, i) => ({
            prompt_id: s.promptId,
            split: validationPrompts.has(s.promptId) ? 'validation' : 'train',
            temperature: s.temperature,
            max_tokens: s.responseTokens,
            repeat: s.repeat,
            response_tokens: s.tokens,
            response: s.text,
            ended: s.ended,
            human_raw: humanScores[i],
            gold_raw: rewards[i],
          })),
        ),
      );
      const rows = [...train.map((c) => ({ c, split: 'train' })), ...validation.map((c) => ({ c, split: 'validation' }))];
      await writeParquetFile(
        join(staging, GOLD_RM_COMPARISONS_TABLE.file),
        GOLD_RM_COMPARISONS_TABLE.fromRows(
          rows.map(({ c, split }) => ({
            split,
            prompt_id: c.promptId,
            sample_a: c.a,
            sample_b: c.b,
            preferred: c.preferred,
            human_a: humanScores[c.a],
            human_b: humanScores[c.b],
            gold_a: rewards[c.a],
            gold_b: rewards[c.b],
          })),
        ),
      );
      await writeParquetFile(
        join(staging, GOLD_RM_CURVE_TABLE.file),
        GOLD_RM_CURVE_TABLE.fromRows(
          curve.map((r) => ({ step: r.step, epoch: r.epoch, loss: r.loss, learning_rate: r.learningRate, gradient_norm: r.gradientNorm })),
        ),
      );
    },
  );
  model.dispose();
  if (!metrics) throw new Error('gold-rm stage wrote no metrics');
  return { outputDir, manifest, metrics };
}

/** Held-out accuracy on pairs whose samples share a temperature, and on pairs whose samples share a length budget. */
function groupAccuracies(
  rewards: Float64Array,
  validation: readonly GoldComparison[],
  samples: readonly GoldSample[],
  h: { temperatures: number[]; responseTokens: number[] },
): GroupAccuracy[] {
  const groups: GroupAccuracy[] = [];
  for (const temperature of h.temperatures) {
    const pairs = validation.filter((c) => samples[c.a].temperature === temperature && samples[c.b].temperature === temperature);
    groups.push({ group: `temperature ${temperature}`, ...pairAccuracy(rewards, pairs) });
  }
  for (const tokens of h.responseTokens) {
    const pairs = validation.filter((c) => samples[c.a].responseTokens === tokens && samples[c.b].responseTokens === tokens);
    groups.push({ group: `up to ${tokens} tokens`, ...pairAccuracy(rewards, pairs) });
  }
  const mixed = validation.filter((c) => samples[c.a].temperature !== samples[c.b].temperature && samples[c.a].responseTokens !== samples[c.b].responseTokens);
  groups.push({ group: 'different temperature and length', ...pairAccuracy(rewards, mixed) });
  return groups;
}
