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
import { openGold } from '@goodhart/gold';
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
  /** What the gold is ("model": the frozen gold RM; "lexicon": the human). */
  goldKind: 'model' | 'lexicon';
  /** Fraction of comparisons the human does not tie on where the gold prefers what the human prefers. */
  goldHumanAgreement: number;
}

export async function runLabel(options: LabelOptions): Promise<LabelSummary> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const { label } = config;
  if (pretrained.prompts.length < label.prompts + label.evalPrompts) {
    throw new Error(
      `the pretrain stage wrote ${pretrained.prompts.length} prompts; label.prompts + label.evalPrompts needs ${label.prompts + label.evalPrompts}`,
    );
  }
  const rmPrompts = pretrained.prompts.slice(0, label.prompts);
  const evalPrompts = pretrained.prompts.slice(label.prompts, label.prompts + label.evalPrompts);
  const policySize = config.policy.sizes[0];
  const policy = await pretrained.loadLanguageModel(policySize);
  const gold = await openGold(root, config);
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
      upstream: [pretrained.output.ref(), ...gold.upstream],
    },
    async (staging) => {
      log(`gold: ${gold.kind === 'model' ? 'the frozen gold RM (gold-rm stage), with the human beside it' : 'the human (lexicon scorer)'}`);
      log(`sampling ${label.samplesPerPrompt} responses for each of ${rmPrompts.length} prompts from the initial policy "${policySize}"`);
      const raw = samplePolicy(policy, pretrained.tokenizer, rmPrompts, { ...label, label: 'label: policy samples' }, rng.fork('samples'));
      policy.dispose();
      const promptTokens = new Map(rmPrompts.map((p) => [p.promptId, p.tokens]));
      const scores = gold.score(raw.map((s) => ({ promptTokens: promptTokens.get(s.promptId)!, responseTokens: s.tokens, text: s.text })));
      gold.dispose();
      const rawGold = scores.gold;
      const normalisation = meanAndStd(rawGold);
      const humanNormalisation = meanAndStd(scores.human);
      const samples: ScoredSample[] = raw.map((s, i) => ({
        ...s,
        gold: (rawGold[i] - normalisation.mean) / normalisation.std,
        human: (scores.human[i] - humanNormalisation.mean) / humanNormalisation.std,
      }));

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
      const humanDecided = all.filter((c) => c.humanPreferred !== -1);
      const goldHumanAgreement = humanDecided.filter((c) => c.goldPreferred === c.humanPreferred).length / Math.max(1, humanDecided.length);

      await writeParquetFile(join(staging, SAMPLES_TABLE.file), samplesTable(samples, rawGold, scores.human, rmPrompts));
      await writeParquetFile(join(staging, COMPARISONS_TABLE.file), comparisonsTable(train, validation, rmPrompts));
      await writeParquetFile(
        join(staging, EVAL_PROMPTS_TABLE.file),
        EVAL_PROMPTS_TABLE.fromRows(evalPrompts.map((p) => ({ prompt_id: p.promptId, text: p.text, tokens: p.tokens }))),
      );
      const goldInfo = {
        kind: gold.kind,
        formula: gold.formula,
        config: config.gold,
        normalisation: { mean: normalisation.mean, std: normalisation.std, samples: samples.length, policy: policySize },
        // The human's own units over the same samples: human columns downstream are in these.
        humanNormalisation: { mean: humanNormalisation.mean, std: humanNormalisation.std, samples: samples.length, policy: policySize },
        goldHumanAgreement,
      };
      await writeFile(join(staging, 'gold.json'), `${JSON.stringify(goldInfo, null, 2)}\n`);
      summary = {
        samples: samples.length,
        comparisons: { train: train.length, validation: validation.length, ties: possible - all.length },
        gold: normalisation,
        agreement,
        goldKind: gold.kind,
        goldHumanAgreement,
      };
    },
  );
  if (!summary) throw new Error('label stage wrote no summary');
  return { outputDir, manifest, ...summary };
}

function promptTextById(prompts: readonly { promptId: number; text: string; tokens: number[] }[]) {
  return new Map(prompts.map((p) => [p.promptId, p]));
}

function samplesTable(
  samples: readonly ScoredSample[],
  rawGold: Float64Array,
  rawHuman: Float64Array,
  prompts: readonly { promptId: number; text: string; tokens: number[] }[],
) {
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
      human_raw: rawHuman[i],
      human: s.human,
    })),
  );
}

function comparisonsTable(
  train: readonly Comparison[],
  validation: readonly Comparison[],
  prompts: readonly { promptId: number; text: string; tokens: number[] }[],
) {
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
      human_a: c.a.human,
      human_b: c.b.human,
      human_preferred: c.humanPreferred,
    })),
  );
}
