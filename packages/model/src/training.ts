import type { AdamWOptions, ForwardRequest, ForwardResult, Model, OutputGradients, TokenBatch } from './engine/types.ts';
import { NonFiniteLossError } from './engine/types.ts';
import { nextTokenBatch } from './batch.ts';

/** A loss over a forward's outputs and its gradient with respect to them: plain TypeScript over small arrays. */
export interface LossAndGradients {
  loss: number;
  gradients: OutputGradients;
}

/**
 * One optimisation step: train forward, the loss in TypeScript, backward from its output gradients, AdamW with
 * global-norm clipping. Throws NonFiniteLossError before touching any weight when the loss or the gradient norm is
 * not finite, so a diverging run stops with its last good weights.
 */
export function trainStep(
  model: Model,
  batch: TokenBatch,
  request: Omit<ForwardRequest, 'train'>,
  loss: (outputs: ForwardResult) => LossAndGradients,
  learningRate: number,
  options: AdamWOptions,
): { loss: number; gradientNorm: number } {
  const outputs = model.forward(batch, { ...request, train: true });
  const result = loss(outputs);
  if (!Number.isFinite(result.loss)) {
    model.zeroGradients();
    throw new NonFiniteLossError(result.loss, NaN, model.steps + 1);
  }
  model.backward(result.gradients);
  const { gradientNorm } = model.step(learningRate, options);
  return { loss: result.loss, gradientNorm };
}

/** Mean next-token cross-entropy (nats/token) over every position and its gradient: −1/N per log-prob. */
export function meanCrossEntropy(logProbs: Float32Array): LossAndGradients {
  let total = 0;
  for (let i = 0; i < logProbs.length; i++) total += logProbs[i];
  const gradient = new Float32Array(logProbs.length).fill(-1 / logProbs.length);
  return { loss: -total / logProbs.length, gradients: { logProbs: gradient } };
}

/** One LM training step on equal-length windows [rows, width + 1] (inputs and next-token targets). */
export function languageModelStep(
  model: Model,
  windows: Int32Array,
  rows: number,
  windowWidth: number,
  learningRate: number,
  options: AdamWOptions,
): { loss: number; gradientNorm: number } {
  const { batch, targets } = nextTokenBatch(windows, rows, windowWidth);
  return trainStep(model, batch, { targets }, (out) => meanCrossEntropy(out.logProbs!), learningRate, options);
}

/** Mean next-token loss (nats/token) of equal-length windows, without training. */
export function languageModelLoss(model: Model, windows: Int32Array, rows: number, windowWidth: number): number {
  const { batch, targets } = nextTokenBatch(windows, rows, windowWidth);
  return meanCrossEntropy(model.forward(batch, { targets }).logProbs!).loss;
}
