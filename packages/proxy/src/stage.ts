import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  packagesCodeVersion,
  cellName,
  gridCells,
  parseCell,
  loadPipeline,
  openStage,
  readParquetFile,
  Rng,
  stageConfig,
  stageName,
  stageOutputDir,
  tableFromColumns,
  tableRows,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type Manifest,
} from '@goodhart/core';
import { engineCodeVersion, initEngine, readPretrainArtifacts, parameterCount, saveCheckpoint, scoreSequences, type ComputeOptions } from '@goodhart/model';
import { openLabelArtifacts } from './comparisons-data.ts';
import { calibrateTemperature, evaluatePairs, trainRewardModel } from './reward-training.ts';

export const STAGE = stageName('proxyCell');

export interface CellMetrics {
  cell: string;
  size: string;
  comparisons: number;
  seed: number;
  parameters: number;
  nonEmbeddingParameters: number;
  steps: number;
  finalTrainLoss: number;
  validationLoss: number;
  validationAccuracy: number;
  validationGoldAccuracy: number;
  temperature: number;
  calibratedCrossEntropy: number;
  /** Added to raw RM outputs so the initial policy's mean proxy score is 0. */
  shift: number;
}

export async function runProxyCell(options: ComputeOptions & { preset: string; cell: string; root?: string; log?: (line: string) => void }): Promise<{ metrics: CellMetrics; manifest: Manifest }> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const cell = parseCell(options.cell, config);
  const name = cellName(cell);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config.name, 'pretrain'));
  const labelled = await openLabelArtifacts(root, config.name);
  if (cell.comparisons > labelled.train.length) {
    throw new Error(
      `cell ${name} asks for ${cell.comparisons} training comparisons but the label stage wrote ${labelled.train.length}; lower proxy.grid.comparisons or raise label.prompts / label.samplesPerPrompt`,
    );
  }
  const hyper = config.proxy.training;
  const train = labelled.train.slice(0, cell.comparisons);
  const rng = Rng.fromSeed(config.seed, `proxy/${cell.size}/s${cell.seed}`);
  const model = await pretrained.loadRewardModel(cell.size, rng.fork('head'));
  let metrics: CellMetrics | undefined;
  const manifest = await writeStageOutput(
    {
      dir: stageOutputDir(root, config.name, 'proxyCell', name),
      stage: STAGE,
      pipeline: config.name,
      // The cell's own size, data count and seed come from its name, not from the hashed fields.
      config: { ...stageConfig(config, 'proxyCell'), cell },
      seed: config.seed,
      codeVersion: engineCodeVersion(root, ['core', 'model', 'proxy']),
      upstream: [pretrained.output.ref(), labelled.output.ref()],
    },
    async (staging) => {
      log(`proxy ${name}: ${parameterCount(model.config).total.toLocaleString('en-US')}-parameter RM from the "${cell.size}" LM, ${train.length} comparisons`);
      const curve = trainRewardModel(model, train, hyper, rng.fork(`order/n${cell.comparisons}`), `proxy ${name}`);
      const evaluation = evaluatePairs(model, labelled.validation, hyper.batchSize * 2);
      const calibration = calibrateTemperature(
        evaluation.differences,
        labelled.validation.map((r) => r.goldA - r.goldB),
      );
      const centering = labelled.samples.slice(0, hyper.centeringSamples);
      const initialScores = scoreSequences(model, centering.map((s) => [...s.promptTokens, ...s.responseTokens]), hyper.batchSize * 2);
      const shift = -initialScores.reduce((a, b) => a + b, 0) / initialScores.length;
      const counts = parameterCount(model.config);
      metrics = {
        cell: name,
        size: cell.size,
        comparisons: cell.comparisons,
        seed: cell.seed,
        parameters: counts.total,
        nonEmbeddingParameters: counts.nonEmbedding,
        steps: curve.length,
        finalTrainLoss: curve.at(-1)!.loss,
        validationLoss: evaluation.loss,
        validationAccuracy: evaluation.accuracy,
        validationGoldAccuracy: evaluation.goldAccuracy,
        temperature: calibration.temperature,
        calibratedCrossEntropy: calibration.crossEntropy,
        shift,
      };
      await saveCheckpoint(model, join(staging, 'model'));
      await writeFile(
        join(staging, 'reward.json'),
        `${JSON.stringify({ cell, shift, temperature: calibration.temperature, usage: 'proxy score = model reward + shift (calibrated probability of preferring a over b: σ((score_a − score_b) / temperature))' }, null, 2)}\n`,
      );
      await writeFile(join(staging, 'hyperparameters.json'), `${JSON.stringify({ cell, training: hyper, seed: config.seed }, null, 2)}\n`);
      await writeParquetFile(
        join(staging, 'curve.parquet'),
        tableFromColumns({
          step: { type: 'int32', values: curve.map((r) => r.step) },
          epoch: { type: 'int32', values: curve.map((r) => r.epoch) },
          loss: { type: 'float64', values: curve.map((r) => r.loss) },
          learning_rate: { type: 'float64', values: curve.map((r) => r.learningRate) },
          gradient_norm: { type: 'float64', values: curve.map((r) => r.gradientNorm) },
        }),
      );
      await writeParquetFile(join(staging, 'metrics.parquet'), metricsTable([metrics]));
    },
  );
  model.dispose();
  if (!metrics) throw new Error(`proxy ${name} wrote no metrics`);
  return { metrics, manifest };
}

