import type { Rng } from '@goodhart/core';
import { defaultAdamW, sample, trainStep, type AdamWOptions, type Model } from '@goodhart/model';
import { sampledKl } from '@goodhart/model/kl';
import { generalizedAdvantages, whiten } from './advantages.ts';
import { buildBatch, frozenLogProbs, gatherRows, policyOutputs, responseValues, selectRows, toMatrix, VALUE_HEAD, type SequenceBatch } from './batch.ts';
import { validatePpoHyperparameters, type PpoHyperparameters } from './hyperparameters.ts';
import { ppoLoss } from './losses.ts';

/** Scores finished responses (the proxy RM plus its centring shift, or any synthetic reward in tests). */
export type RewardFunction = (prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]) => ArrayLike<number>;

export interface IterationStats {
  /** Mean reward-function score of the rollout. */
  score: number;
  /** Mean over rollout responses of Σ_t (log π_old − log π_init). */
  kl: number;
  /** Mean total loss over the minibatch updates. */
  loss: number;
  clipFraction: number;
  responseLength: number;
}

/**
 * PPO for a language model against a scalar reward at the end of each response (Ouyang et al., Stiennon et al.):
 * roll out, compute per-token rewards (−β_KL·(log π − log π_init), plus the score on the last token), GAE,
 * whitened advantages, then `epochs` passes of minibatch updates of the clipped surrogate plus the clipped value
 * loss. The reference policy is a frozen copy of the initial policy. The critic is the policy's `value` head, so
 * one forward gives both log-probabilities and values, and one AdamW (the policy model's) updates both.
 */
export class PpoTrainer {
  readonly hyperparameters: PpoHyperparameters;
  private readonly optimizer: AdamWOptions;

  constructor(
    readonly policy: Model,
    readonly reference: Model,
    readonly reward: RewardFunction,
    hyperparameters: PpoHyperparameters,
  ) {
    this.hyperparameters = validatePpoHyperparameters(hyperparameters);
    if (!policy.headNames.includes(VALUE_HEAD)) throw new Error(`the PPO policy needs a "${VALUE_HEAD}" head (load it with extra heads ["${VALUE_HEAD}"])`);
    this.optimizer = { ...defaultAdamW, gradientClip: hyperparameters.gradientClip, weightDecay: 0 };
  }

  /**
   * One iteration on `prompts` (batchSize of them); every random choice comes from `rng`. `learningRate` overrides
   * the hyperparameter for this iteration (a schedule).
   */
  iteration(prompts: readonly (readonly number[])[], rng: Rng, learningRate = this.hyperparameters.learningRate): IterationStats {
    const h = this.hyperparameters;
    if (prompts.length !== h.batchSize) throw new RangeError(`expected ${h.batchSize} prompts, got ${prompts.length}`);
    const { tokens } = sample(this.policy, prompts, { maxNewTokens: h.maxNewTokens, temperature: h.temperature, stopToken: h.stopToken }, rng.fork('rollout'));
    const batch = buildBatch(prompts, tokens);
    const scores = this.reward(prompts, tokens);
    const { logProbs: oldLogProbs, values: oldValues } = this.evaluate(batch);
    const referenceLogProbs = frozenLogProbs(this.reference, batch);

    let klTotal = 0;
    const advantages: Float64Array[] = [];
    const returns: Float64Array[] = [];
    for (let b = 0; b < batch.rows; b++) {
      const logPolicy = responseValues(batch, oldLogProbs, b);
      const logReference = responseValues(batch, referenceLogProbs, b);
      const rewards = logPolicy.map((lp, t) => -h.klCoefficient * (lp - logReference[t]));
      rewards[rewards.length - 1] += scores[b];
      const gae = generalizedAdvantages(rewards, responseValues(batch, oldValues, b), h.gamma, h.gaeLambda);
      advantages.push(gae.advantages);
      returns.push(gae.returns);
      klTotal += sampledKl(logPolicy, logReference).k1;
    }
    const targets = {
      oldLogProbs,
      oldValues,
      advantages: toMatrix(batch, whiten(advantages)),
      returns: toMatrix(batch, returns),
    };

    const minibatchSize = h.batchSize / h.minibatches;
    let lossTotal = 0;
    let clipTotal = 0;
    let updates = 0;
    for (let epoch = 0; epoch < h.epochs; epoch++) {
      const order = rng.fork(`epoch/${epoch}`).shuffle(Array.from({ length: batch.rows }, (_, i) => i));
      for (let m = 0; m < h.minibatches; m++) {
        const rows = order.slice(m * minibatchSize, (m + 1) * minibatchSize);
        const { loss, clipped } = this.update(selectRows(batch, rows), rows, batch, targets, learningRate);
        lossTotal += loss;
        clipTotal += clipped;
        updates += 1;
      }
    }
    let scoreTotal = 0;
    for (let b = 0; b < batch.rows; b++) scoreTotal += scores[b];
    return {
      score: scoreTotal / batch.rows,
      kl: klTotal / batch.rows,
      loss: lossTotal / updates,
      clipFraction: clipTotal / updates,
      responseLength: batch.responseLengths.reduce((a, b) => a + b, 0) / batch.rows,
    };
  }

  /** Log-probs and values of the current policy, [B·columns] each. */
  evaluate(batch: SequenceBatch): { logProbs: Float32Array; values: Float32Array } {
    return policyOutputs(this.policy, batch);
  }

  private update(
    minibatch: SequenceBatch,
    rows: readonly number[],
    full: SequenceBatch,
    targets: { oldLogProbs: Float32Array; oldValues: Float32Array; advantages: Float32Array; returns: Float32Array },
    learningRate: number,
  ): { loss: number; clipped: number } {
    const h = this.hyperparameters;
    const gather = (matrix: Float32Array): Float32Array => gatherRows(matrix, rows, full.columns);
    const oldLogProbs = gather(targets.oldLogProbs);
    const oldValues = gather(targets.oldValues);
    const advantages = gather(targets.advantages);
    const returns = gather(targets.returns);
    let clipped = 0;
    const { loss } = trainStep(
      this.policy,
      minibatch.tokens,
      { targets: minibatch.targets, heads: 'all' },
      (out) => {
        const result = ppoLoss({
          logProbs: out.logProbs!,
          oldLogProbs,
          advantages,
          values: out.heads[VALUE_HEAD],
          oldValues,
          returns,
          mask: minibatch.mask,
          clipRange: h.clipRange,
          valueClipRange: h.valueClipRange,
          valueCoefficient: h.valueCoefficient,
        });
        clipped = result.clipFraction;
        return { loss: result.loss, gradients: { logProbs: result.dLogProbs, heads: { [VALUE_HEAD]: result.dValues } } };
      },
      learningRate,
      this.optimizer,
    );
    return { loss, clipped };
  }
}
