import { Progress, type Rng } from '@goodhart/core';
import { scoreSequences, softplus, trainPairwiseRewardModel, type Model, type RewardCurveRow } from '@goodhart/model';
import type { GoldComparison } from './comparisons.ts';
import type { GoldRmHyperparameters } from './hyperparameters.ts';

export type CurveRow = RewardCurveRow;

/** Prompt + response of every sample: what the gold RM reads (its reward at the last token). */
export type Sequences = readonly (readonly number[])[];

/**
 * Trains the gold RM on the human's comparisons with the reward-model loop every RM shares (trainPairwiseRewardModel).
 * A non-finite loss or gradient stops it with an error naming the step and what to change; no weight is touched by
 * the failing step.
 */
export function trainGoldRm(model: Model, sequences: Sequences, train: readonly GoldComparison[], h: GoldRmHyperparameters, rng: Rng): CurveRow[] {
  if (train.length === 0) throw new Error('gold-rm: no training comparisons (every pair tied?)');
  return trainPairwiseRewardModel(model, train, h, rng, {
    label: 'gold-rm: training',
    sequences: (pair) => [sequences[pair.a], sequences[pair.b]],
    diverged: (error, step, totalSteps) =>
      new Error(
        `gold-rm: training diverged at step ${step} of ${totalSteps} (${error.loss === undefined ? '' : `loss ${error.loss}, `}gradient norm ${error.gradientNorm}); nothing was written. Lower gold.model.training.learningRate (now ${h.learningRate}) or raise warmupSteps.`,
      ),
  });
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
