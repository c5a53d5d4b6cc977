import { defaultAdamW, trainStep, type AdamWOptions, type Model } from '@goodhart/model';
import { validateDpoHyperparameters, type DpoHyperparameters } from './hyperparameters.ts';
import { batchLoss } from './losses.ts';
import { comparisonBatch, sequenceLogProbs, spreadOverResponses, type Comparison } from './pair-batch.ts';

/** A comparison with its responses' log-probabilities under the frozen reference, computed once per run. */
export interface ReferencedComparison extends Comparison {
  referenceChosen: number;
  referenceRejected: number;
}

export interface StepStats {
  loss: number;
  /** Share of the batch's comparisons the implicit reward orders right, before the update. */
  accuracy: number;
  /** Mean β·h before the update. */
  margin: number;
  gradientNorm: number;
}

/**
 * Direct alignment: one AdamW step of the policy on a batch of comparisons. One train forward scores every
 * preferred and other response, the loss (losses.ts) is plain TypeScript over their sequence log-probs, and its
 * gradient reaches the engine as a per-token gradient on the response log-probs (the same primitive PPO's surrogate
 * uses), so both engines compute it.
 */
export class DpoTrainer {
  readonly hyperparameters: DpoHyperparameters;
  private readonly optimizer: AdamWOptions;

  constructor(
    readonly policy: Model,
    hyperparameters: DpoHyperparameters,
  ) {
    this.hyperparameters = validateDpoHyperparameters(hyperparameters);
    this.optimizer = { ...defaultAdamW, gradientClip: hyperparameters.gradientClip, weightDecay: hyperparameters.weightDecay };
  }

  step(comparisons: readonly ReferencedComparison[], learningRate = this.hyperparameters.learningRate): StepStats {
    const h = this.hyperparameters;
    const batch = comparisonBatch(comparisons);
    const n = comparisons.length;
    let stats: Omit<StepStats, 'gradientNorm'> = { loss: Number.NaN, accuracy: Number.NaN, margin: Number.NaN };
    const { gradientNorm } = trainStep(
      this.policy,
      batch.tokens,
      { targets: batch.targets },
      (out) => {
        const logPolicy = sequenceLogProbs(batch, out.logProbs!);
        const result = batchLoss(
          h.loss,
          h.beta,
          { chosen: logPolicy.subarray(0, n), rejected: logPolicy.subarray(n) },
          { chosen: comparisons.map((c) => c.referenceChosen), rejected: comparisons.map((c) => c.referenceRejected) },
        );
        stats = { loss: result.loss, accuracy: result.accuracy, margin: result.margin };
        const perRow = new Float64Array(2 * n);
        perRow.set(result.dChosen, 0);
        perRow.set(result.dRejected, n);
        return { loss: result.loss, gradients: { logProbs: spreadOverResponses(batch, perRow) } };
      },
      learningRate,
      this.optimizer,
    );
    return { ...stats, gradientNorm };
  }
}
