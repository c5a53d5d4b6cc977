import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, type PretrainConfig } from '@goodhart/core';
import { initEngine, saveCheckpoint, type BackendChoice, type EngineName, type ModelConfig, type Precision } from '@goodhart/model';
import { evenlySpacedWindows } from './dataset.ts';
import { trainLanguageModel, type CurveRow } from './train.ts';

/** Everything one model size needs to train in its own process; written as JSON by the stage. */
export interface TrainJob {
  sizeName: string;
  model: ModelConfig;
  hyper: PretrainConfig;
  seed: number;
  /** The engine the stage resolved (so every size trains on the same one), its tfjs backend and native threads. */
  engine: EngineName;
  backend: BackendChoice;
  threads: number;
  /** The precision the stage's engine resolved to (so every size computes alike). */
  precision: Precision;
  /** Little-endian int32 token streams. */
  trainTokensPath: string;
  validationTokensPath: string;
  /** Checkpoint directory (inside the stage's staging directory). */
  checkpointDir: string;
  /** Where the job writes its TrainJobResult as JSON. */
  resultPath: string;
}

export interface TrainJobResult {
  sizeName: string;
  validationLoss: number;
  tokensPerSecond: number;
  engine: string;
  curve: CurveRow[];
}

/** The training rng depends only on the config seed and the size name, so scheduling never changes results. */
export async function runTrainJob(job: TrainJob): Promise<TrainJobResult> {
  // The stage already split its threads between the jobs; the environment (an alone task's marker) would not.
  const { engine, lines } = await initEngine({ engine: job.engine, backend: job.backend, threads: job.threads, precision: job.precision });
  for (const line of lines) process.stderr.write(`[pretrain ${job.sizeName}] ${line}\n`);
  const train = await readTokens(job.trainTokensPath);
  const validation = evenlySpacedWindows(await readTokens(job.validationTokensPath), job.hyper.evalBatches * job.hyper.batchSize, job.hyper.contextLength + 1);
  const result = trainLanguageModel({
    sizeName: job.sizeName,
    model: job.model,
    hyper: job.hyper,
    train,
    validation,
    rng: Rng.fromSeed(job.seed, `pretrain/model/${job.sizeName}`),
  });
  await saveCheckpoint(result.model, job.checkpointDir);
  await writeFile(
    join(job.checkpointDir, 'hyperparameters.json'),
    `${JSON.stringify({ size: job.sizeName, model: job.model, pretrain: job.hyper, seed: job.seed }, null, 2)}\n`,
  );
  result.model.dispose();
  const output: TrainJobResult = {
    sizeName: job.sizeName,
    validationLoss: result.validationLoss,
    tokensPerSecond: result.tokensPerSecond,
    engine: engine.description,
    curve: result.curve,
  };
  await writeFile(job.resultPath, JSON.stringify(output));
  return output;
}

export async function writeTokens(path: string, tokens: Int32Array): Promise<void> {
  const bytes = new Uint8Array(tokens.length * 4);
  const view = new DataView(bytes.buffer);
  tokens.forEach((t, i) => view.setInt32(i * 4, t, true));
  await writeFile(path, bytes);
}

async function readTokens(path: string): Promise<Int32Array> {
  const bytes = await readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}
