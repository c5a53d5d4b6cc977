import { cosineLearningRate, Progress, type ProxyTrainingConfig, type Rng } from '@goodhart/core';
import {
  defaultAdamW,
  pairwiseLoss,
  REWARD_HEAD,
  scoreSequences,
  sigmoid,
  softplus,
  tokenBatch,
  trainStep,
  type AdamWOptions,
  type Model,
} from '@goodhart/model';

// The pairwise loss lives in @goodhart/model, shared with the gold RM; re-exported for this package's users.
export { pairwiseLoss, softplus } from '@goodhart/model';
import type { ComparisonRow } from './comparisons-data.ts';

/** Both responses of every pair as one batch of 2B sequences: the a's, then the b's. */
export function pairSequences(rows: readonly ComparisonRow[]): number[][] {
  return [...rows.map((r) => [...r.promptTokens, ...r.tokensA]), ...rows.map((r) => [...r.promptTokens, ...r.tokensB])];
}

export interface PairEvaluation {
  /** Mean −log σ(±Δr) against the training labels (noisy if label noise is on). */
  loss: number;
  accuracy: number;
  /** Accuracy against clean gold preferences. */
  goldAccuracy: number;
  /** Accuracy against the human's preferences, over the pairs the human does not tie (equal to goldAccuracy for a lexicon gold). */
  humanAccuracy: number;
  /** r_a − r_b per pair. */
  differences: Float64Array;
}

export function evaluatePairs(model: Model, rows: readonly ComparisonRow[], batchSize: number): PairEvaluation {
  const a = scoreSequences(
    model,
    rows.map((r) => [...r.promptTokens, ...r.tokensA]),
    batchSize,
  );
  const b = scoreSequences(
    model,
    rows.map((r) => [...r.promptTokens, ...r.tokensB]),
    batchSize,
  );
  const differences = new Float64Array(rows.length);
  let loss = 0;
  let correct = 0;
  let goldCorrect = 0;
  let humanCorrect = 0;
  let humanDecided = 0;
  rows.forEach((row, i) => {
    const d = a[i] - b[i];
    differences[i] = d;
    const signed = row.preferred === 0 ? d : -d;
    loss += softplus(-signed);
    if (signed > 0) correct += 1;
    if ((row.goldPreferred === 0 ? d : -d) > 0) goldCorrect += 1;
    if (row.humanPreferred !== -1) {
      humanDecided += 1;
      if ((row.humanPreferred === 0 ? d : -d) > 0) humanCorrect += 1;
    }
  });
  return {
    loss: loss / rows.length,
    accuracy: correct / rows.length,
    goldAccuracy: goldCorrect / rows.length,
    humanAccuracy: humanDecided === 0 ? NaN : humanCorrect / humanDecided,
    differences,
  };
}

export interface RewardCurveRow {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
}

/** Fixed-length training (no early stopping, as in the paper), so small-data proxies can overfit. */
export function trainRewardModel(model: Model, train: readonly ComparisonRow[], hyper: ProxyTrainingConfig, rng: Rng, label: string): RewardCurveRow[] {
  if (train.length === 0) throw new Error('no training comparisons');
  const batchSize = Math.min(hyper.batchSize, train.length);
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = Math.max(hyper.minSteps, Math.ceil(hyper.epochs * stepsPerEpoch));
  const optimizer: AdamWOptions = { ...defaultAdamW, weightDecay: hyper.weightDecay, gradientClip: hyper.gradientClip };
  const progress = new Progress({ label, total: totalSteps, unit: 'steps' });
  const curve: RewardCurveRow[] = [];
  let order: number[] = [];
  for (let step = 0; step < totalSteps; step++) {
    const offset = (step % stepsPerEpoch) * batchSize;
    if (offset === 0) order = rng.shuffle(train.map((_, i) => i));
    const rows = order.slice(offset, offset + batchSize).map((i) => train[i]);
    const learningRate = cosineLearningRate(step, { peak: hyper.learningRate, warmupSteps: hyper.warmupSteps, totalSteps, minFraction: 0.1 });
    const { loss, gradientNorm } = trainStep(
      model,
      tokenBatch(pairSequences(rows)),
      { heads: 'last' },
      (out) => pairwiseLoss(out.heads[REWARD_HEAD], rows),
      learningRate,
      optimizer,
    );
    curve.push({ step: step + 1, epoch: Math.floor(step / stepsPerEpoch) + 1, loss, learningRate, gradientNorm });
    progress.update(step + 1, `loss ${loss.toFixed(4)}`);
  }
  return curve;
}

/**
 * The single temperature τ that best calibrates σ((r_a − r_b)/τ) against the soft gold labels σ(gold_a − gold_b)
 * on held-out pairs (cross-entropy), by golden-section search over log τ.
 */
export function calibrateTemperature(differences: ArrayLike<number>, goldDifferences: ArrayLike<number>): { temperature: number; crossEntropy: number } {
  const crossEntropy = (logTemperature: number): number => {
    const temperature = Math.exp(logTemperature);
    let total = 0;
    for (let i = 0; i < differences.length; i++) {
      const target = sigmoid(goldDifferences[i]);
      const z = differences[i] / temperature;
      total += target * softplus(-z) + (1 - target) * softplus(z);
    }
    return total / differences.length;
  };
  let low = Math.log(1e-3);
  let high = Math.log(1e3);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = high - ratio * (high - low);
  let x2 = low + ratio * (high - low);
  let f1 = crossEntropy(x1);
  let f2 = crossEntropy(x2);
  for (let i = 0; i < 80; i++) {
    if (f1 < f2) {
      high = x2;
      x2 = x1;
      f2 = f1;
      x1 = high - ratio * (high - low);
      f1 = crossEntropy(x1);
    } else {
      low = x1;
      x1 = x2;
      f1 = f2;
      x2 = low + ratio * (high - low);
      f2 = crossEntropy(x2);
    }
  }
  const best = (low + high) / 2;
  return { temperature: Math.exp(best), crossEntropy: crossEntropy(best) };
}
