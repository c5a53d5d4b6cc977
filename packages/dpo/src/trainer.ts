import { defaultAdamW, trainStep, type AdamWOptions, type ForwardResult, type LossAndGradients, type Model } from '@goodhart/model';
import { validateDpoHyperparameters, type DpoHyperparameters } from './hyperparameters.ts';
import { batchLoss } from './losses.ts';
import { comparisonBatch, sequenceLogProbs, spreadOverResponses, type Comparison, type ResponseBatch } from './pair-batch.ts';

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
    const batch = comparisonBatch(comparisons);
    let stats: Omit<StepStats, 'gradientNorm'> = { loss: Number.NaN, accuracy: Number.NaN, margin: Number.NaN };
    const { gradientNorm } = trainStep(
      this.policy,
      batch.tokens,
      { targets: batch.targets },
      (out) => {
        const result = comparisonLoss(this.hyperparameters, batch, comparisons, out);
        stats = result.stats;
        return result;
      },
      learningRate,
      this.optimizer,
    );
    return { ...stats, gradientNorm };
  }
}

/**
 * The loss of a forward over comparisonBatch(comparisons) and its gradient with respect to the per-token log-probs:
 * each response token's log-prob gets dL/d log π(response), since log π(y | x) is the sum of its tokens'.
 */
export function comparisonLoss(
  h: Pick<DpoHyperparameters, 'loss' | 'beta'>,
  batch: ResponseBatch,
  comparisons: readonly ReferencedComparison[],
  out: ForwardResult,
): LossAndGradients & { stats: Omit<StepStats, 'gradientNorm'> } {
  const n = comparisons.length;
  const logPolicy = sequenceLogProbs(batch, out.logProbs!);
  const result = batchLoss(
    h.loss,
    h.beta,
    { chosen: logPolicy.subarray(0, n), rejected: logPolicy.subarray(n) },
    { chosen: comparisons.map((c) => c.referenceChosen), rejected: comparisons.map((c) => c.referenceRejected) },
  );
  const perRow = new Float64Array(2 * n);
  perRow.set(result.dChosen, 0);
  perRow.set(result.dRejected, n);
  return {
    loss: result.loss,
    gradients: { logProbs: spreadOverResponses(batch, perRow) },
    stats: { loss: result.loss, accuracy: result.accuracy, margin: result.margin },
  };
}
