import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, stageName, type PipelineConfig } from '@goodhart/core';
import { BpeTokenizer } from '@goodhart/model';
import { loadBrownCorpus, splitDocuments, tokenStream } from '@goodhart/pretrain';

/**
 * A preset's Brown training and held-out token streams, rebuilt exactly as its pretrain stage built them (same seed,
 * same stream name, its saved tokenizer), and checked against the held-out documents pretrain recorded: the
 * evidence scripts read pretrain outputs made before pretrain kept its training stream.
 */
export async function brownStreams(
  config: PipelineConfig,
  artifactsRoot: string,
): Promise<{ tokenizer: BpeTokenizer; train: Int32Array; validation: Int32Array; pretrainDir: string }> {
  const pretrainDir = join(artifactsRoot, 'artifacts', config.name, 'pretrain');
  const tokenizer = BpeTokenizer.fromJSON(JSON.parse(await readFile(join(pretrainDir, 'tokenizer.json'), 'utf8')));
  const rng = Rng.fromSeed(config.seed, stageName('pretrain'));
  const docs = loadBrownCorpus({ maxDocuments: config.corpus.maxDocuments });
  const { train, validation } = splitDocuments(docs, config.corpus.validationFraction, rng.fork('split'));
  const recorded = JSON.parse(await readFile(join(pretrainDir, 'corpus.json'), 'utf8')) as { validationDocuments: string[] };
  if (JSON.stringify(validation.map((d) => d.id)) !== JSON.stringify(recorded.validationDocuments)) {
    throw new Error(`${pretrainDir}: the rebuilt held-out documents differ from the ones pretrain recorded`);
  }
  return { tokenizer, train: tokenStream(train, tokenizer), validation: tokenStream(validation, tokenizer), pretrainDir };
}
