/**
 * Evidence for the human's reader (issue 22, item 2): held-out per-token log-loss of token-level Kneser–Ney n-gram
 * readers of each order, built from a preset's Brown training documents, against the pretrained LMs' own validation
 * loss (pretrain's summary.parquet), on the same held-out documents and tokens.
 *
 *   node --import tsx scripts/gold/reader-candidates.ts [--preset quick] [--artifacts <root>]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipeline, PRETRAIN_SUMMARY_TABLE, readParquetFile, workspaceRoot } from '@goodhart/core';
import { NgramReader } from '@goodhart/gold';
import { brownStreams } from './brown-streams.ts';

const { values } = parseArgs({
  options: { preset: { type: 'string', default: 'quick' }, artifacts: { type: 'string' }, orders: { type: 'string', default: '2,3,4,5' } },
});
const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const { tokenizer, train: trainTokens, validation: validationTokens, pretrainDir: dir } = await brownStreams(config, values.artifacts ?? root);
console.log(`train ${trainTokens.length} tokens, held out ${validationTokens.length}; vocabulary ${tokenizer.vocabSize}`);
for (const order of values.orders.split(',').map(Number)) {
  const started = performance.now();
  const reader = NgramReader.train(trainTokens, tokenizer.vocabSize, order);
  const built = performance.now() - started;
  const loss = reader.crossEntropy(validationTokens);
  console.log(
    `n-gram order ${order}: held-out ${loss.toFixed(4)} nats/token (built in ${(built / 1000).toFixed(1)} s; discounts ${reader
      .summary()
      .discounts.map((d) => d.toFixed(3))
      .join(', ')})`,
  );
}
const summary = PRETRAIN_SUMMARY_TABLE.rows(await readParquetFile(join(dir, 'summary.parquet')), dir);
for (const row of summary)
  console.log(`LM ${row.size}: ${row.non_embedding_parameters} non-embedding parameters, held-out ${row.validation_loss?.toFixed(4)} nats/token`);
