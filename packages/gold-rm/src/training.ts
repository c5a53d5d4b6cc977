import { cosineLearningRate, Progress, type Rng } from '@goodhart/core';
import {
  defaultAdamW,
  NonFiniteLossError,
  pairwiseLoss,
  REWARD_HEAD,
  scoreSequences,
  softplus,
  tokenBatch,
  trainStep,
  type AdamWOptions,
  type Model,
} from '@goodhart/model';
import type { GoldComparison } from './comparisons.ts';
import type { GoldRmHyperparameters } from './hyperparameters.ts';

export interface CurveRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
}

/** Prompt + response of every sample: what the gold RM reads (its reward at the last token). */
export type Sequences = readonly (readonly number[])[];

/**
 * Trains the gold RM on the human's comparisons with the pairwise loss: fixed length (epochs, at least minSteps),
 * linear warm-up then cosine decay to a tenth, a fresh shuffle every epoch. A non-finite loss or gradient stops it
 * with an error naming the step and what to change; no weight is touched by the failing step.
 */
export function trainGoldRm(model: Model, sequences: Sequences, train: readonly GoldComparison[], h: GoldRmHyperparameters, rng: Rng): CurveRow[] {
  if (train.length === 0) throw new Error('gold-rm: no training comparisons (every pair tied?)');
  const batchSize = Math.min(h.batchSize, train.length);
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = Math.max(h.minSteps, Math.ceil(h.epochs * stepsPerEpoch));
  const optimizer: AdamWOptions = { ...defaultAdamW, weightDecay: h.weightDecay, gradientClip: h.gradientClip };
  const progress = new Progress({ label: 'gold-rm: training', total: totalSteps, unit: 'steps' });
  const curve: CurveRow[] = [];
  let order: number[] = [];
  for (let step = 0; step < totalSteps; step++) {
    const offset = (step % stepsPerEpoch) * batchSize;
    if (offset === 0) order = rng.shuffle(train.map((_, i) => i));
    const rows = order.slice(offset, offset + batchSize).map((i) => train[i]);
    const batch = tokenBatch([...rows.map((r) => sequences[r.a]), ...rows.map((r) => sequences[r.b])]);
    const learningRate = cosineLearningRate(step, { peak: h.learningRate, warmupSteps: h.warmupSteps, totalSteps, minFraction: 0.1 });
    let result: { loss: number; gradientNorm: number };
    try {
      result = trainStep(model, batch, { heads: 'last' }, (out) => pairwiseLoss(out.heads[REWARD_HEAD], rows), learningRate, optimizer);
    } catch (error) {
      if (error instanceof NonFiniteLossError) {
        throw new Error(
          `gold-rm: training diverged at step ${step + 1} of ${totalSteps} (${error.loss === undefined ? '' : `loss ${error.loss}, `}gradient norm ${error.gradientNorm}); nothing was written. Lower gold.model.training.learningRate (now ${h.learningRate}) or raise warmupSteps.`,
        );
      }
      throw error;
    }
    curve.push({ step: step + 1, epoch: Math.floor(step / stepsPerEpoch) + 1, loss: result.loss, learningRate, gradientNorm: result.gradientNorm });
    progress.update(step + 1, `loss ${result.loss.toFixed(4)}`);
  }
  return curve;
}

/** The gold RM's reward of every sample, once (pairs are then compared from these). */
export function rewardsOf(model: Model, sequences: Sequences, batchSize: number): Float64Array {
  const progress = new Progress({ label: 'gold-rm: scoring samples', total: sequences.length, unit: 'sequences' });
  return scoreSequences(model, sequences, batchSize, (done) => progress.update(done));
}

export interface PairAccuracy {
  pairs: number;
  /** Mean −log σ(±(r_a − r_b)) against the human's labels. */
  loss: number;
  /** Fraction of pairs where the gold RM prefers what the human prefers. */
  accuracy: number;
}

/** Loss and agreement with the human over comparisons, from per-sample rewards. */
export function pairAccuracy(rewards: ArrayLike<number>, comparisons: readonly GoldComparison[]): PairAccuracy {
  let loss = 0;
  let correct = 0;
  for (const c of comparisons) {
    const margin = (c.preferred === 0 ? 1 : -1) * (rewards[c.a] - rewards[c.b]);
    loss += softplus(-margin);
    if (margin > 0) correct++;
  }
  const pairs = comparisons.length;
  return { pairs, loss: pairs === 0 ? NaN : loss / pairs, accuracy: pairs === 0 ? NaN : correct / pairs };
}
