import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CELL_METRICS_TABLE,
  PROXY_METRICS_TABLE,
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
  PROXY_CURVE_TABLE,
  workspaceRoot,
  writeParquetFile,
  writeStageOutput,
  type Cell,
  type Manifest,
  type PipelineConfig,
  type ProxyTrainingConfig,
} from '@goodhart/core';
import {
  engineCodeVersion,
  initEngine,
  readPretrainArtifacts,
  parameterCount,
  saveCheckpoint,
  scoreSequences,
  type ComputeOptions,
  type Model,
  type PretrainArtifacts,
  type RewardCurveRow,
} from '@goodhart/model';
import { openLabelArtifacts, type LabelArtifacts } from './comparisons-data.ts';
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
  /** Accuracy against the human on the same held-out comparisons (the human's ties left out). */
  validationHumanAccuracy: number;
  temperature: number;
  calibratedCrossEntropy: number;
  /** Added to raw RM outputs so the initial policy's mean proxy score is 0. */
  shift: number;
}

export async function runProxyCell(
  options: ComputeOptions & { preset: string; cell: string; root?: string; log?: (line: string) => void },
): Promise<{ metrics: CellMetrics; manifest: Manifest }> {
  const root = options.root ?? workspaceRoot();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadPipeline(options.preset, root);
  const cell = parseCell(options.cell, config);
  const name = cellName(cell);
  await initEngine(options);
  const pretrained = await readPretrainArtifacts(await openStage(root, config, 'pretrain'));
  const labelled = await openLabelArtifacts(root, config.name);
  if (cell.comparisons > labelled.train.length) {
    throw new Error(
      `cell ${name} asks for ${cell.comparisons} training comparisons but the label stage wrote ${labelled.train.length}; lower proxy.grid.comparisons or raise label.prompts / label.samplesPerPrompt`,
    );
  }
  const hyper = config.proxy.training;
  const train = labelled.train.slice(0, cell.comparisons);
  const { model, train: trainModel } = await proxyModel(config, cell, pretrained, labelled);
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
      const curve = trainModel();
      const evaluation = evaluatePairs(model, labelled.validation, hyper.batchSize * 2);
      const calibration = calibrateTemperature(
        evaluation.differences,
        labelled.validation.map((r) => r.goldA - r.goldB),
      );
      const shift = centeringShift(model, labelled, hyper);
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
        validationHumanAccuracy: evaluation.humanAccuracy,
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
        join(staging, PROXY_CURVE_TABLE.file),
        PROXY_CURVE_TABLE.fromRows(
          curve.map((r) => ({ step: r.step, epoch: r.epoch, loss: r.loss, learning_rate: r.learningRate, gradient_norm: r.gradientNorm })),
        ),
      );
      await writeParquetFile(join(staging, CELL_METRICS_TABLE.file), CELL_METRICS_TABLE.fromRows([metricsRow(metrics)]));
    },
  );
  model.dispose();
  if (!metrics) throw new Error(`proxy ${name} wrote no metrics`);
  return { metrics, manifest };
}

/**
 * The RM of a grid cell, before training: the pretrained LM of the cell's size with a fresh reward head, and the
 * training that makes it the cell's proxy (its first `comparisons` training comparisons, in an order drawn from the
 * cell's seed). The tuning tool trains its development proxy through this too, so it is the proxy this stage would
 * train for that cell.
 */
export async function proxyModel(
  config: PipelineConfig,
  cell: Cell,
  pretrained: PretrainArtifacts,
  labelled: LabelArtifacts,
): Promise<{ model: Model; train: () => RewardCurveRow[] }> {
  const rng = Rng.fromSeed(config.seed, `proxy/${cell.size}/s${cell.seed}`);
  const model = await pretrained.loadRewardModel(cell.size, rng.fork('head'));
  const train = labelled.train.slice(0, cell.comparisons);
  return {
    model,
    train: () => trainRewardModel(model, train, config.proxy.training, rng.fork(`order/n${cell.comparisons}`), `proxy ${cellName(cell)}`),
  };
}

/** The shift that centres a proxy: minus its mean reward over label's first centeringSamples samples of the initial policy. */
export function centeringShift(model: Model, labelled: LabelArtifacts, hyper: ProxyTrainingConfig): number {
  const centering = labelled.samples.slice(0, hyper.centeringSamples);
  const initialScores = scoreSequences(
    model,
    centering.map((s) => [...s.promptTokens, ...s.responseTokens]),
    hyper.batchSize * 2,
  );
  return -initialScores.reduce((a, b) => a + b, 0) / initialScores.length;
}

/** Gathers every cell of the grid into one table (the aggregate target); fails naming any cell not yet trained. */
export async function runProxySummary(options: { preset: string; root?: string }): Promise<{ rows: CellMetrics[]; outputDir: string }> {
  const root = options.root ?? workspaceRoot();
  const config = loadPipeline(options.preset, root);
  const outputs = [];
  for (const cell of gridCells(config)) outputs.push(await openStage(root, config, 'proxyCell', cellName(cell)));
  const rows: CellMetrics[] = [];
  for (const output of outputs) {
    const path = output.file(CELL_METRICS_TABLE.file);
    const [row] = CELL_METRICS_TABLE.rows(await readParquetFile(path), path);
    if (!row) throw new Error(`${path} (made by stage '${output.manifest.stage}') has no row`);
    rows.push(rowToMetrics(row));
  }
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
      await writeParquetFile(join(staging, PROXY_METRICS_TABLE.file), PROXY_METRICS_TABLE.fromRows(rows.map(metricsRow)));
    },
  );
  return { rows, outputDir };
}

function metricsRow(m: CellMetrics) {
  return {
    cell: m.cell,
    size: m.size,
    comparisons: m.comparisons,
    seed: m.seed,
    parameters: m.parameters,
    non_embedding_parameters: m.nonEmbeddingParameters,
    steps: m.steps,
    final_train_loss: m.finalTrainLoss,
    validation_loss: m.validationLoss,
    validation_accuracy: m.validationAccuracy,
    validation_gold_accuracy: m.validationGoldAccuracy,
    validation_human_accuracy: m.validationHumanAccuracy,
    temperature: m.temperature,
    calibrated_cross_entropy: m.calibratedCrossEntropy,
    shift: m.shift,
  };
}

function rowToMetrics(row: ReturnType<typeof CELL_METRICS_TABLE.rows>[number]): CellMetrics {
  return {
    cell: row.cell,
    size: row.size,
    comparisons: row.comparisons,
    seed: row.seed,
    parameters: row.parameters,
    nonEmbeddingParameters: row.non_embedding_parameters,
    steps: row.steps,
    finalTrainLoss: Number(row.final_train_loss),
    validationLoss: Number(row.validation_loss),
    validationAccuracy: Number(row.validation_accuracy),
    validationGoldAccuracy: Number(row.validation_gold_accuracy),
    validationHumanAccuracy: Number(row.validation_human_accuracy),
    temperature: Number(row.temperature),
    calibratedCrossEntropy: Number(row.calibrated_cross_entropy),
    shift: Number(row.shift),
  };
}
