import { cosineLearningRate, Progress, type PretrainConfig, type Rng } from '@goodhart/core';
import {
  activeEngine,
  defaultAdamW,
  initWeights,
  languageModelLoss,
  languageModelStep,
  type AdamWOptions,
  type Model,
  type ModelConfig,
} from '@goodhart/model';
import { randomWindows } from './dataset.ts';

export interface TrainInput {
  sizeName: string;
  model: ModelConfig;
  hyper: PretrainConfig;
  train: Int32Array;
  /** Fixed validation windows of contextLength + 1 tokens. */
  validation: Int32Array[];
  rng: Rng;
}

export interface CurveRow {
  size: string;
  step: number;
  tokens: number;
  trainLoss: number;
  /** Present on evaluation steps (every evalEvery, and the last). */
  validationLoss: number | null;
  learningRate: number;
  gradientNorm: number;
  seconds: number;
}

export interface TrainResult {
  model: Model;
  curve: CurveRow[];
  validationLoss: number;
  tokensPerSecond: number;
}

export function learningRateAt(step: number, hyper: PretrainConfig): number {
  return cosineLearningRate(step, {
    peak: hyper.learningRate,
    warmupSteps: hyper.warmupSteps,
    totalSteps: hyper.steps,
    minFraction: hyper.minLearningRateFraction,
  });
}

export function trainLanguageModel(input: TrainInput): TrainResult {
  const { hyper, model: modelConfig } = input;
  const width = hyper.contextLength + 1;
  const model = activeEngine().createModel(modelConfig, initWeights(modelConfig, input.rng.fork('init')));
  const batches = input.rng.fork('batches');
  const optimizer: AdamWOptions = { ...defaultAdamW, weightDecay: hyper.weightDecay, gradientClip: hyper.gradientClip };
  const progress = new Progress({ label: `pretrain ${input.sizeName}`, total: hyper.steps, unit: 'steps' });
  const curve: CurveRow[] = [];
  const started = performance.now();
  let validationLoss = NaN;
  try {
    for (let step = 0; step < hyper.steps; step++) {
      const learningRate = learningRateAt(step, hyper);
      const windows = randomWindows(input.train, hyper.batchSize, width, batches);
      const { loss, gradientNorm } = languageModelStep(model, windows, hyper.batchSize, width, learningRate, optimizer);
      const last = step === hyper.steps - 1;
      const evaluate = last || (step + 1) % hyper.evalEvery === 0;
      if (evaluate) validationLoss = evaluateLoss(model, input.validation, hyper.batchSize);
      const seconds = (performance.now() - started) / 1000;
      curve.push({
        size: input.sizeName,
        step: step + 1,
        tokens: (step + 1) * hyper.batchSize * hyper.contextLength,
        trainLoss: loss,
        validationLoss: evaluate ? validationLoss : null,
        learningRate,
        gradientNorm,
        seconds,
      });
      progress.update(step + 1, `loss ${loss.toFixed(3)}${Number.isFinite(validationLoss) ? ` | val ${validationLoss.toFixed(3)}` : ''}`);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  return { model, curve, validationLoss, tokensPerSecond: (hyper.steps * hyper.batchSize * hyper.contextLength) / seconds };
}

/** Mean next-token loss (nats/token) over the fixed validation windows. */
export function evaluateLoss(model: Model, windows: readonly Int32Array[], batchSize: number): number {
  if (windows.length === 0) throw new Error('no validation windows');
  const width = windows[0].length;
  let total = 0;
  let count = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const chunk = windows.slice(i, i + batchSize);
    const flat = new Int32Array(chunk.length * width);
    chunk.forEach((w, j) => flat.set(w, j * width));
    total += languageModelLoss(model, flat, chunk.length, width) * chunk.length;
    count += chunk.length;
  }
  const mean = total / count;
  if (!Number.isFinite(mean)) throw new Error(`validation loss is ${mean}: the model diverged`);
  return mean;
}
