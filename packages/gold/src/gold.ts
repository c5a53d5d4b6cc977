import { join } from 'node:path';
import { openStage, type PipelineConfig, type UpstreamRef } from '@goodhart/core';
import { groupByPrompt, loadCheckpoint, scorePromptPool, type Model } from '@goodhart/model';
import { HUMAN_FORMULA, HumanLabeller } from './human.ts';
import { openHumanReader } from './human-reader.ts';

/** One response to score: its prompt and response tokens (what the gold RM reads) and its text (what the human reads). */
export interface GoldInput {
  promptTokens: readonly number[];
  responseTokens: readonly number[];
  text: string;
}

/** Raw scores (before label's normalisation) of the gold and of the human, one per input. */
export interface GoldScores {
  gold: Float64Array;
  human: Float64Array;
}

/**
 * The gold reward of a pipeline and the human beside it. With gold.kind "model" the gold is the frozen gold RM the
 * gold-rm stage trained on the human's labels; with "lexicon" the human is the gold (both columns equal).
 */
export interface Gold {
  readonly kind: 'model' | 'lexicon';
  /** The gold RM's manifest when kind is "model": stages that score with it list it among their upstreams. */
  readonly upstream: UpstreamRef[];
  /** What the gold is, for gold.json. */
  readonly formula: string;
  score(inputs: readonly GoldInput[]): GoldScores;
  dispose(): void;
}

export const MODEL_GOLD_FORMULA =
  'gold = the reward of the frozen gold RM (artifacts/<preset>/gold-rm/model), a transformer initialised from a ' +
  'pretrained LM and trained once with the pairwise loss on comparisons the human labelled, of initial-policy ' +
  'samples at several temperatures and lengths; read at the last token of prompt + response (end-of-text ' +
  `included when the policy stopped). The human, reported beside it: ${HUMAN_FORMULA}`;

/** The gold RM as later stages read it: verified output and its frozen checkpoint. */
export async function openGoldRewardModel(root: string, pipeline: string): Promise<{ upstream: UpstreamRef; load(): Promise<Model> }> {
  const output = await openStage(root, pipeline, 'goldRm');
  output.file(join('model', 'model.safetensors'));
  return { upstream: output.ref(), load: () => loadCheckpoint(join(output.dir, 'model')) };
}

/** The pipeline's gold: the human alone ("lexicon"), or the gold RM with the human beside it ("model"). */
export async function openGold(root: string, config: PipelineConfig): Promise<Gold> {
  const human = new HumanLabeller(config.gold, await openHumanReader(root, config));
  if (config.gold.kind === 'lexicon') {
    return {
      kind: 'lexicon',
      upstream: [],
      formula: HUMAN_FORMULA.replace(/^human = /, 'gold = human = '),
      score: (inputs) => {
        const scores = human.scoreAll(inputs);
        return { gold: scores, human: Float64Array.from(scores) };
      },
      dispose: () => {},
    };
  }
  const settings = config.gold.model;
  if (!settings) throw new Error(`pipeline "${config.name}": gold.kind is "model" but gold.model is missing`);
  const opened = await openGoldRewardModel(root, config.name);
  const model = await opened.load();
  return {
    kind: 'model',
    upstream: [opened.upstream],
    formula: MODEL_GOLD_FORMULA,
    score: (inputs) => ({ gold: scoreDistinct(model, inputs, settings.scoringBatchSize), human: human.scoreAll(inputs) }),
    dispose: () => model.dispose(),
  };
}

/**
 * Gold RM rewards of prompt + response; identical sequences (common in a best-of-n pool) are scored once, and the
 * responses of one prompt together, so an engine that encodes a prompt once for all of them does (scorePromptPool).
 */
function scoreDistinct(model: Model, inputs: readonly GoldInput[], batchSize: number): Float64Array {
  const { groups, slots } = groupByPrompt(inputs.map((input) => ({ prompt: input.promptTokens, response: input.responseTokens })));
  const rewards = slots.length === 0 ? new Float64Array(0) : scorePromptPool(model, groups, batchSize);
  return Float64Array.from(slots, (slot) => rewards[slot]);
}
