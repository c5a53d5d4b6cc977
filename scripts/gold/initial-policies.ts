/**
 * Must-show 3 of issue 22: how each pretrained LM does as an initial policy, under the gold and the human, so the
 * larger initial policy's start can be set against the smaller's (the paper's larger policy starts higher). Each
 * LM samples label.samplesPerPrompt… (--samples) responses to label's evaluation prompts (never trained on by the
 * gold RM or any proxy) at label.temperature and label.responseTokens; gold and human are in label's units (its
 * gold.json: normalised over the first policy's label samples). Intervals are percentile bootstraps over prompts,
 * the same resamples for every size, so differences between sizes are paired by prompt.
 *
 *   node --import tsx scripts/gold/initial-policies.ts [--preset quick] [--sizes xs,s,m] [--samples 8]
 */
import { parseArgs } from 'node:util';
import { bootstrapMeans, loadPipeline, openStage, Rng, workspaceRoot } from '@goodhart/core';
import { HumanLabeller, normaliseGold, openGold, openHumanReader, readGoldUnits } from '@goodhart/gold';
import { samplePolicy } from '@goodhart/label';
import { initEngineFromFlags, parameterCount, readPretrainArtifacts } from '@goodhart/model';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    sizes: { type: 'string' },
    samples: { type: 'string', default: '8' },
    engine: { type: 'string' },
    backend: { type: 'string' },
    precision: { type: 'string' },
  },
});
const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
await initEngineFromFlags('initial-policies', { ...values, preset: values.preset });
const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
const units = await readGoldUnits(await openStage(root, config, 'label'));
const gold = await openGold(root, config);
const human = new HumanLabeller(config.gold, await openHumanReader(root, config));
const goldSize = config.gold.model?.size;
const sizes = (values.sizes?.split(',') ?? config.pretrain.sizes.filter((size) => size !== goldSize)).sort(
  (a, b) =>
    parameterCount({ kind: 'lm', vocabSize: 2, contextLength: 2, ...config.models[a] }).nonEmbedding -
    parameterCount({ kind: 'lm', vocabSize: 2, contextLength: 2, ...config.models[b] }).nonEmbedding,
);
const samplesPerPrompt = Number(values.samples);
const prompts = pretrained.prompts.slice(config.label.prompts, config.label.prompts + config.label.evalPrompts);
const promptIndex = new Map(prompts.map((p, i) => [p.promptId, i]));
const perPrompt = (scores: ArrayLike<number>, promptIds: readonly number[]): Float64Array => {
  const sums = new Float64Array(prompts.length);
  const counts = new Float64Array(prompts.length);
  promptIds.forEach((id, i) => {
    const p = promptIndex.get(id)!;
    sums[p] += scores[i];
    counts[p] += 1;
  });
  return sums.map((s, p) => s / counts[p]);
};

interface SizeScores {
  size: string;
  nonEmbedding: number;
  gold: Float64Array;
  human: Float64Array;
  fluency: Float64Array;
}
const results: SizeScores[] = [];
for (const size of sizes) {
  const policy = await pretrained.loadLanguageModel(size);
  const rng = Rng.fromSeed(config.seed, `initial-policies/${size}`);
  const samples = samplePolicy(policy, pretrained.tokenizer, prompts, { ...config.label, samplesPerPrompt, label: `initial policy ${size}` }, rng);
  const nonEmbedding = parameterCount(policy.config).nonEmbedding;
  policy.dispose();
  const promptTokens = new Map(prompts.map((p) => [p.promptId, p.tokens]));
  const inputs = samples.map((s) => ({ promptTokens: promptTokens.get(s.promptId)!, responseTokens: s.tokens, text: s.text }));
  const scores = gold.score(inputs);
  const ids = samples.map((s) => s.promptId);
  results.push({
    size,
    nonEmbedding,
    gold: perPrompt(normaliseGold(scores.gold, units.gold), ids),
    human: perPrompt(normaliseGold(scores.human, units.human), ids),
    fluency: perPrompt(
      inputs.map((input) => human.breakdown(input.text, input).fluency),
      ids,
    ),
  });
}
gold.dispose();

const rng = Rng.fromSeed(config.seed, 'initial-policies/bootstrap');
const largest = results.at(-1)!;
const rows = results.flatMap((r) => [r.gold, r.human, r.fluency]);
const differences = results.slice(0, -1).flatMap((r) => [largest.gold.map((g, p) => g - r.gold[p]), largest.human.map((h, p) => h - r.human[p])]);
const intervals = bootstrapMeans([...rows, ...differences], { rng, resamples: 2000, confidence: 0.95 });
const shown = (i: { mean: number; low: number; high: number }): string => `${i.mean.toFixed(3)} [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`;
console.log(
  `\n${values.preset} seed ${config.seed}: ${prompts.length} evaluation prompts × ${samplesPerPrompt} samples per LM (temperature ${config.label.temperature}, up to ${config.label.responseTokens} tokens); gold and human in label's units; 95% bootstrap over prompts\n`,
);
console.log('| initial policy | non-embedding parameters | gold | human | fluency (mean ln p per token) |');
console.log('| --- | --- | --- | --- | --- |');
results.forEach((r, i) =>
  console.log(
    `| ${r.size} | ${r.nonEmbedding.toLocaleString('en-US')} | ${shown(intervals[3 * i])} | ${shown(intervals[3 * i + 1])} | ${shown(intervals[3 * i + 2])} |`,
  ),
);
console.log(`\n| ${largest.size} minus | gold | human |`);
console.log('| --- | --- | --- |');
results.slice(0, -1).forEach((r, i) => console.log(`| ${r.size} | ${shown(intervals[rows.length + 2 * i])} | ${shown(intervals[rows.length + 2 * i + 1])} |`));
