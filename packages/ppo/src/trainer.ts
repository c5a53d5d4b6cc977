import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@goodhart/core';
import { AdamW, sample, type Transformer } from '@goodhart/model';
import { generalizedAdvantages, whiten } from './advantages.ts';
import { buildBatch, frozenLogProbs, policyForward, responseValues, selectRows, toMatrix, type SequenceBatch } from './batch.ts';
import { validatePpoHyperparameters, type PpoHyperparameters } from './hyperparameters.ts';
import { sequenceKl } from './kl.ts';
import { clipFraction, clippedPolicyLoss, clippedValueLoss } from './losses.ts';
import type { ValueHead } from './value-head.ts';

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
 * loss. The reference policy is a frozen copy of the initial policy.
 */
export class PpoTrainer {
  readonly optimizer: AdamW;
  readonly hyperparameters: PpoHyperparameters;

  constructor(
    readonly policy: Transformer,
    readonly head: ValueHead,
    readonly reference: Transformer,
    readonly reward: RewardFunction,
    hyperparameters: PpoHyperparameters,
  ) {
    this.hyperparameters = validatePpoHyperparameters(hyperparameters);
    this.optimizer = new AdamW(new Map([...policy.params, ...head.params]), { gradientClip: hyperparameters.gradientClip, weightDecay: 0 });
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
      klTotal += sequenceKl(logPolicy, logReference).kl;
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

  /** Log-probs and values of the current policy, [B·(W−1)] each, outside any gradient tape. */
  evaluate(batch: SequenceBatch): { logProbs: Float32Array; values: Float32Array } {
    const out = tf.tidy(() => {
      const { logProbs, values } = policyForward(this.policy, this.head, batch);
      return [logProbs, values];
    });
    const [logProbs, values] = out.map((t) => t.dataSync() as Float32Array);
    for (const t of out) t.dispose();
    return { logProbs, values };
  }

  private update(
    minibatch: SequenceBatch,
    rows: readonly number[],
    full: SequenceBatch,
    targets: { oldLogProbs: Float32Array; oldValues: Float32Array; advantages: Float32Array; returns: Float32Array },
    learningRate: number,
  ): { loss: number; clipped: number } {
    const h = this.hyperparameters;
    const columns = full.width - 1;
    const gather = (matrix: Float32Array): tf.Tensor2D => {
      const out = new Float32Array(rows.length * columns);
      rows.forEach((row, i) => out.set(matrix.subarray(row * columns, (row + 1) * columns), i * columns));
      return tf.tensor2d(out, [rows.length, columns]);
    };
    const mask = tf.tensor2d(minibatch.mask, [rows.length, columns]);
    const oldLogProbs = gather(targets.oldLogProbs);
    const oldValues = gather(targets.oldValues);
    const advantages = gather(targets.advantages);
    const returns = gather(targets.returns);
    let clipped: tf.Scalar | undefined;
    try {
      const { loss } = this.optimizer.minimize(() => {
        const { logProbs, values } = policyForward(this.policy, this.head, minibatch);
        clipped = tf.keep(clipFraction(logProbs, oldLogProbs, mask, h.clipRange));
        const policyLoss = clippedPolicyLoss(logProbs, oldLogProbs, advantages, mask, h.clipRange);
        const valueLoss = clippedValueLoss(values, oldValues, returns, mask, h.valueClipRange);
        return tf.add(policyLoss, tf.mul(h.valueCoefficient, valueLoss)) as tf.Scalar;
      }, learningRate);
      return { loss, clipped: clipped ? clipped.dataSync()[0] : 0 };
    } finally {
      clipped?.dispose();
      for (const t of [mask, oldLogProbs, oldValues, advantages, returns]) t.dispose();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
