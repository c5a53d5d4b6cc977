/**
 * The human's fluency weight (issue 22, item 2), from the initial policy's samples only (label/samples.parquet:
 * policy.sizes[0] at label.temperature, before any proxy, best-of-n or RL exists): the weight at which the fluency
 * term moves the human as much as the lexicon terms together do, i.e. fluencyWeight · s.d.(fluency) =
 * s.d.(lexicon human), rounded to two significant figures. Prints each term's spread for the record.
 *
 *   node --import tsx scripts/gold/fluency-weight.ts [--preset quick] [--artifacts <root>]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPipeline, readParquetFile, SAMPLES_TABLE, workspaceRoot } from '@goodhart/core';
import { HumanLabeller, NgramReader } from '@goodhart/gold';
import { brownStreams } from './brown-streams.ts';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, artifacts: { type: 'string' } } });
const root = workspaceRoot();
const config = loadPipeline(values.preset, root);
const artifactsRoot = values.artifacts ?? root;
const { tokenizer, train } = await brownStreams(config, artifactsRoot);
const reader = NgramReader.train(train, tokenizer.vocabSize, config.gold.readerOrder);
const path = join(artifactsRoot, 'artifacts', config.name, 'label', SAMPLES_TABLE.file);
const samples = SAMPLES_TABLE.rows(await readParquetFile(path), path);
// The lexicon human as it is, and the reader beside it (weight 1, subtracted back out below).
const human = new HumanLabeller({ ...config.gold, fluencyWeight: 1 }, { reader, startToken: tokenizer.endOfText });
const rows = samples.map((s) => human.breakdown(s.response, { promptTokens: s.prompt_tokens, responseTokens: s.response_tokens }));
const sd = (xs: number[]): number => {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
};
const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
const lexicon = rows.map((r) => r.human - r.fluency);
const fluency = rows.map((r) => r.fluency);
const g = config.gold;
const terms: [string, number[]][] = [
  ['sentiment', rows.map((r) => r.sentiment)],
  ['repetition·w', rows.map((r) => g.repetitionWeight * r.repetition)],
  ['short·w', rows.map((r) => g.shortWeight * r.short)],
  ['long·w', rows.map((r) => g.longWeight * r.long)],
  ['nonWords·w', rows.map((r) => g.nonWordWeight * r.nonWords)],
  ['lexicon human', lexicon],
  ['fluency (weight 1)', fluency],
];
console.log(`${samples.length} samples of the initial policy (${path})`);
for (const [name, xs] of terms) console.log(`${name.padEnd(20)} mean ${mean(xs).toFixed(4)}  s.d. ${sd(xs).toFixed(4)}`);
const lexiconSd = sd(lexicon);
const fluencySd = sd(fluency);
const weight = Number((lexiconSd / fluencySd).toPrecision(2));
const check = lexicon.map((l, i) => l + weight * fluency[i]);
console.log(
  `fluencyWeight = s.d.(lexicon) / s.d.(fluency) = ${lexiconSd.toFixed(4)} / ${fluencySd.toFixed(4)} = ${(lexiconSd / fluencySd).toFixed(4)} → ${weight}`,
);
console.log(`with it: s.d.(weight·fluency) ${(weight * fluencySd).toFixed(4)}; s.d.(human) ${sd(check).toFixed(4)}`);
