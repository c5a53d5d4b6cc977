import { parseArgs } from 'node:util';
import { runCli } from '@goodhart/core';
import { ENGINE_FLAGS_USAGE, parseBackendChoice, parseEngineChoice, parsePrecision } from '@goodhart/model';
import { runPretrain } from './stage.ts';

/** `pretrain --preset quick [--engine native|tfjs]`: trains the tokenizer and the LM family; prints the loss table. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: pretrain --preset <name|path.json> ${ENGINE_FLAGS_USAGE}\n`);
    return;
  }
  const summary = await runPretrain({
    preset: values.preset,
    engine: parseEngineChoice(values.engine ?? process.env.GOODHART_ENGINE),
    backend: parseBackendChoice(values.backend ?? process.env.GOODHART_BACKEND),
    precision: parsePrecision(values.precision, '--precision'),
  });
  const lines = [
    '',
    `validation loss (nats/token) vs. the corpus' unigram entropy under the same tokenizer:`,
    `  unigram entropy (train) ${summary.unigramEntropy.toFixed(3)} | unigram model on validation ${summary.unigramValidationCrossEntropy.toFixed(3)}`,
    ...summary.sizes.map(
      (s) =>
        `  ${s.size.padEnd(8)} ${String(s.parameters).padStart(9)} params (${s.nonEmbeddingParameters} non-embedding)  validation loss ${s.validationLoss.toFixed(3)}  (${(summary.unigramEntropy - s.validationLoss).toFixed(3)} below unigram)`,
    ),
    `artifacts: ${summary.outputDir}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

runCli('pretrain', main);
