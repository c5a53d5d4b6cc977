import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRETRAIN_PROMPTS_TABLE, PROMPTS_TABLE, readParquetFile, type StageOutput } from '@goodhart/core';
import { BpeTokenizer } from './bpe.ts';
import type { Rng } from '@goodhart/core';
import { loadCheckpoint, readCheckpoint } from './checkpoint.ts';
import { activeEngine } from './engine/select.ts';
import type { Model } from './engine/types.ts';
import { rewardWeightsFromLm } from './engine/weights.ts';

/** A prompt written by the pretrain stage: the opening of a held-out sentence. */
export interface PromptRow {
  promptId: number;
  text: string;
  tokens: number[];
}

/** The pretrain stage's output as later stages use it; every file is verified against its manifest first. */
export interface PretrainArtifacts {
  output: StageOutput;
  tokenizer: BpeTokenizer;
  prompts: PromptRow[];
  /** The pretrained LM of `size`, with optional extra scalar heads starting at zero (PPO's value head). */
  loadLanguageModel(size: string, extraHeads?: readonly string[]): Promise<Model>;
  /** A reward model on the LM of `size`: its backbone plus a fresh reward head drawn from `rng`. */
  loadRewardModel(size: string, rng: Rng): Promise<Model>;
}

/** A prompts table (core's PROMPT_COLUMNS), as pretrain, label and bon write them. */
export async function readPromptsFile(path: string): Promise<PromptRow[]> {
  return PROMPTS_TABLE.rows(await readParquetFile(path), path).map((row) => ({ promptId: row.prompt_id, text: row.text, tokens: [...row.tokens] }));
}

/**
 * The pretrain stage's output, opened and verified by the caller (the stages locate outputs through the registry in
 * core; this package only reads the files it is handed).
 */
export async function readPretrainArtifacts(output: StageOutput): Promise<PretrainArtifacts> {
  const tokenizerPath = output.file('tokenizer.json');
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(JSON.parse(await readFile(tokenizerPath, 'utf8')));
  } catch (error) {
    throw new Error(`cannot read the tokenizer ${tokenizerPath} (made by stage '${output.manifest.stage}'): ${(error as Error).message}`);
  }
  const prompts = await readPromptsFile(output.file(PRETRAIN_PROMPTS_TABLE.file));
  return {
    output,
    tokenizer,
    prompts,
    loadLanguageModel: (size: string, extraHeads: readonly string[] = []) => {
      // output.file throws an ArtifactError naming the stage when the size was not pretrained.
      output.file(join('models', size, 'model.safetensors'));
      return loadCheckpoint(join(output.dir, 'models', size), activeEngine(), extraHeads);
    },
    loadRewardModel: async (size: string, rng: Rng) => {
      output.file(join('models', size, 'model.safetensors'));
      const lm = await readCheckpoint(join(output.dir, 'models', size));
      const { config, weights } = rewardWeightsFromLm(lm.config, lm.weights, rng);
      return activeEngine().createModel(config, weights);
    },
  };
}
