import { cosineLearningRate, Progress, type Rng } from '@goodhart/core';
import { defaultAdamW, NonFiniteLossError, type AdamWOptions, type Model } from './engine/types.ts';
import { REWARD_HEAD } from './engine/weights.ts';
import { tokenBatch } from './batch.ts';
import { pairwiseLoss, type PairLabel } from './pairwise.ts';
import { trainStep } from './training.ts';

/** What a reward model's training reads: the fields every RM section of a pipeline file shares (gold.model.training, proxy.training). */
export interface RewardTrainingSchedule {
  /** Passes over the comparisons, at least minSteps steps. */
  epochs: number;
  minSteps: number;
  batchSize: number;
  /** The peak of the schedule: linear warm-up to it, then cosine decay to a tenth of it. */
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  gradientClip: number;
}

export interface RewardCurveRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
}

/** How one run of the loop reads its comparisons and reports itself. */
export interface PairwiseTrainingOptions<T extends PairLabel> {
  /** The two sequences (prompt + response) a comparison compares: its a, then its b. */
  sequences: (pair: T) => readonly [readonly number[], readonly number[]];
  /** The progress bar's label. */
  label: string;
  /**
   * The error a non-finite loss or gradient stops training with (the step is 1-based); by default the engine's
   * NonFiniteLossError itself. Either way no weight is touched by the failing step.
   */
  diverged?: (error: NonFiniteLossError, step: number, totalSteps: number) => Error;
}

/**
 * The reward-model training loop of the paper, shared by the gold RM and every proxy: the pairwise loss
 * −log σ(r_preferred − r_other) on the reward head, a fixed length (`epochs` passes, at least `minSteps` steps; no
 * early stopping, so small-data proxies can overfit), linear warm-up then cosine decay to a tenth, AdamW with
 * global-norm clipping, and a fresh shuffle of the comparisons from `rng` at the start of every pass.
 */
export function trainPairwiseRewardModel<T extends PairLabel>(
  model: Model,
  pairs: readonly T[],
  schedule: RewardTrainingSchedule,
  rng: Rng,
  options: PairwiseTrainingOptions<T>,
): RewardCurveRow[] {
  if (pairs.length === 0) throw new Error(`${options.label}: no training comparisons`);
  const batchSize = Math.min(schedule.batchSize, pairs.length);
  const stepsPerEpoch = Math.ceil(pairs.length / batchSize);
  const totalSteps = Math.max(schedule.minSteps, Math.ceil(schedule.epochs * stepsPerEpoch));
  const optimizer: AdamWOptions = { ...defaultAdamW, weightDecay: schedule.weightDecay, gradientClip: schedule.gradientClip };
  const progress = new Progress({ label: options.label, total: totalSteps, unit: 'steps' });
  const curve: RewardCurveRow[] = [];
  let order: number[] = [];
  for (let step = 0; step < totalSteps; step++) {
    const offset = (step % stepsPerEpoch) * batchSize;
    if (offset === 0) order = rng.shuffle(pairs.map((_, i) => i));
    const rows = order.slice(offset, offset + batchSize).map((i) => pairs[i]);
    // One batch of 2B sequences: the B a's, then the B b's, as pairwiseLoss reads the rewards.
    const sequences = rows.map(options.sequences);
    const batch = tokenBatch([...sequences.map(([a]) => a), ...sequences.map(([, b]) => b)]);
    const learningRate = cosineLearningRate(step, { peak: schedule.learningRate, warmupSteps: schedule.warmupSteps, totalSteps, minFraction: 0.1 });
    let result: { loss: number; gradientNorm: number };
    try {
      result = trainStep(model, batch, { heads: 'last' }, (out) => pairwiseLoss(out.heads[REWARD_HEAD], rows), learningRate, optimizer);
    } catch (error) {
      if (error instanceof NonFiniteLossError && options.diverged) throw options.diverged(error, step + 1, totalSteps);
      throw error;
    }
    curve.push({ step: step + 1, epoch: Math.floor(step / stepsPerEpoch) + 1, loss: result.loss, learningRate, gradientNorm: result.gradientNorm });
    progress.update(step + 1, `loss ${result.loss.toFixed(4)}`);
  }
  return curve;
}