/** Gathers every cell of the grid into one table (the aggregate target); fails naming any cell not yet trained. */
export async function runProxySummary(options: { preset: string; root?: string }): Promise<{ rows: CellMetrics[]; outputDir: string }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  const outputs = [];
  for (const cell of gridCells(config)) outputs.push(await openStage(root, config.name, 'proxyCell', cellName(cell)));
  const rows: CellMetrics[] = [];
  for (const output of outputs) rows.push(rowToMetrics(tableRows(await readParquetFile(output.file('metrics.parquet')))[0]));
  const outputDir = stageOutputDir(root, config.name, 'proxySummary');
  await writeStageOutput(
    {
      dir: outputDir,
      stage: STAGE,
      pipeline: config.name,
      config: stageConfig(config, 'proxySummary'),
      seed: config.seed,
      codeVersion: packagesCodeVersion(root, ['core', 'proxy']),
      upstream: outputs.map((o) => o.ref()),
    },
    async (staging) => {
      await writeParquetFile(join(staging, 'proxy_metrics.parquet'), metricsTable(rows));
    },
  );
  return { rows, outputDir };
}

function metricsTable(rows: readonly CellMetrics[]) {
  return tableFromColumns({
    cell: { type: 'utf8', values: rows.map((r) => r.cell) },
    size: { type: 'utf8', values: rows.map((r) => r.size) },
    comparisons: { type: 'int32', values: rows.map((r) => r.comparisons) },
    seed: { type: 'int32', values: rows.map((r) => r.seed) },
    parameters: { type: 'int32', values: rows.map((r) => r.parameters) },
    non_embedding_parameters: { type: 'int32', values: rows.map((r) => r.nonEmbeddingParameters) },
    steps: { type: 'int32', values: rows.map((r) => r.steps) },
    final_train_loss: { type: 'float64', values: rows.map((r) => r.finalTrainLoss) },
    validation_loss: { type: 'float64', values: rows.map((r) => r.validationLoss) },
    validation_accuracy: { type: 'float64', values: rows.map((r) => r.validationAccuracy) },
    validation_gold_accuracy: { type: 'float64', values: rows.map((r) => r.validationGoldAccuracy) },
    temperature: { type: 'float64', values: rows.map((r) => r.temperature) },
    calibrated_cross_entropy: { type: 'float64', values: rows.map((r) => r.calibratedCrossEntropy) },
    shift: { type: 'float64', values: rows.map((r) => r.shift) },
  });
}

function rowToMetrics(row: Record<string, unknown>): CellMetrics {
  return {
    cell: String(row.cell),
    size: String(row.size),
    comparisons: Number(row.comparisons),
    seed: Number(row.seed),
    parameters: Number(row.parameters),
    nonEmbeddingParameters: Number(row.non_embedding_parameters),
    steps: Number(row.steps),
    finalTrainLoss: Number(row.final_train_loss),
    validationLoss: Number(row.validation_loss),
    validationAccuracy: Number(row.validation_accuracy),
    validationGoldAccuracy: Number(row.validation_gold_accuracy),
    temperature: Number(row.temperature),
    calibratedCrossEntropy: Number(row.calibrated_cross_entropy),
    shift: Number(row.shift),
  };
}
