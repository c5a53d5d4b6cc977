import type { ProxyTrainingConfig, Rng } from '@goodhart/core';
import { scoreSequences, sigmoid, softplus, trainPairwiseRewardModel, type Model, type RewardCurveRow } from '@goodhart/model';

// The pairwise loss lives in @goodhart/model, shared with the gold RM; re-exported for this package's users.
export { pairwiseLoss, softplus } from '@goodhart/model';
import type { ComparisonRow } from './comparisons-data.ts';

/** A comparison's two sequences: the prompt with response a, the prompt with response b. */
export function pairOf(row: ComparisonRow): [number[], number[]] {
  return [
    [...row.promptTokens, ...row.tokensA],
    [...row.promptTokens, ...row.tokensB],
  ];
}

/** Both responses of every pair as one batch of 2B sequences: the a's, then the b's. */
export function pairSequences(rows: readonly ComparisonRow[]): number[][] {
  const pairs = rows.map(pairOf);
  return [...pairs.map(([a]) => a), ...pairs.map(([, b]) => b)];
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

/** Fixed-length training (no early stopping, as in the paper), so small-data proxies can overfit: the loop every RM shares. */
export function trainRewardModel(model: Model, train: readonly ComparisonRow[], hyper: ProxyTrainingConfig, rng: Rng, label: string): RewardCurveRow[] {
  return trainPairwiseRewardModel(model, train, hyper, rng, {
    label,
    sequences: pairOf,
  });
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
