import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COMPARISONS_TABLE,
  EVAL_PROMPTS_TABLE,
  SAMPLES_TABLE,
  loadPipeline,
  openStage,
  Rng,
  stageConfig,
  stageName,
  stageOutputDir,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type Manifest,
} from '@goodhart/core';
import { engineCodeVersion, initEngine, readPretrainArtifacts, type ComputeOptions } from '@goodhart/model';
import { buildComparisons, meanAndStd, type Comparison, type ScoredSample } from './comparisons.ts';
import { GOLD_FORMULA, GoldScorer } from '@goodhart/gold';
import { samplePolicy } from './policy-samples.ts';

export const STAGE = stageName('label');

export interface LabelOptions extends ComputeOptions {
  preset: string;
  root?: string;
  log?: (line: string) => void;
}

export interface LabelSummary {
  outputDir: string;
  manifest: Manifest;
  samples: number;
  comparisons: { train: number; validation: number; ties: number };
  gold: { mean: number; std: number };
  /** Fraction of labels that agree with gold (1 − labelNoise in expectation). */
  agreement: number;
}

export async function runLabel(options: LabelOptions): Promise<LabelSummary> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config.name, 'pretrain'));
  const { label } = config;
  if (pretrained.prompts.length < label.prompts + label.evalPrompts) {
    throw new Error(`the pretrain stage wrote ${pretrained.prompts.length} prompts; label.prompts + label.evalPrompts needs ${label.prompts + label.evalPrompts}`);
  }
  const rmPrompts = pretrained.prompts.slice(0, label.prompts);
  const evalPrompts = pretrained.prompts.slice(label.prompts, label.prompts + label.evalPrompts);
  const policySize = config.policy.sizes[0];
  const policy = await pretrained.loadLanguageModel(policySize);
  const scorer = new GoldScorer(config.gold);
  const rng = Rng.fromSeed(config.seed, STAGE);
  const outputDir = stageOutputDir(root, config.name, 'label');
  let summary: Omit<LabelSummary, 'outputDir' | 'manifest'> | undefined;

  const manifest = await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'label'),
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'gold', 'label']),
      upstream: [pretrained.output.ref()],
    },
    async (staging) => {
      log(`sampling ${label.samplesPerPrompt} responses for each of ${rmPrompts.length} prompts from the initial policy "${policySize}"`);
      const raw = samplePolicy(policy, pretrained.tokenizer, rmPrompts, { ...label, label: 'label: policy samples' }, rng.fork('samples'));
      policy.dispose();
      const rawGold = scorer.scoreAll(raw.map((s) => s.text));
      const normalisation = meanAndStd(rawGold);
      const samples: ScoredSample[] = raw.map((s, i) => ({ ...s, gold: (rawGold[i] - normalisation.mean) / normalisation.std }));

      const byPrompt = new Map<number, ScoredSample[]>();
      for (const s of samples) byPrompt.set(s.promptId, [...(byPrompt.get(s.promptId) ?? []), s]);
      // Validation comparisons come from prompts the RM never trains on.
      const promptOrder = rng.fork('split').shuffle(rmPrompts.map((p) => p.promptId));
      const validationPrompts = new Set(promptOrder.slice(0, Math.max(1, Math.round(label.validationFraction * rmPrompts.length))));
      const pairsRng = rng.fork('pairs');
      const split = (validation: boolean): Comparison[] =>
        buildComparisons(
          rmPrompts.filter((p) => validationPrompts.has(p.promptId) === validation).map((p) => byPrompt.get(p.promptId) ?? []),
          label.labelNoise,
          pairsRng,
        );
      // Training comparisons are shuffled once here, so a proxy trained on N comparisons takes the first N and
      // every data count's set contains the smaller ones.
      const train = rng.fork('order').shuffle(split(false));
      const validation = split(true);
      const possible = rmPrompts.length * ((label.samplesPerPrompt * (label.samplesPerPrompt - 1)) / 2);
      const all = [...train, ...validation];
      const agreement = all.filter((c) => c.preferred === c.goldPreferred).length / all.length;

      await writeParquetFile(join(staging, SAMPLES_TABLE.file), samplesTable(samples, rawGold, rmPrompts));
      await writeParquetFile(join(staging, COMPARISONS_TABLE.file), comparisonsTable(train, validation, rmPrompts));
      await writeParquetFile(
        join(staging, EVAL_PROMPTS_TABLE.file),
        EVAL_PROMPTS_TABLE.fromRows(evalPrompts.map((p) => ({ prompt_id: p.promptId, text: p.text, tokens: p.tokens }))),
      );
      const goldInfo = {
        formula: GOLD_FORMULA,
        config: config.gold,
        normalisation: { mean: normalisation.mean, std: normalisation.std, samples: samples.length, policy: policySize },
      };
      await writeFile(join(staging, 'gold.json'), `${JSON.stringify(goldInfo, null, 2)}\n`);
      summary = {
        samples: samples.length,
        comparisons: { train: train.length, validation: validation.length, ties: possible - all.length },
        gold: normalisation,
        agreement,
      };
    },
  );
  if (!summary) throw new Error('label stage wrote no summary');
  return { outputDir, manifest, ...summary };
}

function promptTextById(prompts: readonly { promptId: number; text: string; tokens: number[] }[]) {
  return new Map(prompts.map((p) => [p.promptId, p]));
}

function samplesTable(samples: readonly ScoredSample[], rawGold: Float64Array, prompts: readonly { promptId: number; text: string; tokens: number[] }[]) {
  const byId = promptTextById(prompts);
  return SAMPLES_TABLE.fromRows(
    samples.map((s, i) => ({
      prompt_id: s.promptId,
      sample_index: s.sampleIndex,
      prompt_tokens: byId.get(s.promptId)!.tokens,
      response: s.text,
      response_tokens: s.tokens,
      ended: s.ended,
      gold_raw: rawGold[i],
      gold: s.gold,
    })),
  );
}

function comparisonsTable(train: readonly Comparison[], validation: readonly Comparison[], prompts: readonly { promptId: number; text: string; tokens: number[] }[]) {
  const byId = promptTextById(prompts);
  const rows = [...train.map((c) => ({ c, split: 'train' })), ...validation.map((c) => ({ c, split: 'validation' }))];
  return COMPARISONS_TABLE.fromRows(
    rows.map(({ c, split }) => ({
      split,
      prompt_id: c.promptId,
      prompt: byId.get(c.promptId)!.text,
      prompt_tokens: byId.get(c.promptId)!.tokens,
      response_a: c.a.text,
      tokens_a: c.a.tokens,
      response_b: c.b.text,
      tokens_b: c.b.tokens,
      gold_a: c.a.gold,
      gold_b: c.b.gold,
      preferred: c.preferred,
      gold_preferred: c.goldPreferred,
      flipped: c.flipped,
    })),
  );
}
