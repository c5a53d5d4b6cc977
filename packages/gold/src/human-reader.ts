import { readFile } from 'node:fs/promises';
import { openStage, PRETRAIN_TRAIN_TOKENS_FILE, type PipelineConfig } from '@goodhart/core';
import { readPretrainArtifacts } from '@goodhart/model';
import type { HumanReader } from './human.ts';
import { NgramReader } from './reader.ts';

/**
 * The human's reader for a pipeline, counted from the pretrain stage's training token stream (the same documents and
 * tokens the LMs learn from; never the held-out documents the prompts come from); undefined when gold.fluencyWeight
 * is 0. Every process that scores with the human counts it afresh: it is a deterministic function of that file.
 */
export async function openHumanReader(root: string, config: PipelineConfig): Promise<HumanReader | undefined> {
  if (config.gold.fluencyWeight === 0) return undefined;
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const path = pretrained.output.file(PRETRAIN_TRAIN_TOKENS_FILE);
  const bytes = await readFile(path);
  if (bytes.byteLength % 4 !== 0) throw new Error(`${path} (made by stage 'pretrain') is not a whole number of int32 token ids`);
  const tokens = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const { tokenizer } = pretrained;
  return { reader: NgramReader.train(tokens, tokenizer.vocabSize, config.gold.readerOrder), startToken: tokenizer.endOfText };
}
